import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    bundleDir: string;
  }
}

/**
 * Builds the Worker exactly as `wrangler deploy` would (dry run, same wrangler.toml, committed model) once
 * per test run, so integration tests exercise the deployable bundle rather than a test-only build.
 */
export default async function buildBundle(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), 'dga-edge-bundle-'));
  await promisify(execFile)(process.execPath, ['scripts/wrangler.js', 'deploy', '--dry-run', '--outdir', dir], {
    maxBuffer: 16 * 1024 * 1024,
  });
  project.provide('bundleDir', dir);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
