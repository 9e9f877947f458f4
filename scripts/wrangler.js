#!/usr/bin/env node
// Runs the project's pinned wrangler with the offline environment (scripts/wrangler-env.js).
// Usage: node scripts/wrangler.js <wrangler arguments...>
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { offlineEnv } from './wrangler-env.js';

const require = createRequire(import.meta.url);
const wranglerBin = require.resolve('wrangler/bin/wrangler.js');
const child = spawn(process.execPath, [wranglerBin, ...process.argv.slice(2)], { stdio: 'inherit', env: offlineEnv() });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
