// Softmax over the last axis with an additive mask: BERT's attention probabilities.
// Scores are [batch, heads, rows, cols]; a "row" below is one of the batch*heads*rows vectors of cols.
//
// softmax_forward: one workgroup of 64 per row, one pass for the running max and sum (online
//   softmax, combined across the workgroup in a fixed order), one pass to write.
//   out[b, h, i, j] (overwritten) = softmax_j(max(scale * inp[b, h, i, j] + mask[b, j], -FLT_MAX))
//   A row whose logits all sit at -FLT_MAX (mask -3.4e38 or -inf) comes out uniform, not NaN.
//   binding 1 out: batch*heads*rows*cols   2 inp: batch*heads*rows*cols   3 mask: batch*cols
// softmax_forward_nomask: the same without binding 3 (mask = 0).
// softmax_backward: one workgroup of 64 per row; the gradient with respect to the pre-scale inp:
//   dinp[.., j] (accumulated) += scale * out[.., j] * (dout[.., j] - sum_k dout[.., k] * out[.., k])
//   binding 1 dinp: batch*heads*rows*cols   2 out: batch*heads*rows*cols   3 dout: batch*heads*rows*cols
// Dispatch: batch*heads*rows workgroups, folded into a 2-D grid (grid1d).

struct Params {
  rows: u32, // batch * heads * rows
  cols: u32,
  rows_per_batch: u32, // heads * rows: a row's batch index is row / rows_per_batch
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

// 64 per row: on CPU-emulated adapters a 256-wide workgroup costs twice as much (barriers and idle
// invocations), and a real GPU still gets one workgroup per row of many.
const WG: u32 = 64u;
const FAN: u32 = 8u; // WG = FAN * FAN
const FLT_MAX: f32 = 3.40282346638528859812e38;

// (running max m, sum of exp(v - m)) pairs: combining two never forms -inf - -inf, since every max
// starts at -FLT_MAX and logits are clamped there.
fn combine(a: vec2f, b: vec2f) -> vec2f {
  let m = max(a.x, b.x);
  return vec2f(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

fn push(acc: vec2f, v: f32) -> vec2f {
  if (v > acc.x) { return vec2f(v, acc.y * exp(acc.x - v) + 1.0); }
  return vec2f(acc.x, acc.y + exp(v - acc.x));
}

var<workgroup> pairs: array<vec2f, 64>;
var<workgroup> pairs2: array<vec2f, 8>;

// The workgroup's combined (max, sum), identical in every invocation (fixed order: deterministic).
// Two barriers, not a tree's six: barriers are what CPU-emulated adapters pay most for.
fn workgroup_max_sum(v: vec2f, lid: u32) -> vec2f {
  pairs[lid] = v;
  workgroupBarrier();
  if (lid < FAN) {
    var s = pairs[lid * FAN];
    for (var k = 1u; k < FAN; k++) { s = combine(s, pairs[lid * FAN + k]); }
    pairs2[lid] = s;
  }
  workgroupBarrier();
  var total = pairs2[0];
  for (var k = 1u; k < FAN; k++) { total = combine(total, pairs2[k]); }
  return total;
}

@group(0) @binding(1) var<storage, read_write> fwd_out: array<f32>;
@group(0) @binding(2) var<storage, read> fwd_inp: array<f32>;
@group(0) @binding(3) var<storage, read> fwd_mask: array<f32>;

@compute @workgroup_size(64)
fn softmax_forward(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * groups.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let mbase = (row / p.rows_per_batch) * p.cols;
  var acc = vec2f(-FLT_MAX, 0.0);
  for (var j = lid; j < p.cols; j += WG) {
    acc = push(acc, max(p.scale * fwd_inp[base + j] + fwd_mask[mbase + j], -FLT_MAX));
  }
  let ms = workgroup_max_sum(acc, lid);
  for (var j = lid; j < p.cols; j += WG) {
    let v = max(p.scale * fwd_inp[base + j] + fwd_mask[mbase + j], -FLT_MAX);
    fwd_out[base + j] = exp(v - ms.x) / ms.y;
  }
}

@group(0) @binding(1) var<storage, read_write> nm_out: array<f32>;
@group(0) @binding(2) var<storage, read> nm_inp: array<f32>;

@compute @workgroup_size(64)
fn softmax_forward_nomask(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * groups.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  var acc = vec2f(-FLT_MAX, 0.0);
  for (var j = lid; j < p.cols; j += WG) { acc = push(acc, max(p.scale * nm_inp[base + j], -FLT_MAX)); }
  let ms = workgroup_max_sum(acc, lid);
  for (var j = lid; j < p.cols; j += WG) {
    nm_out[base + j] = exp(max(p.scale * nm_inp[base + j], -FLT_MAX) - ms.x) / ms.y;
  }
}

var<workgroup> sums: array<f32, 64>;
var<workgroup> sums2: array<f32, 8>;

// The workgroup's sum of `v`, identical in every invocation, as workgroup_max_sum.
fn workgroup_sum(v: f32, lid: u32) -> f32 {
  sums[lid] = v;
  workgroupBarrier();
  if (lid < FAN) {
    var s = 0.0;
    for (var k = 0u; k < FAN; k++) { s += sums[lid * FAN + k]; }
    sums2[lid] = s;
  }
  workgroupBarrier();
  var total = 0.0;
  for (var k = 0u; k < FAN; k++) { total += sums2[k]; }
  return total;
}

@group(0) @binding(1) var<storage, read_write> bwd_dinp: array<f32>;
@group(0) @binding(2) var<storage, read> bwd_out: array<f32>;
@group(0) @binding(3) var<storage, read> bwd_dout: array<f32>;

@compute @workgroup_size(64)
fn softmax_backward(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * groups.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  var s = 0.0;
  for (var j = lid; j < p.cols; j += WG) { s += bwd_dout[base + j] * bwd_out[base + j]; }
  let dot = workgroup_sum(s, lid);
  for (var j = lid; j < p.cols; j += WG) {
    let y = bwd_out[base + j];
    bwd_dinp[base + j] += p.scale * y * (bwd_dout[base + j] - dot);
  }
}
