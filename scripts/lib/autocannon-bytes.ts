import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';

interface QueueEntry {
  body: string;
}
interface PipelinedRequestsQueue {
  prototype: { peek(): QueueEntry | undefined; addBody(data: Buffer): void };
}

let installed = false;

/**
 * Makes autocannon hand `onResponse` bodies that can be turned back into their exact bytes with
 * `Buffer.from(body, 'latin1')`. autocannon 9 collects a body with `entry.body += chunk`, which decodes
 * each chunk as UTF-8: a binary DNS answer loses every byte >= 0x80 (its flags byte among them) to U+FFFD.
 * Decoding as latin1 (one character per byte) keeps them; ASCII bodies such as this API's JSON read the same.
 * Patches autocannon's PipelinedRequestsQueue in this process once; throws if its shape is not the one
 * this was written for (autocannon 9.0.0), rather than silently measuring garbage.
 */
export function keepResponseBytes(): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  const queue = require(require.resolve('autocannon/lib/pipelinedRequestsQueue.js')) as PipelinedRequestsQueue;
  if (typeof queue?.prototype?.addBody !== 'function' || typeof queue.prototype.peek !== 'function') {
    throw new Error('autocannon internals changed: PipelinedRequestsQueue.addBody/peek not found; update scripts/lib/autocannon-bytes.ts');
  }
  queue.prototype.addBody = function addBody(data: Buffer) {
    const entry = this.peek();
    if (entry) entry.body += data.toString('latin1');
  };
  installed = true;
}

/** The bytes of a body collected after keepResponseBytes(). */
export function responseBytes(body: string): Uint8Array {
  return new Uint8Array(Buffer.from(body, 'latin1'));
}
