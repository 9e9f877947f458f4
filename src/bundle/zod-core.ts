// `z.core` for the Worker bundle: zod's core without its message translations (see ./zod.ts).
export * from '../../node_modules/zod/v4/core/index.js';

/** Left out of the bundle (see ./zod.ts). */
export const locales = {};
