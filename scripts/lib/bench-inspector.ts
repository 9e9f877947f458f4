import { createRequire } from 'node:module';
import { withTimeout } from './bench-util.js';

/**
 * The JS heap of a Worker, read over the V8 inspector that workerd opens when Miniflare / wrangler dev
 * are given an inspector port: `Runtime.getHeapUsage` on the Worker's target (used and total JS heap;
 * wasm memories and other ArrayBuffer backing stores are outside it).
 */

interface MinimalWebSocket {
  on(event: 'open' | 'close', cb: () => void): void;
  on(event: 'message', cb: (data: Buffer) => void): void;
  on(event: 'error', cb: (error: Error) => void): void;
  send(data: string): void;
  close(): void;
}

export interface HeapUsage {
  usedMiB: number;
  totalMiB: number;
  /** With `collectGarbage`: used after a full GC, read in the same inspector session. */
  usedAfterGcMiB?: number;
  target: string;
}

/**
 * `collectGarbage`: after the plain reading, run a full GC (HeapProfiler.collectGarbage) and read again in
 * the same session (workerd's inspector takes one session at a time), so `usedAfterGcMiB` is what is still
 * reachable rather than whatever garbage the last GC left: the reading that tells a leak from a lazy collector.
 */
export async function workerHeapUsage(inspectorPort: number, preferTitle?: RegExp, options: { collectGarbage?: boolean } = {}): Promise<HeapUsage> {
  return withTimeout(readHeap(inspectorPort, preferTitle, options.collectGarbage ?? false), options.collectGarbage ? 30_000 : 10_000, 'reading the JS heap over the inspector');
}

async function readHeap(inspectorPort: number, preferTitle: RegExp | undefined, collectGarbage: boolean): Promise<HeapUsage> {
  const response = await fetch(`http://127.0.0.1:${inspectorPort}/json`);
  const targets = (await response.json()) as { title?: string; id?: string; webSocketDebuggerUrl?: string }[];
  const usable = targets.filter((t) => t.webSocketDebuggerUrl);
  const target = (preferTitle && usable.find((t) => preferTitle.test(t.title ?? ''))) || usable[0];
  if (!target) throw new Error(`no inspector target on port ${inspectorPort}`);
  // ws is miniflare's and wrangler's own WebSocket client (Node 20 has no global WebSocket).
  const require = createRequire(import.meta.url);
  const WebSocket = require('ws') as new (url: string) => MinimalWebSocket;
  const socket = new WebSocket(target.webSocketDebuggerUrl!);
  try {
    type Usage = { usedSize: number; totalSize: number };
    const result = await new Promise<{ before: Usage; after?: Usage }>((resolve, reject) => {
      let before: Usage | undefined;
      const send = (id: number, method: string) => socket.send(JSON.stringify({ id, method }));
      socket.on('error', reject);
      socket.on('open', () => send(1, 'Runtime.getHeapUsage'));
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { id?: number; result?: Usage; error?: { message: string } };
        if (message.id === 1) {
          if (!message.result) return reject(new Error(message.error?.message ?? 'Runtime.getHeapUsage failed'));
          before = message.result;
          if (!collectGarbage) return resolve({ before });
          return send(2, 'HeapProfiler.collectGarbage');
        }
        if (message.id === 2) return message.error ? resolve({ before: before! }) : send(3, 'Runtime.getHeapUsage');
        if (message.id === 3) resolve({ before: before!, after: message.result });
      });
    });
    return {
      usedMiB: result.before.usedSize / 2 ** 20,
      totalMiB: result.before.totalSize / 2 ** 20,
      ...(result.after ? { usedAfterGcMiB: result.after.usedSize / 2 ** 20 } : {}),
      target: target.title ?? target.id ?? '?',
    };
  } finally {
    socket.close();
  }
}
