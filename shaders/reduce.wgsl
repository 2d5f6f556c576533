// Deterministic whole-tensor reductions in two passes (no atomics): the first writes one partial per
// workgroup into a scratch tensor, the second sums the partials in one workgroup. Each invocation adds a
// short strided run serially (at most ~n / 2^20 values, ~100 for BERT-base's 110M parameters), then
// workgroup-memory trees pair the rest, so fp32 rounding grows like a pairwise sum (~1e-7 relative).
// And gradient clipping by a norm that stays on the device.
//
// sum_partials / sumsq_partials: scratch[g] (overwritten) = sum (of squares) of inp[i] over
//   i = g * 256 + lid + k * groups * 256, for each workgroup g of the grid
//   binding 1 scratch: array<f32>, groups    binding 2 inp: array<f32>, n
//   Dispatch: groups = min(4096, ceil(n / 256)) workgroups of 256 (1-D; see reduceScratchSize).
// sum_final: out[0] (overwritten) = scale * sum(scratch[0..groups))
// norm_final: out[0] (overwritten) = sqrt(sum(scratch[0..groups)))
//   binding 1 out: array<f32>, 1    binding 2 scratch: array<f32>, groups
//   Dispatch: one workgroup of 256.
// clip_gradients: grads[n] (in place) *= coef where coef = max_norm / (norm[0] + 1e-6) < 1
//   binding 1 grads: array<f32>, n    binding 2 norm: array<f32>, 1
//   Dispatch: ceil(n / 256) groups of 256, folded into a 2-D grid (see grid1d).

struct Params { n: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;

const WG: u32 = 256u;

var<workgroup> wg_sum: array<f32, WG>;

// Pairwise tree over the workgroup's 256 values; every invocation gets the total.
fn tree_sum(lid: u32, value: f32) -> f32 {
  wg_sum[lid] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { wg_sum[lid] += wg_sum[lid + stride]; }
    workgroupBarrier();
  }
  return wg_sum[0];
}

@group(0) @binding(1) var<storage, read_write> part_scratch: array<f32>;
@group(0) @binding(2) var<storage, read> part_inp: array<f32>;

@compute @workgroup_size(WG)
fn sum_partials(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  var acc = 0.0;
  for (var i = wid.x * WG + lid; i < p.n; i += groups.x * WG) { acc += part_inp[i]; }
  let total = tree_sum(lid, acc);
  if (lid == 0u) { part_scratch[wid.x] = total; }
}

@compute @workgroup_size(WG)
fn sumsq_partials(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  var acc = 0.0;
  for (var i = wid.x * WG + lid; i < p.n; i += groups.x * WG) {
    let x = part_inp[i];
    acc += x * x;
  }
  let total = tree_sum(lid, acc);
  if (lid == 0u) { part_scratch[wid.x] = total; }
}

@group(0) @binding(1) var<storage, read_write> final_out: array<f32>;
@group(0) @binding(2) var<storage, read> final_scratch: array<f32>;

// Params.n here is the number of partials.
fn sum_scratch(lid: u32) -> f32 {
  var acc = 0.0;
  for (var i = lid; i < p.n; i += WG) { acc += final_scratch[i]; }
  return tree_sum(lid, acc);
}

@compute @workgroup_size(WG)
fn sum_final(@builtin(local_invocation_index) lid: u32) {
  let total = sum_scratch(lid);
  if (lid == 0u) { final_out[0] = p.scale * total; }
}

@compute @workgroup_size(WG)
fn norm_final(@builtin(local_invocation_index) lid: u32) {
  let total = sum_scratch(lid);
  if (lid == 0u) { final_out[0] = sqrt(total); }
}

@group(0) @binding(1) var<storage, read_write> clip_grads: array<f32>;
@group(0) @binding(2) var<storage, read> clip_norm: array<f32>;

// Params.scale here is max_norm.
@compute @workgroup_size(WG)
fn clip_gradients(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= p.n) { return; }
  let coef = p.scale / (clip_norm[0] + 1e-6);
  if (coef < 1.0) { clip_grads[i] *= coef; }
}
