// GELU, exact erf form (BERT's "gelu"): gelu(x) = x * Phi(x), Phi the standard normal CDF.
// WGSL has no erf: Phi comes from erfc with relative error < 1.2e-7 everywhere (Numerical
// Recipes' erfcc), so very negative x keep their relative accuracy too.
//
// gelu_forward:  out[n] (overwritten) = gelu(inp[n])
//   binding 1 out: array<f32>, n     binding 2 inp: array<f32>, n
// gelu_backward: dinp[n] (accumulated) += dout[n] * (Phi(x) + x * phi(x)), x = inp[n]
//   binding 1 dinp: array<f32>, n    binding 2 inp: array<f32>, n    binding 3 dout: array<f32>, n
// Dispatch: ceil(n / 256) invocation groups of 256, folded into a 2-D grid (see grid1d).

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;

fn erfc_pos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp(-z * z + poly);
}

fn normal_cdf(x: f32) -> f32 {
  let half_erfc = 0.5 * erfc_pos(abs(x) * 0.70710678118654752);
  return select(1.0 - half_erfc, half_erfc, x < 0.0);
}

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@group(0) @binding(1) var<storage, read_write> fwd_out: array<f32>;
@group(0) @binding(2) var<storage, read> fwd_inp: array<f32>;

@compute @workgroup_size(256)
fn gelu_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  let x = fwd_inp[i];
  fwd_out[i] = x * normal_cdf(x);
}

@group(0) @binding(1) var<storage, read_write> bwd_dinp: array<f32>;
@group(0) @binding(2) var<storage, read> bwd_inp: array<f32>;
@group(0) @binding(3) var<storage, read> bwd_dout: array<f32>;

@compute @workgroup_size(256)
fn gelu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  let x = bwd_inp[i];
  let pdf = 0.39894228040143268 * exp(-0.5 * x * x);
  bwd_dinp[i] += bwd_dout[i] * (normal_cdf(x) + x * pdf);
}
