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
