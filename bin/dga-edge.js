#!/usr/bin/env node
// Entry point of the `dga-edge` command. The CLI is TypeScript sharing src/core with the Worker; tsx
// compiles it on the fly so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
