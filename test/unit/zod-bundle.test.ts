import { describe, expect, it } from 'vitest';
import * as zod from 'zod';
import * as bundled from '../../src/bundle/zod.js';

// src/bundle/zod.ts stands in for `zod` in the Worker bundle (wrangler.toml [alias]); Node uses zod itself.
describe('the Worker bundle’s zod (src/bundle/zod.ts)', () => {
  it('exports what zod exports, with the same values, apart from the message translations', () => {
    expect(Object.keys(bundled).sort()).toEqual(Object.keys(zod).sort());
    expect(Object.keys(bundled.z).sort()).toEqual(Object.keys(zod.z).sort());
    expect(Object.keys(bundled.core).sort()).toEqual(Object.keys(zod.core).sort());
    for (const name of Object.keys(zod.z).filter((n) => n !== 'locales' && n !== 'core')) {
      expect((bundled.z as Record<string, unknown>)[name], name).toBe((zod.z as Record<string, unknown>)[name]);
    }
    expect(bundled.locales).toEqual({});
    expect(bundled.core.locales).toEqual({});
  });

  it('still answers in English, zod’s default', () => {
    const result = bundled.z.object({ n: bundled.z.number() }).safeParse({ n: 'x' });
    expect(result.error?.issues[0]?.message).toBe('Invalid input: expected number, received string');
  });
});
