import { z } from '@hono/zod-openapi';
import { familiesCount, familiesErrorMessage, MAX_FAMILIES } from '../http/families-param.js';
import { ERROR_CODES } from '../core/errors.js';
import { ModelRef } from './common.js';

// Request schemas of /v1/classify. They validate requests (through @hono/zod-openapi's validators, whose
// failures src/http/validation-hook.ts turns into the error envelope) and generate /openapi.json, so the
// description cannot drift from what is enforced. Each carries the project's own message wording.

/** Message for a missing or empty `domain` query parameter. */
export const DOMAIN_REQUIRED = 'query parameter "domain" is required, e.g. /v1/classify?domain=example.com';
/** Message for a POST body that is not `{"domains": [...]}`. */
export const BODY_SHAPE = 'request body must be an object with a "domains" array, e.g. {"domains": ["example.com"]}';

const FAMILIES_DESCRIPTION =
  `Also return the top-K malware families of every name (integer 0..${MAX_FAMILIES}; 0 or absent: none). ` +
  'Probabilities are P(family | DGA): the family head\'s ranking of the scored label, weighed by how often each family used ' +
  'the name\'s public suffix in training (when the model\'s metadata has `familySuffixPrior`). A model without a family head ' +
  'answers 400 `invalid_request`.';

const familiesQuery = z
  .string({ error: (issue) => familiesErrorMessage(issue.input) })
  .refine((value) => familiesCount(value) !== undefined, { error: (issue) => familiesErrorMessage(issue.input) })
  .optional()
  .openapi({ type: 'integer', minimum: 0, maximum: MAX_FAMILIES, description: FAMILIES_DESCRIPTION, example: 3 });

/** GET /v1/classify query: `domain` (required) and `families`. */
export const ClassifyQuery = z.object({
  domain: z
    .string({ error: (issue) => (Array.isArray(issue.input) ? 'query parameter "domain" must be given once' : DOMAIN_REQUIRED) })
    .min(1, { error: DOMAIN_REQUIRED })
    .openapi({
      description: 'The name to classify. Normalised (trimmed, lowercased, one trailing dot removed, IDNA to punycode) before scoring.',
      example: 'xjwqkzpvbn.net',
    }),
  families: familiesQuery,
});

/**
 * POST /v1/classify query: `families` only, checked in the handler because the body's value wins over it
 * (a body that sets `families` makes a bad query value irrelevant, as before the schemas existed).
 */
export const ClassifyBatchQuery = z.object({
  families: z
    .string()
    .optional()
    .openapi({ type: 'integer', minimum: 0, maximum: MAX_FAMILIES, description: 'As `families` in the body, which wins when both are given.' }),
});

/** POST /v1/classify body: `{"domains": [...], "families"?: K}`; other keys are ignored. */
export const ClassifyBody = z
  .looseObject(
    {
      domains: z
        .array(
          z.unknown().openapi({
            type: 'string',
            description: 'A domain name. Each item is checked on its own: one that is not a valid name (or not a string) gets an `error` in its place in `results`.',
          }),
          { error: BODY_SHAPE },
        )
        .openapi({
          description: 'Names to classify, answered in input order; at most MAX_BATCH (default 1000) per request, otherwise 413 `too_many_domains`.',
          example: ['google.com', 'xjwqkzpvbn.net', 'bad_name.com'],
        }),
      families: z
        .union([z.int().min(0).max(MAX_FAMILIES), z.string(), z.null()], { error: (issue) => familiesErrorMessage(issue.input) })
        .refine((value) => familiesCount(value) !== undefined, { error: (issue) => familiesErrorMessage(issue.input) })
        .optional()
        .openapi({ description: FAMILIES_DESCRIPTION, example: 3 }),
    },
    { error: BODY_SHAPE },
  )
  .openapi('ClassifyRequest');

/** One family and its probability given that the name is a DGA name. */
export const FamilyScore = z
  .object({
    name: z.string().openapi({ example: 'conficker' }),
    probability: z.number().min(0).max(1).openapi({ example: 0.7258 }),
  })
  .openapi('FamilyScore');

/** The family reported for a DGA name: a known family, or "other" with the family it was nearest to. */
export const ReportedFamily = FamilyScore.extend({
  nearest: FamilyScore.optional().openapi({
    description:
      'Present when the name was called `other` because no known family reached the open-set cut-off (`familyMinProbability` in GET /v1/model): the closest known family. `probability` of `other` is then 1 - its probability.',
  }),
}).openapi('ReportedFamily');

/** One classified name. */
export const Classification = z
  .object({
    domain: z.string().openapi({ description: 'The input as given.', example: 'XJWQKZPVBN.net.' }),
    name: z.string().openapi({ description: 'Normalised name: lowercase, punycode, no trailing dot.', example: 'xjwqkzpvbn.net' }),
    scored: z.string().openapi({
      description:
        'The label the model saw: the one left of the public suffix (Public Suffix List with its private section, plus shared dynamic-DNS domains); for an internationalised label its Latin reading (accents off, other scripts dropped: xn--mnchen-3ya -> munchen); "" when the name was not scored (see `unscored`).',
      example: 'xjwqkzpvbn',
    }),
    score: z.number().min(0).max(1).openapi({ description: 'Probability that a DGA made the name.', example: 0.9927 }),
    dga: z.boolean().openapi({ description: '`score >= threshold` (the threshold in force, see GET /v1/model).' }),
    unscored: z.enum(['non_latin_label']).optional().openapi({
      description:
        'Present when the model did not run: `non_latin_label`, an internationalised label with no Latin letter or digit (e.g. 北京大学.cn). The model reads Latin characters only; such names get score 0 and dga false.',
    }),
    // `family` and `families` are described on Classification itself: a description here would land on
    // the shared FamilyScore component.
    family: ReportedFamily.optional(),
    families: z.array(FamilyScore).optional(),
  })
  .openapi('Classification', {
    description:
      'One classified name. `family` (most likely family) is present when `dga` is true and the model has a family head: a known family, or `other` (with `nearest`) when none is likely enough, as for families the model never saw; `families` (top-K, the head\'s own ranking of known families) when `families=K` was asked for.',
  });

/** A batch item that could not be classified; the rest of the batch is still answered. */
export const ItemError = z
  .object({
    domain: z.unknown().openapi({ description: 'The item as given.', example: 'bad_name.com' }),
    error: z.object({
      code: z.enum(ERROR_CODES).openapi({ example: 'invalid_domain' }),
      message: z.string().openapi({ example: 'label "bad_name" contains "_"; only letters, digits and hyphens are allowed' }),
    }),
  })
  .openapi('ItemError');

/** GET /v1/classify answer. */
export const ClassifyResponse = z.object({ model: ModelRef, result: Classification }).openapi('ClassifyResponse');

/** POST /v1/classify answer. */
export const ClassifyBatchResponse = z
  .object({ model: ModelRef, results: z.array(z.union([Classification, ItemError])).openapi({ description: 'One entry per input item, in input order.' }) })
  .openapi('ClassifyBatchResponse');
