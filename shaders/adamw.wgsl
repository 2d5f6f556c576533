// One AdamW step with torch.optim.AdamW semantics, in place. The host derives the per-step scalars in
// float64 (decay = 1 - lr * weight_decay, step_size = lr / (1 - beta1^step), inv_sqrt_bc2 =
// 1 / sqrt(1 - beta2^step)), so the bias corrections cost nothing here and stay exact for any step.
// Ranges that must not decay (biases, LayerNorm) are separate dispatches with weight_decay = 0.
//
// adamw_update: for i < n, in place on params, m and v (nothing accumulated, nothing overwritten fresh):
//   p = p * decay; m = beta1 * m + (1 - beta1) * g; v = beta2 * v + (1 - beta2) * g^2;
//   p -= step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps)
//   binding 1 params: array<f32>, n    binding 2 grads: array<f32>, n (read only)
//   binding 3 m: array<f32>, n         binding 4 v: array<f32>, n
// Dispatch: ceil(n / 256) groups of 256, folded into a 2-D grid (see grid1d).

struct Params {
  n: u32,
  decay: f32,
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  step_size: f32,
  inv_sqrt_bc2: f32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn adamw_update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  let g = grads[i];
  let mi = p.beta1 * m[i] + p.one_minus_beta1 * g;
  let vi = p.beta2 * v[i] + p.one_minus_beta2 * g * g;
  m[i] = mi;
  v[i] = vi;
  params[i] = params[i] * p.decay - p.step_size * mi / (sqrt(vi) * p.inv_sqrt_bc2 + p.eps);
}

// adamw_multi: the same step over every tensor of a flat buffer (or a chunk of one) in one dispatch,
// with gradient clipping and loss unscaling folded in: each gradient enters as g * unscale * clip,
//   clip = max_norm / (norm[0] * unscale + 1e-6) when that is below 1, else 1 (also when NaN),
// and the parameter decays by `decay` only where offset + i lies in one of the sorted, disjoint
// [start, end) pairs of `ranges` (elsewhere by 1: weight_decay 0). In place on params, m and v.
//   binding 1 params: array<f32>, n    binding 2 grads: array<f32>, n (read only)
//   binding 3 m: array<f32>, n         binding 4 v: array<f32>, n
//   binding 5 norm: array<f32>, 1 (the L2 norm of the stored gradients, read only)
//   binding 6 ranges: array<u32>, 2 * range_count (read only)
// Dispatch: ceil(n / (256 * TILE)) groups of 256, folded into a 2-D grid (see grid1d). Each workgroup
// updates TILE * 256 consecutive elements, thread t elements t, t + 256, ...; each thread
// binary-searches the table once for the workgroup's first element, then walks forward. Measured on
// lavapipe (bert-base's 74 decay ranges, 8M elements, best of 9): a binary search per element 284 ms,
// TILE 1 281, TILE 4 160, TILE 8 156, TILE 16 170; adamw_update without table or clip 105.

struct MultiParams {
  n: u32,
  offset: u32,
  range_count: u32,
  decay: f32,
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  step_size: f32,
  inv_sqrt_bc2: f32,
  eps: f32,
  max_norm: f32,
  unscale: f32,
}

@group(0) @binding(0) var<uniform> mp: MultiParams;
@group(0) @binding(1) var<storage, read_write> multi_params: array<f32>;
@group(0) @binding(2) var<storage, read> multi_grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> multi_m: array<f32>;
@group(0) @binding(4) var<storage, read_write> multi_v: array<f32>;
@group(0) @binding(5) var<storage, read> multi_norm: array<f32>;
@group(0) @binding(6) var<storage, read> multi_ranges: array<u32>;

override TILE: u32 = 4u;

// The first pair whose end lies after `at` (range_count when none).
fn first_range_ending_after(at: u32) -> u32 {
  var lo = 0u;
  var hi = mp.range_count;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (multi_ranges[2u * mid + 1u] <= at) { lo = mid + 1u; } else { hi = mid; }
  }
  return lo;
}

fn multi_scale() -> f32 {
  let coef = mp.max_norm / (multi_norm[0] * mp.unscale + 1e-6);
  return mp.unscale * select(1.0, coef, coef < 1.0);
}

fn multi_update(i: u32, scale: f32, decay: f32) {
  let g = multi_grads[i] * scale;
  let mi = mp.beta1 * multi_m[i] + mp.one_minus_beta1 * g;
  let vi = mp.beta2 * multi_v[i] + mp.one_minus_beta2 * g * g;
  multi_m[i] = mi;
  multi_v[i] = vi;
  multi_params[i] = multi_params[i] * decay - mp.step_size * mi / (sqrt(vi) * mp.inv_sqrt_bc2 + mp.eps);
}

@compute @workgroup_size(256)
fn adamw_multi(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let base = (wid.x + wid.y * groups.x) * 256u * TILE;
  if (base >= mp.n) { return; }
  let scale = multi_scale();
  var k = first_range_ending_after(mp.offset + base);
  for (var j = 0u; j < TILE; j++) {
    let i = base + j * 256u + lid;
    if (i >= mp.n) { break; }
    let at = mp.offset + i;
    while (k < mp.range_count && multi_ranges[2u * k + 1u] <= at) { k++; }
    let inside = k < mp.range_count && multi_ranges[2u * k] <= at;
    multi_update(i, scale, select(1.0, mp.decay, inside));
  }
}

