import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pathForLog } from '../../src/http/auth.js';
import { handleError } from '../../src/http/error-response.js';

describe('API keys never reach the logs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('pathForLog hides the key of /dns-query/<key> and leaves other paths alone', () => {
    expect(pathForLog('/dns-query/dga_live_secret123')).toBe('/dns-query/<key>');
    expect(pathForLog('/dns-query/dga_live_secret123/')).toBe('/dns-query/<key>/');
    expect(pathForLog('/dns-query')).toBe('/dns-query');
    expect(pathForLog('/v1/classify')).toBe('/v1/classify');
  });

  it('an unhandled error on a keyed DoH path logs the path without the key', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    const app = new Hono();
    app.get('/dns-query/:key', () => {
      throw new Error('boom');
    });
    app.onError(handleError);
    const res = await app.request('/dns-query/dga_live_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG?dns=AAAB');
    expect(res.status).toBe(500);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('GET /dns-query/<key>');
    expect(lines.join('\n')).not.toContain('dga_live_');
  });
});
