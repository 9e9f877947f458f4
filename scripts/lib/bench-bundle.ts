import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { BenchError, log, type Row } from './bench-util.js';

/** Section 1: build the deployable bundle with `wrangler deploy --dry-run` and measure it. */

/** File extensions that are Worker modules (what wrangler uploads); README.md and .map files are not. */
export const MODULE_TYPES: Record<string, 'ESModule' | 'CompiledWasm' | 'Data' | 'Text'> = {
  '.js': 'ESModule',
  '.wasm': 'CompiledWasm',
  '.onnx': 'Data',
  '.svg': 'Text',
};

export interface Bundle {
  dir: string;
  /** Entry module first, as Miniflare needs it. */
  modules: { type: 'ESModule' | 'CompiledWasm' | 'Data' | 'Text'; path: string }[];
  files: { name: string; bytes: number; gzipBytes: number }[];
  rawBytes: number;
  gzipBytes: number;
  wrangler?: { rawKiB: number; gzipKiB: number };
  buildMs: number;
}

/**
 * Builds `root`'s Worker with its own wrangler and wrangler.toml into `outDir`. `entry` (a path) replaces
 * wrangler.toml's `main` for a bench-only build; the bundle's entry module is then `<entry's name>.js`.
 */
export async function buildBundle(root: string, outDir: string, entry?: string): Promise<Bundle> {
  log(`bundle: wrangler deploy --dry-run in ${root}${entry ? ` with entry ${entry}` : ''}`);
  const started = performance.now();
  let stdout = '';
  const entryJs = entry ? `${basename(entry).replace(/\.[cm]?[jt]s$/, '')}.js` : 'index.js';
  try {
    const args = ['scripts/wrangler.js', 'deploy', '--dry-run', '--outdir', outDir, ...(entry ? [entry] : [])];
    const result = await promisify(execFile)(process.execPath, args, {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 120_000,
    });
    stdout = `${result.stdout}\n${result.stderr}`;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new BenchError(`wrangler deploy --dry-run failed in ${root}: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  const buildMs = performance.now() - started;
  const names = (await readdir(outDir)).filter((f) => Object.keys(MODULE_TYPES).some((ext) => f.endsWith(ext)));
  if (!names.includes(entryJs)) throw new BenchError(`wrangler wrote no ${entryJs} to ${outDir}`);
  names.sort((a, b) => (a === entryJs ? -1 : b === entryJs ? 1 : a.localeCompare(b)));
  const files = [];
  for (const name of names) {
    const bytes = (await stat(join(outDir, name))).size;
    const gzipBytes = gzipSync(await readFile(join(outDir, name)), { level: 9 }).length;
    files.push({ name, bytes, gzipBytes });
  }
  const match = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(stdout);
  return {
    dir: outDir,
    modules: names.map((name) => ({ type: MODULE_TYPES[name.slice(name.lastIndexOf('.'))]!, path: join(outDir, name) })),
    files,
    rawBytes: files.reduce((a, f) => a + f.bytes, 0),
    gzipBytes: files.reduce((a, f) => a + f.gzipBytes, 0),
    wrangler: match ? { rawKiB: Number(match[1]), gzipKiB: Number(match[2]) } : undefined,
    buildMs,
  };
}

const kib = (bytes: number) => (bytes / 1024).toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

export function bundleRows(bundle: Bundle): Row[] {
  const largest = [...bundle.files].sort((a, b) => b.bytes - a.bytes);
  const parts = largest.map((f) => `${f.name.replace(/^[0-9a-f]{40}-/, '')} ${kib(f.bytes)}`).join(', ');
  const rows: Row[] = [
    {
      section: 'bundle',
      measure: 'raw / gzip (KiB)',
      value: `${kib(bundle.rawBytes)} / ${kib(bundle.gzipBytes)}`,
      how: `sum of the module files of \`wrangler deploy --dry-run --outdir\` (README.md, .map excluded); gzip = each file with zlib level 9, summed. Files (KiB raw): ${parts}`,
      data: bundle.files,
    },
  ];
  if (bundle.wrangler) {
    rows.push({
      section: 'bundle',
      measure: "raw / gzip, wrangler's figure (KiB)",
      value: `${bundle.wrangler.rawKiB.toLocaleString('en-US')} / ${bundle.wrangler.gzipKiB.toLocaleString('en-US')}`,
      how: "parsed from wrangler's \"Total Upload: X KiB / gzip: Y KiB\" line",
      data: bundle.wrangler,
    });
  }
  return rows;
}
