// The dropout-mask functions of the shared contract in shaders/philox.wgsl, as stubs that keep every
// element: a library for kernels that are also compiled without a dropout epilogue.
//
// shaders/matmul.wgsl is registered twice (shaders/index.ts): as `matmul_masked` with the Philox
// library, for products with dropout in their epilogue, and as `matmul` with these stubs, for every
// other product. Its DROPOUT pipeline constant already turns the mask off, but the Philox code would
// still be compiled into every plain pipeline, which made creating one several times slower on
// lavapipe; with the stubs a plain pipeline compiles as before. The host never sets DROPOUT on
// `matmul` (engine/ops/matmul.ts); if it did, every element would be kept.

fn dropout_words8(q: u32, seed: vec2<u32>, ctr: vec3<u32>) -> vec4<u32> {
  return vec4<u32>(0u);
}

fn dropout_keep_in(words: vec4<u32>, j: u32, threshold: u32) -> bool {
  return true;
}

fn dropout_keep_at(i: u32, seed: vec2<u32>, ctr: vec3<u32>, threshold: u32) -> bool {
  return true;
}
