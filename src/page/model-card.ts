import cardSummaryJson from '../../model/card-summary.json';

/** One operating point of the test split: detection at a target false-positive rate. */
export interface OperatingPoint {
  /** Target FPR as the card writes it, e.g. "1e-3". */
  target: string;
  /** True-positive rate (0..1) and observed false-positive rate (0..1) at that point. */
  tpr: number;
  /** 95% bootstrap interval of the TPR on the test split (sampling noise of the split), when the card has one. */
  tprInterval?: { low: number; high: number };
  fpr: number;
}

/**
 * The model card's headline figures (model/card-summary.json), which `scripts/card-summary.ts` derives from
 * model/CARD.md and model/metadata.json; a unit test keeps the three in step. The page shows these; the
 * full card stays in the repository.
 */
export interface CardSummary {
  id: string;
  version: string;
  createdAt: string;
  architecture: string;
  parameters: number;
  threshold: number;
  test: { benign: number; dga: number; auc: number; aucInterval?: { low: number; high: number }; operatingPoints: OperatingPoint[]; atThreshold: { tpr: number; fpr: number } };
  familyHead?: { classes: number; microF1: number; macroF1: number };
  /** Families with the lowest detection at FPR 1e-3 (at least 100 test names each), weakest first. */
  weakestFamilies: { name: string; n: number; tpr: number }[];
}

/** The committed model's card summary. */
export const cardSummary = cardSummaryJson as CardSummary;
