#!/usr/bin/env node
// `npm start`: serves the Worker locally with wrangler dev on 127.0.0.1:8787 (PORT overrides the port),
// offline, on the committed model. /dns-query forwards to DOH_UPSTREAM from the environment; unset, it
// points at a closed local port, so allowed names answer SERVFAIL (EDE 22) instead of reaching the internet.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { offlineEnv } from './wrangler-env.js';

const port = process.env.PORT ?? '8787';
if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
  console.error(`npm start: PORT must be a TCP port number, got "${port}"`);
  process.exit(2);
}
const require = createRequire(import.meta.url);
const wranglerBin = require.resolve('wrangler/bin/wrangler.js');
const upstream = process.env.DOH_UPSTREAM || 'http://127.0.0.1:9/dns-query';
if (!process.env.DOH_UPSTREAM) {
  console.error('npm start: /dns-query forwards nowhere (DOH_UPSTREAM unset); e.g. DOH_UPSTREAM=https://cloudflare-dns.com/dns-query npm start');
}
const args = ['dev', '--ip', '127.0.0.1', '--port', port, '--local', '--var', `DOH_UPSTREAM:${upstream}`, ...process.argv.slice(2)];
const child = spawn(process.execPath, [wranglerBin, ...args], { stdio: 'inherit', env: offlineEnv() });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
