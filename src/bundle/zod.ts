// What `zod` resolves to in the Worker bundle (wrangler.toml [alias]): zod's classic API without its 64
// message translations. zod's own entry exports `z` as a namespace object that holds `z.locales` and
// `z.core.locales`; a namespace object keeps everything it holds, so esbuild cannot drop the translations
// (~366 KB) and every Worker start parses them. Here both `locales` are shadowed (an explicit export wins over
// `export *`; ./zod-external.ts, ./zod-core.ts), so only English, zod's default, is bundled. Node (tests,
// scripts, the CLI) uses zod itself; test/unit/zod-bundle.test.ts checks that both export the same names and
// test/worker/page.test.ts that the bundle has no translations left. The files are reached by relative
// path, not `zod/...`, because the alias would catch those too.
import * as z from './zod-external.js';

export * from './zod-external.js';
export { z, z as default };
