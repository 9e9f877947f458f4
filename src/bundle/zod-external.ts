// zod's classic API (what `z` holds) without its message translations: see ./zod.ts.
export * from '../../node_modules/zod/v4/classic/external.js';
export * as core from './zod-core.js';

/** Left out of the bundle (see ./zod.ts); zod's default English messages stay. */
export const locales = {};
