import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { integerFlag, parseFlags, requiredFlag, UsageError } from '../../scripts/lib/cli-flags.js';

const run = promisify(execFile);

/** Runs a script with tsx and returns its exit code and output (a failing exit is not thrown). */
async function script(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', file, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('parseFlags', () => {
  const options = { quick: { type: 'boolean', default: false }, out: { type: 'string', default: 'runs/x' }, skip: { type: 'string', multiple: true, default: [] as string[] } } as const;

  it('parses known flags with their defaults', () => {
    expect(parseFlags(['--quick', '--skip', 'a', '--skip', 'b'], options)).toEqual({ quick: true, out: 'runs/x', skip: ['a', 'b'] });
    expect(parseFlags([], options)).toEqual({ quick: false, out: 'runs/x', skip: [] });
  });

  it('turns unknown flags, missing values and positionals into UsageErrors that name them', () => {
    expect(() => parseFlags(['--bogus'], options)).toThrow(UsageError);
    expect(() => parseFlags(['--bogus'], options)).toThrow(/--bogus/);
    expect(() => parseFlags(['--out'], options)).toThrow(/--out/);
    expect(() => parseFlags(['stray'], options)).toThrow(/stray/);
  });
});

describe('integerFlag and requiredFlag', () => {
  it('returns the fallback when absent and the value when valid', () => {
    expect(integerFlag('n', undefined, 5)).toBe(5);
    expect(integerFlag('n', undefined)).toBeUndefined();
    expect(integerFlag('n', '12', 5)).toBe(12);
    expect(integerFlag('seed', '0', 1, { min: 0 })).toBe(0);
    expect(integerFlag('port', '65535', undefined, { max: 65535 })).toBe(65535);
  });

  it('refuses non-integers, blanks and values out of range, naming the flag and the range', () => {
    expect(() => integerFlag('n', '1.5', 5)).toThrow('--n must be a positive integer, got "1.5"');
    expect(() => integerFlag('n', '', 5)).toThrow(UsageError);
    expect(() => integerFlag('n', 'ten', 5)).toThrow(UsageError);
    expect(() => integerFlag('n', '0', 5)).toThrow(/positive integer/);
    expect(() => integerFlag('seed', '-1', 1, { min: 0 })).toThrow('--seed must be an integer >= 0, got "-1"');
    expect(() => integerFlag('port', '70000', undefined, { max: 65535 })).toThrow('--port must be an integer in 1..65535, got "70000"');
  });

  it('requiredFlag refuses a missing or empty value', () => {
    expect(requiredFlag('test', 'a.tsv')).toBe('a.tsv');
    expect(() => requiredFlag('test', undefined)).toThrow('--test is required');
    expect(() => requiredFlag('test', '')).toThrow('--test is required');
  });
});

describe('scripts end the same way on a bad command line', () => {
  it.each([
    ['scripts/bench.ts', ['--bogus'], /bench: .*--bogus[\s\S]*Usage: npm run bench/],
    ['scripts/bench.ts', ['--skip', 'coldd'], /bench: --skip: unknown section "coldd"[\s\S]*Usage:/],
    ['scripts/bench.ts', ['--cold-runs', '99'], /bench: --cold-runs must be an integer in 1..50, got "99"/],
    ['scripts/load.ts', ['--seconds', 'x'], /load: --seconds must be a positive integer, got "x"[\s\S]*Usage: npm run load/],
    ['scripts/load.ts', ['--port', '0'], /load: --port must be an integer in 1..65535/],
    ['scripts/eval.ts', ['--test', 't.tsv', '--out', 'o', '--top-k', '0'], /eval: --top-k must be a positive integer[\s\S]*Usage:/],
  ])('%s %j exits 2 with the message and the help, no stack', async (file, args, message) => {
    const r = await script(file, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it.each([['scripts/bench.ts'], ['scripts/load.ts'], ['scripts/eval.ts']])('%s --help prints the help and exits 0', async (file) => {
    const r = await script(file, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage:/);
  }, 60_000);
});
