// Scripts that change a trained model's metadata after training (suffix-prior.ts, open-set.ts --write) record
// their command line in it, so the model card's "How to reproduce" lists every step behind the served file.

/**
 * Records `line` in `raw.training.afterTraining` (raw metadata JSON, changed in place), replacing an earlier
 * line of the same script: a re-run supersedes it rather than adding a second step.
 */
export function recordAfterTrainingStep(raw: Record<string, unknown>, script: string, line: string): void {
  const training = (typeof raw.training === 'object' && raw.training !== null ? raw.training : (raw.training = {})) as Record<string, unknown>;
  const earlier = Array.isArray(training.afterTraining) ? (training.afterTraining as unknown[]).filter((c): c is string => typeof c === 'string') : [];
  training.afterTraining = [...earlier.filter((c) => !c.startsWith(`npx tsx ${script} `) && c !== `npx tsx ${script}`), line];
}
