import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadNodeClassifier } from '../../src/runtime/node-model.js';

/** Runs the CLI in-process with the given stdin and returns exit code and output. */
async function runCli(args: string[], stdin = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b) => out.push(b));
  stderr.on('data', (b) => err.push(b));
  const code = await main(args, { stdin: Readable.from([stdin]) as never, stdout: stdout as never, stderr: stderr as never });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('dga-edge classify', () => {
  it('prints one JSON object per input line, in order, with errors for bad lines', async () => {
    const { code, stdout } = await runCli(['classify'], 'google.com\nbad_name.com\n\nxjwqkzpvbn.net\r\nBücher.de\n');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.domain)).toEqual(['google.com', 'bad_name.com', '', 'xjwqkzpvbn.net', 'Bücher.de']);
    expect(lines[1].error.code).toBe('invalid_domain');
    expect(lines[2].error.code).toBe('invalid_domain');
    expect(lines[3]).toMatchObject({ name: 'xjwqkzpvbn.net', scored: 'xjwqkzpvbn', dga: expect.any(Boolean) });
    expect(lines[4].name).toBe('xn--bcher-kva.de');
  });

  it('gives the same results as the classifier the Worker uses, across internal batches', async () => {
    const names = Array.from({ length: 300 }, (_, i) => `n${(i * 7919).toString(36)}x.com`);
    const { stdout } = await runCli(['classify', '--batch', '7'], names.join('\n'));
    const cli = stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const direct = await (await loadNodeClassifier()).classify(names);
    expect(cli).toEqual(direct);
  });

  it('serves the int8 export by default and the float one on request, with the same verdicts', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `q${(i * 104729).toString(36)}z${i}.net`);
    const int8 = (await runCli(['classify'], names.join('\n'))).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const float = (await runCli(['classify', '--precision', 'float'], names.join('\n'))).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const defaultClassifier = await loadNodeClassifier();
    const floatClassifier = await loadNodeClassifier({ precision: 'float' });
    expect(defaultClassifier.variant).toBe('int8');
    expect(floatClassifier.variant).toBe('float');
    expect(int8).toEqual(await defaultClassifier.classify(names));
    expect(float).toEqual(await floatClassifier.classify(names));
    int8.forEach((r, i) => {
      expect(Math.abs(r.score - float[i].score)).toBeLessThanOrEqual(0.01); // issue 4's int8 target
      expect(r.dga).toBe(float[i].dga);
    });
    expect((await runCli(['classify', '--precision', 'int4'])).code).toBe(2);
  });

  it('reports "other" below the model\'s open-set cut-off, and the nearest family with --family-min-probability 0', async () => {
    const rule = JSON.parse((await runCli(['classify'], 'xjwqkzpvbnqwrtyp.net\n')).stdout);
    expect(rule.family).toMatchObject({ name: 'other', nearest: { name: expect.any(String) } });
    const off = JSON.parse((await runCli(['classify', '--family-min-probability', '0'], 'xjwqkzpvbnqwrtyp.net\n')).stdout);
    expect(off.family).toEqual(rule.family.nearest);
  });

  it('reads a file argument', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dga-cli-'));
    const file = join(dir, 'names.txt');
    await writeFile(file, 'example.com\nexample.org\n');
    const { code, stdout } = await runCli(['classify', file]);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toHaveLength(2);
  });

  it('fails with exit code 2 and a message on usage errors', async () => {
    expect((await runCli([])).code).toBe(2);
    expect((await runCli(['frobnicate'])).stderr).toMatch(/unknown command "frobnicate"/);
    expect((await runCli(['classify', '/no/such/file'])).stderr).toMatch(/cannot read input file/);
    expect((await runCli(['classify', '--batch', '0'])).code).toBe(2);
    expect((await runCli(['classify', '--threshold', '7'])).stderr).toMatch(/0\.\.1/);
    expect((await runCli(['classify', '--family-min-probability', '1'])).stderr).toMatch(/--family-min-probability must be a number in \[0, 1\)/);
    expect((await runCli(['classify', '--bogus'])).code).toBe(2);
  });

  it('fails with exit code 1 when the model cannot be loaded', async () => {
    const { code, stderr } = await runCli(['classify', '--model', '/no/such/model.onnx'], 'a.com\n');
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot load the model/);
  });

  it('runs as the installed bin script', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/dga-edge.js', '--help']);
    expect(stdout).toMatch(/Usage: dga-edge classify/);
  });
});
