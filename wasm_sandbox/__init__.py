"""DeepMath: wasm_sandbox."""
