#!/usr/bin/env -S npx tsx
// `npm run keys -- <command>`: manage API keys and export usage through the Worker's admin API.
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlagsAndOperands, UsageError } from './lib/cli-flags.js';

const DEFAULT_URL = 'http://127.0.0.1:8787';

const USAGE = `Usage: npm run keys -- <command> [options]

Manages the pay-per-request endpoint's API keys through the Worker's admin API. By default it talks to
the local Worker of \`npm start\` (wrangler dev, whose Durable Objects keep their data in .wrangler/state);
--url points it at a deployed Worker.

Commands:
  create --plan PLAN [--label TEXT]   create a key; prints the key ONCE (only its SHA-256 is stored)
  list                                list keys: id, label, plan, created, revoked (no secrets)
  revoke ID                           revoke a key; requests with it answer 401 from then on
  usage ID                            a key's units in the current period (calendar month, UTC), per day
  export [--from DAY] [--to DAY] [--format csv|json] [--out FILE]
                                      units per key per UTC day for billing (default: this month, csv)

Options:
  --url URL      the Worker (default: $DGA_EDGE_URL or ${DEFAULT_URL})
  --token TOKEN  admin token (default: $ADMIN_TOKEN; for a local URL also ADMIN_TOKEN in .dev.vars)
  --json         machine-readable output (create, list, revoke, usage)
  -h, --help     this text

Exit codes: 0 done, 1 the Worker refused or could not be reached, 2 bad command line.
Deployed Worker: \`npx wrangler secret put ADMIN_TOKEN\`, then
  ADMIN_TOKEN=... npm run keys -- list --url https://dga-edge.<account>.workers.dev`;

export interface KeysIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Directory holding .dev.vars (the project root). */
  cwd: string;
}

class ApiError extends Error {}

/** Reads KEY=VALUE lines (the .dev.vars format wrangler dev uses); quotes around a value are removed. */
export function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    vars[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return vars;
}

function isLocal(url: string): boolean {
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

async function adminToken(flag: string | undefined, url: string, io: KeysIo): Promise<string> {
  if (flag) return flag;
  if (io.env.ADMIN_TOKEN) return io.env.ADMIN_TOKEN;
  if (isLocal(url)) {
    try {
      const token = parseDevVars(await readFile(resolve(io.cwd, '.dev.vars'), 'utf8')).ADMIN_TOKEN;
      if (token) return token;
    } catch {
      // no .dev.vars: fall through to the explanation below
    }
  }
  throw new UsageError(
    'no admin token: pass --token, set ADMIN_TOKEN, or (for npm start) put a line ADMIN_TOKEN=<random secret> in .dev.vars and restart npm start',
  );
}

function table(rows: Record<string, string>[], columns: string[]): string {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join('\n') + '\n';
}

/** Runs the command; resolves to the exit code (0 ok, 1 refused/unreachable, 2 usage error). */
export async function main(argv: string[], io: KeysIo = defaultIo()): Promise<number> {
  let parsed;
  try {
    parsed = parseFlagsAndOperands(argv, {
      url: { type: 'string' },
      token: { type: 'string' },
      plan: { type: 'string' },
      label: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'csv' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    });
  } catch (error) {
    io.stderr(`keys: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, operands: positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    (command === undefined && !values.help ? io.stderr : io.stdout)(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  const url = (values.url ?? io.env.DGA_EDGE_URL ?? DEFAULT_URL).replace(/\/+$/, '');

  try {
    try {
      new URL(url);
    } catch {
      throw new UsageError(`--url must be a URL such as ${DEFAULT_URL}, got "${url}"`);
    }
    const token = await adminToken(values.token, url, io);
    const api = async (method: string, path: string, body?: unknown): Promise<Response> => {
      let response: Response;
      try {
        response = await fetch(`${url}/v1/admin${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        const hint = isLocal(url) ? ' (is `npm start` running?)' : '';
        throw new ApiError(`cannot reach ${url}${hint}: ${(error as Error).cause ?? (error as Error).message}`);
      }
      if (!response.ok) {
        const text = await response.text();
        let detail = text.slice(0, 300);
        try {
          const { error } = JSON.parse(text) as { error: { code: string; message: string } };
          detail = `${error.code}: ${error.message}`;
        } catch {
          // not our error envelope (e.g. a proxy's page): show the start of it
        }
        throw new ApiError(`${method} ${url}/v1/admin${path} answered ${response.status} ${detail}`);
      }
      return response;
    };
    const arg = (name: string) => {
      const value = rest[0];
      if (!value) throw new UsageError(`${command} needs ${name}, e.g. npm run keys -- ${command} key_0123456789abcdef`);
      return encodeURIComponent(value);
    };

    switch (command) {
      case 'create': {
        if (!values.plan) throw new UsageError('create needs --plan, e.g. npm run keys -- create --plan pro --label "acme"');
        const created = (await (await api('POST', '/keys', { plan: values.plan, label: values.label ?? '' })).json()) as Record<string, string>;
        if (values.json) {
          io.stdout(`${JSON.stringify(created)}\n`);
        } else {
          io.stdout(
            `Created ${created.id} (plan ${created.plan}, label "${created.label}") on ${url}.\n` +
              `API key, shown only this once (only its SHA-256 is stored):\n\n  ${created.key}\n\n` +
              `Send it as "Authorization: Bearer <key>".\n`,
          );
        }
        return 0;
      }
      case 'list': {
        const { keys } = (await (await api('GET', '/keys')).json()) as { keys: Record<string, string | null>[] };
        if (values.json) io.stdout(`${JSON.stringify(keys)}\n`);
        else if (keys.length === 0) io.stdout(`no keys on ${url}\n`);
        else {
          const rows = keys.map((k) => ({ id: k.id!, label: k.label!, plan: k.plan!, created: k.created!, revoked: k.revoked ?? '-', hint: k.hint! }));
          io.stdout(table(rows, ['id', 'label', 'plan', 'created', 'revoked', 'hint']));
        }
        return 0;
      }
      case 'revoke': {
        const revoked = (await (await api('POST', `/keys/${arg('a key id')}/revoke`)).json()) as Record<string, string>;
        io.stdout(values.json ? `${JSON.stringify(revoked)}\n` : `Revoked ${revoked.id} ("${revoked.label}") at ${revoked.revoked}.\n`);
        return 0;
      }
      case 'usage': {
        const usage = (await (await api('GET', `/keys/${arg('a key id')}/usage`)).json()) as {
          key: Record<string, string | null>;
          period: { month: string; resetsAt: string };
          units: number;
          requests: number;
          limit: number | null;
          days: { day: string; units: number; requests: number }[];
        };
        if (values.json) {
          io.stdout(`${JSON.stringify(usage)}\n`);
          return 0;
        }
        const limit = usage.limit === null ? 'plan no longer defined' : `${usage.limit} (${usage.limit - usage.units} left)`;
        io.stdout(
          `${usage.key.id} ("${usage.key.label}", plan ${usage.key.plan}${usage.key.revoked ? `, revoked ${usage.key.revoked}` : ''})\n` +
            `period ${usage.period.month}: ${usage.units} units in ${usage.requests} requests; quota ${limit}; resets ${usage.period.resetsAt}\n`,
        );
        if (usage.days.length > 0) {
          io.stdout(table(usage.days.map((d) => ({ day: d.day, units: String(d.units), requests: String(d.requests) })), ['day', 'units', 'requests']));
        }
        return 0;
      }
      case 'export': {
        if (values.format !== 'csv' && values.format !== 'json') throw new UsageError(`--format must be csv or json, got "${values.format}"`);
        const query = new URLSearchParams({ format: values.format });
        if (values.from) query.set('from', values.from);
        if (values.to) query.set('to', values.to);
        const text = await (await api('GET', `/usage/export?${query}`)).text();
        const output = values.format === 'json' ? `${JSON.stringify(JSON.parse(text), null, 2)}\n` : text;
        if (values.out) {
          await writeFile(values.out, output);
          io.stderr(`keys: wrote ${values.out}\n`);
        } else {
          io.stdout(output);
        }
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"; commands: create, list, revoke, usage, export`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`keys: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ApiError) {
      io.stderr(`keys: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function defaultIo(): KeysIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`keys: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
