// LayerNorm over the last axis (HF BertLayerNorm: biased variance, eps inside the square root).
// Mean and variance in f32 in two passes over the row (squared deviations, not E[x^2] - E[x]^2),
// shifted by the row's first element.
//
// layernorm_forward: one workgroup of 64 per row.
//   out[r, c] (overwritten) = (inp[r, c] - mean[r]) * rstd[r] * weight[c] + bias[c]
//   mean[r], rstd[r] = 1 / sqrt(var[r] + eps) (overwritten, cached for the backward)
//   binding 1 out: rows*cols   2 mean: rows   3 rstd: rows   4 inp: rows*cols   5 weight: cols   6 bias: cols
// layernorm_backward: one workgroup of 64 per row; with n = (inp - mean) * rstd, g = weight * dout:
//   dinp[r, c] (accumulated) += rstd[r] * (g - mean_c(g) - n * mean_c(g * n))
//   binding 1 dinp: rows*cols   2 dout: rows*cols   3 inp: rows*cols   4 weight: cols   5 mean: rows
//   6 rstd: rows
// layernorm_backward_params: one workgroup (8 columns x 32 row lanes) per 8 columns; each column is
//   owned by one workgroup, which sums its lanes in a fixed order (deterministic, no atomics).
//   dweight[c] (accumulated) += sum_r n[r, c] * dout[r, c]; dbias[c] (accumulated) += sum_r dout[r, c]
//   binding 1 dweight: cols   2 dbias: cols   3 dout: rows*cols   4 inp: rows*cols   5 mean: rows
//   6 rstd: rows
// Dispatch: rows workgroups (row kernels) or ceil(cols / 8) (params), folded into a 2-D grid (grid1d).

struct Params { rows: u32, cols: u32, eps: f32 }

@group(0) @binding(0) var<uniform> p: Params;

// 64 per row: on CPU-emulated adapters a 256-wide workgroup costs twice as much (barriers and idle
// invocations), and a real GPU still gets one workgroup per row of many.
const WG: u32 = 64u;
const FAN: u32 = 8u; // WG = FAN * FAN

var<workgroup> partial: array<vec2f, 64>;
var<workgroup> partial2: array<vec2f, 8>;

// The workgroup's sum of `v`, identical in every invocation (fixed order, so deterministic). Two
// barriers, not a tree's six: barriers are what CPU-emulated adapters pay most for. Back-to-back
// calls are safe: every read of one call's arrays precedes a barrier that precedes the next writes.
fn workgroup_sum(v: vec2f, lid: u32) -> vec2f {
  partial[lid] = v;
  workgroupBarrier();
  if (lid < FAN) {
    var s = vec2f(0.0);
    for (var k = 0u; k < FAN; k++) { s += partial[lid * FAN + k]; }
    partial2[lid] = s;
  }
  workgroupBarrier();
  var total = vec2f(0.0);
  for (var k = 0u; k < FAN; k++) { total += partial2[k]; }
  return total;
}

@group(0) @binding(1) var<storage, read_write> fwd_out: array<f32>;
@group(0) @binding(2) var<storage, read_write> fwd_mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> fwd_rstd: array<f32>;
@group(0) @binding(4) var<storage, read> fwd_inp: array<f32>;
@group(0) @binding(5) var<storage, read> fwd_weight: array<f32>;
@group(0) @binding(6) var<storage, read> fwd_bias: array<f32>;

@compute @workgroup_size(64)
fn layernorm_forward(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * groups.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  // Sums of x - x0, x0 the row's first element: with a large mean, x - x0 is exact and small, so the
  // rounding of a sum of large values does not reach the deviations (x - mean).
  let x0 = fwd_inp[base];
  var s = 0.0;
  for (var c = lid; c < p.cols; c += WG) { s += fwd_inp[base + c] - x0; }
  let shift = workgroup_sum(vec2f(s, 0.0), lid).x / f32(p.cols); // mean - x0
  var q = 0.0;
  for (var c = lid; c < p.cols; c += WG) {
    let d = (fwd_inp[base + c] - x0) - shift;
    q += d * d;
  }
  let rs = 1.0 / sqrt(workgroup_sum(vec2f(q, 0.0), lid).x / f32(p.cols) + p.eps);
  for (var c = lid; c < p.cols; c += WG) {
    fwd_out[base + c] = ((fwd_inp[base + c] - x0) - shift) * rs * fwd_weight[c] + fwd_bias[c];
  }
  if (lid == 0u) {
    fwd_mean[row] = x0 + shift;
    fwd_rstd[row] = rs;
  }
}

@group(0) @binding(1) var<storage, read_write> bwd_dinp: array<f32>;
@group(0) @binding(2) var<storage, read> bwd_dout: array<f32>;
@group(0) @binding(3) var<storage, read> bwd_inp: array<f32>;
@group(0) @binding(4) var<storage, read> bwd_weight: array<f32>;
@group(0) @binding(5) var<storage, read> bwd_mean: array<f32>;
@group(0) @binding(6) var<storage, read> bwd_rstd: array<f32>;

@compute @workgroup_size(64)
fn layernorm_backward(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * groups.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let m = bwd_mean[row];
  let rs = bwd_rstd[row];
  var acc = vec2f(0.0);
  for (var c = lid; c < p.cols; c += WG) {
    let n = (bwd_inp[base + c] - m) * rs;
    let g = bwd_weight[c] * bwd_dout[base + c];
    acc += vec2f(g, g * n);
  }
  let means = workgroup_sum(acc, lid) / f32(p.cols); // (mean of g, mean of g * n)
  for (var c = lid; c < p.cols; c += WG) {
    let n = (bwd_inp[base + c] - m) * rs;
    let g = bwd_weight[c] * bwd_dout[base + c];
    bwd_dinp[base + c] += (g - means.x - n * means.y) * rs;
  }
}

const PCOLS: u32 = 8u; // columns per workgroup: 32 contiguous bytes of each row, one memory sector
const PLANES: u32 = 32u; // rows summed in parallel per column

var<workgroup> lane_sums: array<vec2f, 256>;

@group(0) @binding(1) var<storage, read_write> par_dweight: array<f32>;
@group(0) @binding(2) var<storage, read_write> par_dbias: array<f32>;
@group(0) @binding(3) var<storage, read> par_dout: array<f32>;
@group(0) @binding(4) var<storage, read> par_inp: array<f32>;
@group(0) @binding(5) var<storage, read> par_mean: array<f32>;
@group(0) @binding(6) var<storage, read> par_rstd: array<f32>;

// (n * dout, dout) at row r, column c.
fn param_terms(r: u32, c: u32) -> vec2f {
  let i = r * p.cols + c;
  let d = par_dout[i];
  return vec2f((par_inp[i] - par_mean[r]) * par_rstd[r] * d, d);
}

@compute @workgroup_size(8, 32)
fn layernorm_backward_params(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
) {
  let c = (wid.x + wid.y * groups.x) * PCOLS + lid.x;
  var acc = vec2f(0.0); // (sum of n * dout, sum of dout)
  if (c < p.cols) {
    // Four rows per step into two sums: independent loads in flight, for memory-bound GPUs.
    var acc2 = vec2f(0.0);
    var r = lid.y;
    for (; r + 3u * PLANES < p.rows; r += 4u * PLANES) {
      acc += param_terms(r, c) + param_terms(r + PLANES, c);
      acc2 += param_terms(r + 2u * PLANES, c) + param_terms(r + 3u * PLANES, c);
    }
    for (; r < p.rows; r += PLANES) { acc += param_terms(r, c); }
    acc += acc2;
  }
  lane_sums[lid.y * PCOLS + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && c < p.cols) {
    var s = vec2f(0.0);
    for (var k = 0u; k < PLANES; k++) { s += lane_sums[k * PCOLS + lid.x]; }
    par_dweight[c] += s.x;
    par_dbias[c] += s.y;
  }
}
