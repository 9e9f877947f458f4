/**
 * What `train.ts --resume` runs with. A resumed run is the same run: every flag it does not give comes from
 * the checkpoint (saved by the run that wrote it), not from train.ts's defaults. Without this, resuming a
 * quantization-aware, family-scored run with only `--resume --epochs N` silently continued it as a float,
 * score-head run under a default version and monitor (it happened: 2026-11-28, model/EXPERIMENTS.md).
 *
 * Flags split in two:
 * - the checkpoint decides the model's shape and the data selection: giving a different value is an error,
 *   since the saved weights and optimizer state were made under the saved one;
 * - the training loop's settings (epochs, learning rate, patience, loss weights, output, version,
 *   --score-from, --monitor, ...) may be changed when given (README step 3b re-scores a finished run with
 *   --score-from family; the best epoch so far stays the one the saved --monitor chose). `--quantization-aware` is a switch without a negative form, so a resume can turn it on
 *   (train.ts then restarts early stopping), never off.
 */

export type FlagValues = Record<string, string | boolean | undefined>;

/** Flags a resumed run cannot change. */
export const FIXED_ON_RESUME = [
  'family-head',
  'min-family',
  'oversample-min',
  'family-cap',
  'sample',
  'val-fraction',
  'seed',
  'embedding-dim',
  'units',
  'max-length',
  'padding',
  'dropout',
  'bigrams',
  'trigrams',
  'fourgrams',
] as const;

/** Never inherited: they say how this invocation starts, not how the run trains. */
const NOT_INHERITED = new Set(['resume', 'init-from', 'help']);

export interface ResumeFlags {
  values: FlagValues;
  /** Flags taken from the checkpoint that differ from train.ts's defaults, for the log. */
  inherited: string[];
}

/**
 * `saved`: the effective flags of the run that wrote the checkpoint; `explicit`: the flags given on this
 * command line (without defaults); `defaults`: train.ts's defaults. Throws (message for the user) when an
 * explicit flag contradicts the checkpoint.
 */
export function resumeFlags(saved: FlagValues, explicit: FlagValues, defaults: FlagValues): ResumeFlags {
  for (const name of FIXED_ON_RESUME) {
    const given = explicit[name];
    if (given === undefined) continue;
    const was = saved[name] ?? defaults[name];
    if (String(given) !== String(was ?? false)) {
      throw new Error(
        `--${name} ${given}: the checkpoint's run used ${was === undefined ? 'no --' + name : `--${name} ${was}`}, and a resumed run keeps it ` +
          '(start a new run from its weights with --init-from to change it)',
      );
    }
  }
  const values: FlagValues = { ...defaults };
  const inherited: string[] = [];
  for (const [name, value] of Object.entries(saved)) {
    if (NOT_INHERITED.has(name) || value === undefined) continue;
    values[name] = value;
    if (explicit[name] === undefined && value !== defaults[name]) inherited.push(`--${name}${value === true ? '' : ` ${value}`}`);
  }
  for (const [name, value] of Object.entries(explicit)) if (value !== undefined) values[name] = value;
  return { values, inherited };
}
