// Squared error of a regression head (STS-B): one prediction per row.
//
// mse_forward:  losses[rows] (overwritten) = (preds[rows] - targets[rows])^2
//   binding 1 losses: array<f32>, rows    binding 2 preds: array<f32>, rows
//   binding 3 targets: array<f32>, rows
// mse_backward: dpreds[rows] (accumulated) += scale * 2 * (preds[rows] - targets[rows])
//   binding 1 dpreds: array<f32>, rows    binding 2 preds: array<f32>, rows
//   binding 3 targets: array<f32>, rows
// Dispatch: ceil(rows / 256) groups of 256, folded into a 2-D grid (see grid1d).

struct Params { rows: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@group(0) @binding(1) var<storage, read_write> fwd_losses: array<f32>;
@group(0) @binding(2) var<storage, read> fwd_preds: array<f32>;
@group(0) @binding(3) var<storage, read> fwd_targets: array<f32>;

@compute @workgroup_size(256)
fn mse_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.rows) { return; }
  let d = fwd_preds[i] - fwd_targets[i];
  fwd_losses[i] = d * d;
}

@group(0) @binding(1) var<storage, read_write> bwd_dpreds: array<f32>;
@group(0) @binding(2) var<storage, read> bwd_preds: array<f32>;
@group(0) @binding(3) var<storage, read> bwd_targets: array<f32>;

@compute @workgroup_size(256)
fn mse_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.rows) { return; }
  bwd_dpreds[i] += p.scale * 2.0 * (bwd_preds[i] - bwd_targets[i]);
}
