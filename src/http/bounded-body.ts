import { DgaEdgeError } from '../core/errors.js';

/**
 * Reads a request body, never holding more than `maxBytes` of it. A declared Content-Length over the limit
 * is refused before any byte is read; otherwise the stream is counted as it arrives and cancelled as soon as
 * it passes the limit. The count does not trust Content-Length, so a chunked body (no length) or a length
 * that understates the body cannot make the Worker buffer more than the limit. Throws `tooLarge()`, by
 * default DgaEdgeError payload_too_large (413).
 */
export async function readBoundedBytes(
  request: Request,
  maxBytes: number,
  tooLarge: () => Error = () => new DgaEdgeError('payload_too_large', `request body is larger than ${maxBytes} bytes`, 413),
): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  if (!request.body) return new Uint8Array(0);

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** readBoundedBytes, decoded as UTF-8 (413 payload_too_large over `maxBytes`). */
export async function readBoundedText(request: Request, maxBytes: number): Promise<string> {
  return new TextDecoder().decode(await readBoundedBytes(request, maxBytes));
}
