// The NaN/Inf guard (engine/train/guard.ts): finds non-finite f32 values (NaN, +Inf, −Inf) in a
// buffer, e.g. a model's whole gradient or parameter arena, without reading it back.
//
// The values are read as raw bits: a float is non-finite exactly when its 8 exponent bits are all
// ones. (A test such as `x != x` may be folded away by a compiler that assumes finite math.)
//
// status (u32 [3]) is shared by every dispatch of a run and keeps the FIRST dispatch that found
// anything: status[0] is that dispatch's tag (0 while nothing was found; the host gives each
// dispatch a distinct non-zero tag that encodes the step and the buffer), status[1] the smallest
// non-finite index it found (starts at 0xffffffff), status[2] how many it found. Later dispatches
// see a foreign tag and leave status alone, so the host learns where the trouble began.

struct Params {
  n: u32,    // elements to check
  tag: u32,  // this dispatch's tag (non-zero)
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> data: array<u32>;
@group(0) @binding(2) var<storage, read_write> status: array<atomic<u32>, 3>;

@compute @workgroup_size(WG)
fn find_nonfinite(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  if ((data[i] & 0x7f800000u) != 0x7f800000u) { return; }
  // Claim status for this dispatch unless an earlier one holds it (the weak exchange may fail
  // spuriously: retry while the tag is still 0).
  loop {
    let r = atomicCompareExchangeWeak(&status[0], 0u, params.tag);
    if (r.exchanged) { break; }
    if (r.old_value == 0u) { continue; }
    if (r.old_value != params.tag) { return; }
    break;
  }
  atomicMin(&status[1], i);
  atomicAdd(&status[2], 1u);
}
