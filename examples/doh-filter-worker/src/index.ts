// An example Worker that embeds the dga-edge library as a DNS-over-HTTPS filter in front of your own
// resolver: `decide` says block (and hands over the complete answer) or forward (and you forward).
// Build: npx wrangler deploy --dry-run --config examples/doh-filter-worker/wrangler.toml --outdir /tmp/example
import { createDgaFilter, DgaEdgeError } from 'dga-edge';
// wrangler resolves .wasm and .onnx imports by relative path only (not through package exports), so they
// point into node_modules; in your project: ../node_modules/dga-edge/model/dga.int8.onnx and
// ../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm.
import wasm from '../../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
import model from '../../../model/dga.int8.onnx'; // int8 weights; same scores as model/dga.onnx
import metadata from '../../../model/metadata.json';

interface Env {
  /** Your resolver's DoH URL. */
  UPSTREAM: string;
}

// Built once per isolate while the script loads, so the first query does not wait for the model.
const filter = await createDgaFilter({
  model,
  wasm,
  metadata,
  blockMode: 'nxdomain',
  allow: ['*.corp.example'], // never blocked
  deny: ['*.evil.example'], // always blocked
});

const DNS_MESSAGE = 'application/dns-message';

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/classify') {
      return Response.json(await filter.classify(url.searchParams.getAll('name')));
    }
    if (url.pathname !== '/dns-query' || request.method !== 'POST') {
      return new Response('POST application/dns-message to /dns-query, or GET /classify?name=...\n', { status: 404 });
    }
    const query = new Uint8Array(await request.arrayBuffer());
    try {
      const decision = await filter.decide(query);
      if (decision.action === 'block') {
        console.log(`blocked: ${decision.reason}`);
        return new Response(decision.response, {
          headers: { 'content-type': DNS_MESSAGE, 'content-length': String(decision.response.byteLength), 'cache-control': `max-age=${decision.ttl}` },
        });
      }
    } catch (error) {
      if (error instanceof DgaEdgeError) return new Response(`${error.code}: ${error.message}\n`, { status: error.status });
      throw error;
    }
    // Not blocked: your own forwarding (or use filter.resolve(query) / filter.fetch(request) with `upstream`).
    return fetch(env.UPSTREAM, { method: 'POST', headers: { 'content-type': DNS_MESSAGE, accept: DNS_MESSAGE }, body: query });
  },
};
