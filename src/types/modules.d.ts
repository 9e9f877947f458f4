// Module types wrangler's rules give these imports (wrangler.toml [[rules]]).
declare module '*.onnx' {
  const bytes: ArrayBuffer; // rule type "Data"
  export default bytes;
}
declare module '*.wasm' {
  const module: WebAssembly.Module; // rule type "CompiledWasm"
  export default module;
}
declare module '*.svg' {
  const text: string; // rule type "Text": the model card's ROC plot, served at /roc.svg
  export default text;
}
