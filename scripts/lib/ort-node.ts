/**
 * onnxruntime-node, the native baseline for benchmarks and cross-checks, is an optional dependency: its
 * postinstall downloads extra files, which fails offline, and npm then leaves the package out. So it is
 * never imported statically; callers get it from here, or undefined, and skip what needs it. Its API is
 * onnxruntime-common's, the same as onnxruntime-web's, so those types describe it.
 * (`ONNXRUNTIME_NODE_INSTALL=skip npm ci` installs it; the CPU binary ships inside the npm package.)
 */
export type OrtNode = typeof import('onnxruntime-web');

export async function loadOrtNode(): Promise<OrtNode | undefined> {
  const specifier = 'onnxruntime-node'; // not a literal import: type-checks without the package
  try {
    return (await import(specifier)) as OrtNode;
  } catch {
    return undefined;
  }
}
