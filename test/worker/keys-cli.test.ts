import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, parseDevVars, type KeysIo } from '../../scripts/keys.js';
import { startWorker } from './miniflare.js';

// `npm run keys` against the real Worker in workerd, listening on a local port like `npm start`.

const ADMIN_TOKEN = 'cli-test-admin-token';
let mf: Miniflare;
let url: string;
let cwd: string;

beforeAll(async () => {
  mf = await startWorker({ AUTH: 'on', ADMIN_TOKEN }, { host: '127.0.0.1', port: 0 });
  url = (await mf.ready).toString().replace(/\/$/, '');
  cwd = await mkdtemp(join(tmpdir(), 'dga-edge-keys-'));
  await writeFile(join(cwd, '.dev.vars'), `# local secrets\nADMIN_TOKEN="${ADMIN_TOKEN}"\n`);
});
afterAll(async () => {
  await mf?.dispose();
  await rm(cwd, { recursive: true, force: true });
});

async function keys(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: KeysIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { DGA_EDGE_URL: url }, cwd };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('npm run keys', () => {
  it('creates a key (printed once), lists, reports usage, exports and revokes', async () => {
    const created = await keys('create', '--plan', 'pro', '--label', 'acme');
    expect(created.code).toBe(0);
    const key = /\n {2}(dga_live_[A-Za-z0-9_-]{43})\n/.exec(created.stdout)?.[1];
    const id = /Created (key_[0-9a-f]{16})/.exec(created.stdout)?.[1];
    expect(key && id).toBeTruthy();

    const answer = await mf.dispatchFetch(`${url}/v1/classify?domain=example.com`, { headers: { authorization: `Bearer ${key}` } });
    expect(answer.status).toBe(200);
    await answer.text();

    const list = await keys('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^id +label +plan +created +revoked +hint\\n${id} +acme +pro +\\S+ +- +dga_live_`));
    expect(list.stdout).not.toContain(key);

    const usage = await keys('usage', id!, '--json');
    expect(JSON.parse(usage.stdout)).toMatchObject({ units: 1, requests: 1, key: { id, label: 'acme' } });

    const csv = await keys('export');
    expect(csv.stdout).toBe(`day,key_id,label,plan,units,requests\r\n${new Date().toISOString().slice(0, 10)},${id},acme,pro,1,1\r\n`);
    const out = join(cwd, 'usage.json');
    expect((await keys('export', '--format', 'json', '--out', out)).code).toBe(0);
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({ units: 1, rows: [{ keyId: id, units: 1 }] });

    const revoked = await keys('revoke', id!);
    expect(revoked.stdout).toMatch(new RegExp(`^Revoked ${id} \\("acme"\\) at `));
    const refused = await mf.dispatchFetch(`${url}/v1/classify?domain=example.com`, { headers: { authorization: `Bearer ${key}` } });
    expect(refused.status).toBe(401);
    await refused.text();
  });

  it('explains refusals and bad command lines with exit codes 1 and 2', async () => {
    expect(await keys('revoke', 'key_0000000000000000')).toMatchObject({ code: 1, stderr: expect.stringContaining('404 not_found') });
    expect(await keys('list', '--token', 'wrong')).toMatchObject({ code: 1, stderr: expect.stringContaining('invalid_admin_token') });
    expect(await keys('create')).toMatchObject({ code: 2, stderr: expect.stringContaining('--plan') });
    expect(await keys('create', '--plan', 'gold')).toMatchObject({ code: 1, stderr: expect.stringContaining('must be one of: free, pro, enterprise') });
    expect(await keys('frobnicate')).toMatchObject({ code: 2 });
    expect(await keys('list', '--url', 'http://127.0.0.1:9')).toMatchObject({ code: 1, stderr: expect.stringContaining('is `npm start` running?') });
    expect((await keys('--help')).stdout).toContain('Usage: npm run keys');
    expect(parseDevVars('A=1\n# B=2\nC = "three"\n')).toEqual({ A: '1', C: 'three' });
  });
});
