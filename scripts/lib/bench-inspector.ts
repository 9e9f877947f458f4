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
  target: string;
}

export async function workerHeapUsage(inspectorPort: number, preferTitle?: RegExp): Promise<HeapUsage> {
  return withTimeout(readHeap(inspectorPort, preferTitle), 10_000, 'reading the JS heap over the inspector');
}

async function readHeap(inspectorPort: number, preferTitle?: RegExp): Promise<HeapUsage> {
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
    const result = await new Promise<{ usedSize: number; totalSize: number }>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('open', () => socket.send(JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage' })));
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { id?: number; result?: { usedSize: number; totalSize: number }; error?: { message: string } };
        if (message.id !== 1) return;
        if (message.result) resolve(message.result);
        else reject(new Error(message.error?.message ?? 'Runtime.getHeapUsage failed'));
      });
    });
    return { usedMiB: result.usedSize / 2 ** 20, totalMiB: result.totalSize / 2 ** 20, target: target.title ?? target.id ?? '?' };
  } finally {
    socket.close();
  }
}
