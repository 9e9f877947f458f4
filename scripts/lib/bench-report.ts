import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Row } from './bench-util.js';

/** The table, its header facts, and a measure of how busy the rest of the machine was. */

export interface CpuCounters {
  wallMs: number;
  /** All CPUs' busy time, ms (/proc/stat). */
  machineBusyMs: number;
  /** This process and its reaped children (utime+stime+cutime+cstime), ms. */
  ownMs: number;
}

export function cpuCounters(): CpuCounters {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = cpu[3]! + cpu[4]!;
  const self = readFileSync('/proc/self/stat', 'utf8');
  const f = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number);
  return { wallMs: performance.now(), machineBusyMs: (total - idle) * 10, ownMs: (f[11]! + f[12]! + f[13]! + f[14]!) * 10 };
}

/** Average number of cores busy with other work (not this benchmark's process tree) between two readings. */
export function otherCores(a: CpuCounters, b: CpuCounters, liveChildrenMs = 0): number {
  return (b.machineBusyMs - a.machineBusyMs - (b.ownMs - a.ownMs) - liveChildrenMs) / (b.wallMs - a.wallMs);
}

export function gitDescribe(root: string): string {
  try {
    const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    return `${commit}${dirty ? ` + uncommitted changes (${dirty.split('\n').length} files)` : ''}`;
  } catch {
    return 'not a git checkout';
  }
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(rows: Row[]): string {
  const lines = ['| section | measure | value | how measured |', '|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${cell(r.section)} | ${cell(r.measure)} | ${cell(r.value)} | ${cell(r.how)} |`);
  return lines.join('\n');
}
