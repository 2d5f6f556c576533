// tanh (the pooler's activation). The builtin tanh loses accuracy on some drivers (overflow of
// exp(2x), cancellation near 0), so: an odd polynomial for |x| < 0.625 (Cephes tanhf), else
// 1 - 2 / (exp(2|x|) + 1), which saturates cleanly to +-1.
//
// tanh_forward:  out[n] (overwritten) = tanh(inp[n])
//   binding 1 out: array<f32>, n     binding 2 inp: array<f32>, n
// tanh_backward: dinp[n] (accumulated) += dout[n] * (1 - out[n]^2), from the forward's output
//   binding 1 dinp: array<f32>, n    binding 2 out: array<f32>, n    binding 3 dout: array<f32>, n
// Dispatch: ceil(n / 256) groups of 256, folded into a 2-D grid (see grid1d).

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;

fn tanh_accurate(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.625) {
    let z = x * x;
    return ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z + 1.33314422036e-1) * z
      - 3.33332819422e-1) * z * x + x;
  }
  let t = 1.0 - 2.0 / (exp(2.0 * min(a, 20.0)) + 1.0);
  return select(t, -t, x < 0.0);
}

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@group(0) @binding(1) var<storage, read_write> fwd_out: array<f32>;
@group(0) @binding(2) var<storage, read> fwd_inp: array<f32>;

@compute @workgroup_size(256)
fn tanh_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  fwd_out[i] = tanh_accurate(fwd_inp[i]);
}

@group(0) @binding(1) var<storage, read_write> bwd_dinp: array<f32>;
@group(0) @binding(2) var<storage, read> bwd_out: array<f32>;
@group(0) @binding(3) var<storage, read> bwd_dout: array<f32>;

@compute @workgroup_size(256)
fn tanh_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  let y = bwd_out[i];
  // (1 - y)(1 + y), not 1 - y^2: where tanh saturates, rounding y^2 costs up to 9e-5 relative.
  bwd_dinp[i] += bwd_dout[i] * ((1.0 - y) * (1.0 + y));
}
