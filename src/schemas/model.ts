import { z } from '@hono/zod-openapi';
import { ModelRef } from './common.js';

/** GET /v1/model answer: the model in service, its pre-processing, the threshold in force and its training. */
export const ModelInfo = z
  .object({
    id: z.string().openapi({ example: 'dga-lstm' }),
    version: z.string().openapi({ example: '2026.11.29-4' }),
    precision: z.string().optional().openapi({ description: 'Which export serves: `float` or `int8` (MODEL_PRECISION).' }),
    createdAt: z.string().openapi({ description: 'When the model was trained (ISO 8601).' }),
    threshold: z.number().min(0).max(1).openapi({ description: 'Score at or above which `dga` is true here (DGA_THRESHOLD, else the model’s).' }),
    modelThreshold: z.number().min(0).max(1).openapi({ description: 'The threshold the model shipped with.' }),
    vocabulary: z.string().openapi({ description: 'Characters the encoder knows.' }),
    maxLength: z.number().int().openapi({ description: 'Longest label the model reads; longer ones keep their first maxLength characters.' }),
    padding: z.literal('pre'),
    architecture: z.record(z.string(), z.unknown()).openapi({ description: 'Layer sizes and options.' }),
    families: z.array(z.string()).optional().openapi({ description: 'Family-head classes ("benign" first), when the model has one.' }),
    familySuffixPrior: z
      .object({
        alpha: z.number().openapi({ description: 'Additive smoothing per suffix.' }),
        suffixes: z.number().int().openapi({ description: 'Distinct public suffixes among the training split’s DGA names.' }),
        families: z.number().int().openapi({ description: 'Families with counts.' }),
      })
      .optional()
      .openapi({ description: 'Present when family attribution weighs the public suffix (P(suffix | family) from the training split); the counts stay in the metadata.' }),
    familyMinProbability: z.number().min(0).max(1).optional().openapi({
      description: 'Open-set cut-off in force (FAMILY_MIN_PROBABILITY, else the model’s): a DGA name whose top family is below it gets family `other` with `nearest`. 0 = off.',
    }),
    familyOpenSet: z
      .object({
        minProbability: z.number().openapi({ description: 'The cut-off the model shipped with.' }),
        budget: z.number().openapi({ description: 'Share of seen-family attribution on validation the cut-off was allowed to cost.' }),
        validation: z.object({
          names: z.number().int(),
          attributedAtZero: z.number().openapi({ description: 'Validation DGA names attributed right without the cut-off.' }),
          attributedAtMin: z.number().openapi({ description: 'The same with it.' }),
        }),
      })
      .optional()
      .openapi({ description: 'How the model’s open-set cut-off was chosen (scripts/open-set.ts), when it has one.' }),
    training: z.record(z.string(), z.unknown()).openapi({ description: 'Summary of the training run (free form).' }),
  })
  .openapi('ModelInfo');

/** GET /healthz answer. */
export const Health = z
  .object({
    status: z.literal('ok'),
    model: ModelRef,
    session: z
      .object({
        id: z.string().openapi({ description: 'Random id of the ONNX session this isolate serves from.' }),
        sessionsCreated: z.number().int().openapi({ description: 'Sessions this isolate has created (1 when reuse works).' }),
        createdAtStartup: z.boolean().optional().openapi({ description: 'True when the session was built while the script started.' }),
        wasmMemoryBytes: z.number().int().optional().openapi({
          description: 'Bytes of ORT’s wasm linear memory (outside the JS heap; grows with the largest batch, never shrinks).',
        }),
      })
      .optional(),
  })
  .openapi('Health');
