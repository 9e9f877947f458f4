import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a loopback DoH server sends back for one request. */
export interface DohReply {
  status: number;
  contentType: string;
  body: Uint8Array;
  /** Milliseconds to wait before answering (a slow upstream). */
  delayMs?: number;
}

/** The parts of a request a reply function decides on. */
export interface DohRequest {
  method: string;
  contentType: string;
  body: Uint8Array;
}

export interface LoopbackDohServer {
  /** `http://127.0.0.1:<port>/dns-query` (any path is served), for DOH_UPSTREAM. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Serves `reply` over HTTP/1.1 on 127.0.0.1 and a free port: the fake DoH upstreams of the load test
 * (scripts/lib/local-doh-upstream.ts) and of the tests (test/fixtures/fake-doh-upstream.ts) differ only in
 * what they answer, so forwarded queries stay on this machine either way.
 */
export async function serveDohOnLoopback(reply: (request: DohRequest) => DohReply): Promise<LoopbackDohServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const r = reply({ method: req.method ?? 'GET', contentType: req.headers['content-type'] ?? '', body: new Uint8Array(Buffer.concat(chunks)) });
      const send = () => res.writeHead(r.status, { 'content-type': r.contentType, 'content-length': r.body.byteLength }).end(r.body);
      if (r.delayMs) setTimeout(send, r.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/dns-query`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
