import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseModelMetadata } from '../../src/core/metadata.js';
import { buildFamilySuffixPrior, checkFamilySuffixPrior, createSuffixWeights } from '../../src/core/suffix-prior.js';
import { testMetadata } from '../fixtures/metadata.js';

const FAMILIES = ['benign', 'conficker', 'ramnit', 'necurs', 'other'];
describe('buildFamilySuffixPrior', () => {
  it('counts public suffixes per family; unknown families count as "other"; bad names are skipped', () => {
    const rows = [
      { name: 'abcdef.ws', family: 'conficker' },
      { name: 'ghijkl.ws', family: 'conficker' },
      { name: 'mnopqr.cn', family: 'conficker' },
      { name: 'qwerty.com', family: 'ramnit' },
      { name: 'zzzz.co.uk', family: 'tinyfamily' },
      { name: 'bad_name.com', family: 'ramnit' },
    ];
    const { prior, skipped } = buildFamilySuffixPrior(rows, FAMILIES, 0.5);
    expect({ ...prior, skipped }).toEqual({
      alpha: 0.5,
      suffixes: 4,
      counts: { conficker: { ws: 2, cn: 1 }, ramnit: { com: 1 }, other: { 'co.uk': 1 } },
      skipped: 1,
    });
  });
});

describe('createSuffixWeights', () => {
  const prior = { alpha: 1, suffixes: 3, counts: { conficker: { ws: 98, cn: 2 }, ramnit: { com: 100 }, necurs: { ws: 1, cn: 9 } } };
  const weights = createSuffixWeights(prior, FAMILIES);

  it('weighs each family by (count + alpha) / (family total + alpha x suffixes), scaled to a maximum of 1', () => {
    const ws = weights.weightsFor('ws');
    const p = (n: number, total: number) => (n + 1) / (total + 3);
    const max = Math.max(p(98, 100), p(0, 100), p(1, 10));
    expect(ws[0]).toBe(1); // benign is never re-weighted
    expect(ws[1]).toBeCloseTo(p(98, 100) / max, 6);
    expect(ws[2]).toBeCloseTo(p(0, 100) / max, 6);
    expect(ws[3]).toBeCloseTo(p(1, 10) / max, 6);
    expect(ws[4]).toBe(1); // a family without counts is not re-ranked against the best match
    expect(Math.max(...ws.slice(1, 4))).toBe(1);
  });

  it('re-ranks nothing for a suffix no training DGA used', () => {
    expect(Array.from(weights.weightsFor('xyz'))).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('checkFamilySuffixPrior', () => {
  it('accepts a well-formed prior and names what is wrong otherwise', () => {
    const ok = { alpha: 1, suffixes: 2, counts: { conficker: { ws: 3 } } };
    expect(checkFamilySuffixPrior(ok, FAMILIES)).toBe(ok);
    expect(() => checkFamilySuffixPrior(ok, undefined)).toThrow(/lists no families/);
    expect(() => checkFamilySuffixPrior({ ...ok, alpha: 0 }, FAMILIES)).toThrow(/alpha/);
    expect(() => checkFamilySuffixPrior({ ...ok, suffixes: 1.5 }, FAMILIES)).toThrow(/suffixes/);
    expect(() => checkFamilySuffixPrior({ ...ok, counts: { benign: { com: 1 } } }, FAMILIES)).toThrow(/"benign", which is not one of the model's malware families/);
    expect(() => checkFamilySuffixPrior({ ...ok, counts: { conficker: { ws: -1 } } }, FAMILIES)).toThrow(/counts.conficker.ws/);
  });
});

describe('scripts/suffix-prior.ts', () => {
  it('writes the prior from train.tsv into a metadata file that still loads, and removes it again', async () => {
    const run = promisify(execFile);
    const root = resolve(import.meta.dirname, '../..');
    const dir = await mkdtemp(join(tmpdir(), 'dga-suffix-'));
    const meta = join(dir, 'metadata.json');
    const families = ['benign', 'conficker', 'ramnit', 'other'];
    await writeFile(meta, JSON.stringify({ ...testMetadata(), families, onnx: { ...testMetadata().onnx, family: 'family' } }));
    await writeFile(join(dir, 'train.tsv'), ['google.com\t0\tbenign', 'abcdefgh.ws\t1\tconficker', 'qwertyui.cc\t1\tconficker', 'zxcvbnmq.com\t1\tramnit', 'lkjhgfds.org\t1\tsomethingrare'].join('\n') + '\n');
    const script = ['--import', 'tsx', 'scripts/suffix-prior.ts'];
    const r = await run(process.execPath, [...script, '--dataset', dir, '--metadata', meta], { cwd: root });
    expect(r.stderr).toMatch(/4 DGA names .* 3 families, 4 suffixes, 4 family\/suffix pairs/);
    const written = parseModelMetadata(JSON.parse(await readFile(meta, 'utf8')));
    expect(written.familySuffixPrior).toEqual({ alpha: 1, suffixes: 4, counts: { conficker: { cc: 1, ws: 1 }, ramnit: { com: 1 }, other: { org: 1 } } });
    const missing = await run(process.execPath, [...script, '--dataset', join(dir, 'nope'), '--metadata', meta], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
    expect(missing).toMatchObject({ code: 2 });
    expect((missing as { stderr: string }).stderr).toMatch(/has no train.tsv/);
    await run(process.execPath, [...script, '--remove', '--metadata', meta], { cwd: root });
    expect(parseModelMetadata(JSON.parse(await readFile(meta, 'utf8'))).familySuffixPrior).toBeUndefined();
  });
});
