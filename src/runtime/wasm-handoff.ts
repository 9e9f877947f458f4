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
 * The linear memory of an instance: exported, or (Emscripten's threaded builds) passed in through the
 * imports. It is outside the JS heap, so memory figures must add it.
 */
function memoryOf(instance: WebAssembly.Instance, imports: WebAssembly.Imports | undefined): WebAssembly.Memory | undefined {
  for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) return value;
  for (const namespace of Object.values(imports ?? {})) {
    for (const value of Object.values(namespace)) if (value instanceof WebAssembly.Memory) return value;
  }
  return undefined;
}

/**
 * Runs `init` (ORT's initialisation) while WebAssembly.instantiate answers the placeholder with `module`
 * (when `module` is given; Node passes real bytes and only the observation applies). `onMemory` receives
 * the linear memory of whatever is instantiated meanwhile, so the adapter can report its size.
 * Calls must not overlap; the adapter serialises initialisation behind one memoised promise.
 */
export async function withPrecompiledWasm<T>(
  module: WebAssembly.Module | undefined,
  init: () => Promise<T>,
  onMemory?: (memory: WebAssembly.Memory) => void,
): Promise<T> {
  const original = WebAssembly.instantiate;
  const observe = (instance: WebAssembly.Instance, imports: WebAssembly.Imports | undefined) => {
    const memory = memoryOf(instance, imports);
    if (memory && onMemory) onMemory(memory);
  };
  const patched = async function instantiate(source: unknown, imports?: WebAssembly.Imports) {
    if (module && isPlaceholder(source)) {
      // Given a Module, instantiate() resolves to an Instance; ORT passed bytes and expects the
      // { module, instance } pair that form returns.
      const instance = await original(module, imports);
      observe(instance, imports);
      return { module, instance };
    }
    const result = (await original(source as BufferSource, imports)) as unknown;
    observe(result instanceof WebAssembly.Instance ? result : (result as { instance: WebAssembly.Instance }).instance, imports);
    return result;
  } as typeof WebAssembly.instantiate;
  WebAssembly.instantiate = patched;
  try {
    return await init();
  } finally {
    WebAssembly.instantiate = original;
  }
}
