/**
 * Hands a precompiled WebAssembly.Module to onnxruntime-web.
 *
 * Why this exists: Cloudflare Workers forbid compiling WebAssembly from bytes ("Wasm code generation
 * disallowed by embedder"), so the ORT .wasm must arrive as an imported, already compiled module (wrangler
 * rule "CompiledWasm"). ORT 1.30 offers no option that accepts a WebAssembly.Module or an instantiateWasm
 * hook; it only accepts bytes in `env.wasm.wasmBinary` and then calls `WebAssembly.instantiate(bytes,
 * imports)`. So ORT is given a recognisable placeholder as its "binary", and, only while ORT initialises,
 * `WebAssembly.instantiate` is wrapped so that the placeholder is swapped for the real module. Everything
 * else passes through untouched, and the original function is restored afterwards.
 *
 * Keep this workaround here and nowhere else; test/worker covers it end to end in workerd.
 */

/** 24 bytes no real wasm binary starts with (a wasm file starts with "\0asm"). */
const PLACEHOLDER_TEXT = 'dga-edge:wasm-placeholder';

/** Bytes to put in `env.wasm.wasmBinary` so ORT takes the "binary given" path without fetching. */
export function createWasmPlaceholder(): Uint8Array {
  return new TextEncoder().encode(PLACEHOLDER_TEXT);
}

function isPlaceholder(value: unknown): boolean {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) bytes = value;
  else if (value instanceof ArrayBuffer) bytes = new Uint8Array(value);
  else return false;
  if (bytes.length !== PLACEHOLDER_TEXT.length) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== PLACEHOLDER_TEXT.charCodeAt(i)) return false;
  return true;
}

/**
 * Runs `init` (ORT's initialisation) while WebAssembly.instantiate answers the placeholder with `module`.
 * Calls must not overlap; the adapter serialises initialisation behind one memoised promise.
 */
export async function withPrecompiledWasm<T>(module: WebAssembly.Module, init: () => Promise<T>): Promise<T> {
  const original = WebAssembly.instantiate;
  const patched = async function instantiate(source: unknown, imports?: WebAssembly.Imports) {
    if (isPlaceholder(source)) {
      // Given a Module, instantiate() resolves to an Instance; ORT passed bytes and expects the
      // { module, instance } pair that form returns.
      const instance = await original(module, imports);
      return { module, instance };
    }
    return original(source as BufferSource, imports);
  } as typeof WebAssembly.instantiate;
  WebAssembly.instantiate = patched;
  try {
    return await init();
  } finally {
    WebAssembly.instantiate = original;
  }
}
