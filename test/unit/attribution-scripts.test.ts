import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = ['--import', 'tsx', 'scripts/open-set.ts'];

describe('scripts/open-set.ts (open-set attribution, measured)', () => {
  it('prints, per tau, the seen families attributed right and the held-out names sent to "other"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dga-openset-'));
    await writeFile(join(dir, 'test.tsv'), ['google.com\t0\tbenign', 'xjwqkzpvbnqwrtyp.net\t1\tconficker', 'liaztued.bazar\t1\tbazarbackdoor'].join('\n') + '\n');
    await writeFile(join(dir, 'holdout.tsv'), ['qpwoeirutyalskdj.com\t1\tneverseen', 'zmxncbvlaksjdhfg.org\t1\tneverseen'].join('\n') + '\n');
    const args = [...SCRIPT, '--model', 'model/dga.int8.onnx', '--metadata', 'model/metadata.json', '--test', join(dir, 'test.tsv'), '--holdout', join(dir, 'holdout.tsv')];
    const { stdout } = await run(process.execPath, [...args, '--tau', '0,0.99'], { cwd: ROOT });
    expect(stdout).toMatch(/^2 DGA names of seen families, 2 of held-out families \(neverseen\)/);
    // tau 0 never says "other"; tau 0.99 says it for every name whose top family is below 0.99
    expect(stdout).toMatch(/tau 0: seen families attributed right [\d.]+%; held-out names -> "other" [\d.]+% \(neverseen [\d.]+%\)/);
    expect(stdout).toMatch(/tau 0\.99: .*held-out names -> "other" [\d.]+%/);
    expect(stdout).toMatch(/held-out families are mostly called: neverseen -> \w+ \(\d+%\)/);
    const bad = await run(process.execPath, [...args, '--tau', '1.5'], { cwd: ROOT }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/--tau must list numbers in \[0, 1\)/);
    const missing = await run(process.execPath, [...SCRIPT, '--model', 'nope.onnx', '--metadata', 'model/metadata.json', '--test', 'x', '--holdout', 'y'], { cwd: ROOT }).catch((e: { code: number; stderr: string }) => e);
    expect((missing as { stderr: string }).stderr).toMatch(/--model nope.onnx: no such file/);
  });
});

describe('scripts/suffix-prior-by-source.ts (the suffix prior across list sources)', () => {
  it('prints one row per DGA source: head alone, prior from the other sources, served prior', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dga-bysource-'));
    await mkdir(join(dir, 'benign'), { recursive: true });
    await mkdir(join(dir, 'dga', 'feed_a'), { recursive: true });
    await mkdir(join(dir, 'dga', 'feed_b'), { recursive: true });
    await writeFile(join(dir, 'benign', 'top.txt'), 'google.com\nwikipedia.org\n');
    await writeFile(join(dir, 'dga', 'feed_a', 'conficker.txt'), 'xjwqkzpvbn.ws\nqwmfhtkdpl.cc\nfhtkpqmzrw.ws\n');
    await writeFile(join(dir, 'dga', 'feed_b', 'conficker.txt'), 'kdjfhgqwer.ws\npqowieuryt.cn\n');
    await writeFile(join(dir, 'dga', 'feed_b', 'ramnit.txt'), 'yynhbwtucfcvd.com\n');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/suffix-prior-by-source.ts', '--data', dir, '--per-file', '2'], { cwd: ROOT });
    expect(stdout).toMatch(/^\| source \| names \| head alone \| prior from the other sources \| served prior \|/);
    expect(stdout).toMatch(/\| feed_a \| 2 \| [\d.]+% \| [\d.]+% \| [\d.]+% \|/);
    expect(stdout).toMatch(/\| feed_b \| 3 \| [\d.]+% \| [\d.]+% \| [\d.]+% \|/); // 2 of conficker, 1 of ramnit
    const bad = await run(process.execPath, ['--import', 'tsx', 'scripts/suffix-prior-by-source.ts'], { cwd: ROOT }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/--data is required/);
  });
});
