// Residual connection: out = a + b; its gradient flows unchanged into both branches.
//
// residual_forward:  out[n] (overwritten) = a[n] + b[n]
//   binding 1 out: array<f32>, n    binding 2 a: array<f32>, n    binding 3 b: array<f32>, n
// residual_backward: da[n] (accumulated) += dout[n]; db[n] (accumulated) += dout[n]
//   binding 1 da: array<f32>, n     binding 2 db: array<f32>, n   binding 3 dout: array<f32>, n
//   (da and db must be different buffers: WebGPU forbids two writable bindings of one range)
// Dispatch: ceil(n / 256) invocation groups of 256, folded into a 2-D grid (see grid1d).

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@group(0) @binding(1) var<storage, read_write> fwd_out: array<f32>;
@group(0) @binding(2) var<storage, read> fwd_a: array<f32>;
@group(0) @binding(3) var<storage, read> fwd_b: array<f32>;

@compute @workgroup_size(256)
fn residual_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  fwd_out[i] = fwd_a[i] + fwd_b[i];
}

@group(0) @binding(1) var<storage, read_write> bwd_da: array<f32>;
@group(0) @binding(2) var<storage, read_write> bwd_db: array<f32>;
@group(0) @binding(3) var<storage, read> bwd_dout: array<f32>;

@compute @workgroup_size(256)
fn residual_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  let g = bwd_dout[i];
  bwd_da[i] += g;
  bwd_db[i] += g;
}
