// Command-line plumbing shared by the scripts (bench, load, eval, build-dataset, export-onnx, keys, ...; train.ts
// keeps its own table of flags, which --resume merges with a checkpoint's): strict flag parsing, number flags,
// and one way to end: a usage error prints "<script>: <message>" plus the help and exits 2, any other failure
// prints its stack and exits 1, --help prints the help and exits 0.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** A bad command line: the message names the flag and what it must be. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** parseArgs with unknown flags and positionals refused; its errors become UsageErrors. */
export function parseFlags<const O extends FlagOptions>(argv: readonly string[], options: O) {
  type Config = { args: string[]; options: O; strict: true; allowPositionals: false };
  try {
    return parseArgs<Config>({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** parseFlags for commands that also take operands (file or directory names after the flags). */
export function parseFlagsAndOperands<const O extends FlagOptions>(argv: readonly string[], options: O) {
  type Config = { args: string[]; options: O; strict: true; allowPositionals: true };
  try {
    const { values, positionals } = parseArgs<Config>({ args: [...argv], options, strict: true, allowPositionals: true });
    return { values, operands: positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

interface IntegerRange {
  min?: number;
  max?: number;
}

/** An integer flag in [min, max] (default min 1); `fallback` when the flag is absent. */
export function integerFlag(name: string, raw: string | undefined, fallback: number, range?: IntegerRange): number;
export function integerFlag(name: string, raw: string | undefined, fallback?: undefined, range?: IntegerRange): number | undefined;
export function integerFlag(name: string, raw: string | undefined, fallback?: number, { min = 1, max = Number.MAX_SAFE_INTEGER }: IntegerRange = {}): number | undefined {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    const what = max === Number.MAX_SAFE_INTEGER ? (min === 1 ? 'a positive integer' : `an integer >= ${min}`) : `an integer in ${min}..${max}`;
    throw new UsageError(`--${name} must be ${what}, got "${raw}"`);
  }
  return value;
}

/** A required string flag. */
export function requiredFlag(name: string, raw: string | undefined): string {
  if (raw === undefined || raw === '') throw new UsageError(`--${name} is required`);
  return raw;
}

/**
 * Runs a script's main and exits with its code (0 when it returns nothing). `help` is printed for --help
 * (main returns "help") and after a UsageError; `describe` turns other expected errors into one line.
 */
export function runScript(script: string, help: string, main: () => Promise<number | void | 'help'>, describe?: (error: unknown) => string | undefined): void {
  main().then(
    (code) => {
      if (code === 'help') process.stdout.write(`${help}\n`);
      process.exit(typeof code === 'number' ? code : 0);
    },
    (error: unknown) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${script}: ${error.message}\n\n${help}\n`);
        process.exit(2);
      }
      const line = describe?.(error);
      process.stderr.write(`${script}: ${line ?? (error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
      process.exit(1);
    },
  );
}

/** A script's invocation as a shell line for records and cards, e.g. `npx tsx scripts/eval.ts --test 'a b.tsv'`. */
export function commandLine(script: string, argv: readonly string[]): string {
  const quote = (a: string) => (/^[\w./=:@+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['npx tsx', script, ...argv.map(quote)].join(' ');
}
