// Running training metrics for losses other than softmax cross-entropy (engine/train/losses.ts).
//
// The training loop keeps one small accumulator on the GPU, (loss sum, correct count, rows), and
// reads it back only every so many steps. Softmax cross-entropy fills it from the logits
// (softmax_xent.wgsl `xent_metrics`, which also counts argmax hits); any other loss is a scalar Var
// (the minibatch mean) by the time it exists, so this kernel adds mean · rows and the row count.
// With binary cross-entropy, `binary_hits` also counts the predictions on the right side of 0.
//
// One invocation: a handful of additions per step, not worth a workgroup.

struct Params {
  rows: u32,   // rows in the minibatch
  cols: u32,   // outputs per row (binary_hits only)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> loss: array<f32>;          // [1]: the minibatch's mean loss
@group(0) @binding(2) var<storage, read_write> out: array<f32>;     // [3]: loss sum, hits, rows

@compute @workgroup_size(1)
fn accumulate_loss() {
  out[0] += loss[0] * f32(params.rows);
  out[2] += f32(params.rows);
}

@group(0) @binding(3) var<storage, read> logits: array<f32>;        // [rows · cols]
@group(0) @binding(4) var<storage, read> targets: array<f32>;       // [rows · cols], in [0, 1]

// Binary classification: an output is a hit when the logit's side of 0 matches the target's side
// of ½; the hit count is over every output (rows · cols), and so is the row count it is divided by.
@compute @workgroup_size(1)
fn binary_hits() {
  let n = params.rows * params.cols;
  var hits = 0.0;
  for (var i = 0u; i < n; i++) {
    hits += select(0.0, 1.0, (logits[i] > 0.0) == (targets[i] > 0.5));
  }
  out[0] += loss[0] * f32(n);
  out[1] += hits;
  out[2] += f32(n);
}
