// Cross-entropy over rows of logits, with a fused softmax + cross-entropy backward. A negative target
// (HF's ignore index, -100) skips its row; a target >= classes is a caller bug the device cannot throw
// for, so that row's loss (forward) or gradient row (backward) becomes NaN.
// One workgroup of 256 owns one row: each invocation keeps an online (max, sum of exp, argmax) over
// columns lid, lid + 256, ..., then a workgroup-memory tree merges the 256 triples (8 barriers).
//
// crossentropy_forward: losses[r] = logsumexp(logits[r, :]) - logits[r, t], correct[r] = 1 if the
//   first maximal index of logits[r, :] is t else 0, t = targets[r]; 0 and 0 for t < 0. Overwritten.
//   binding 1 losses: array<f32>, rows      binding 2 correct: array<f32>, rows
//   binding 3 logits: array<f32>, rows * classes      binding 4 targets: array<i32>, rows
// crossentropy_backward: dlogits[r, c] (accumulated) += scale * (softmax(logits[r, :])_c - [c == t])
//   for t >= 0; ignored rows are left alone.
//   binding 1 dlogits: array<f32>, rows * classes    binding 2 logits: array<f32>, rows * classes
//   binding 3 targets: array<i32>, rows
// Dispatch: one workgroup per row, folded into a 2-D grid (see grid1d(rows, 1)).

struct Params { rows: u32, classes: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;

const WG: u32 = 256u;
// A finite "minus infinity": merging two empty slots gives exp(0) * 0 = 0 instead of exp(NaN).
const LOWEST: f32 = -3.0e38;
const NO_INDEX: u32 = 0xffffffffu;

var<workgroup> wg_max: array<f32, WG>;
var<workgroup> wg_sum: array<f32, WG>;
var<workgroup> wg_arg: array<u32, WG>;

fn row_of(wid: vec3u, groups: vec3u) -> u32 {
  return wid.x + wid.y * groups.x;
}

// A NaN from a runtime value: a constant one is a shader-creation error.
fn quiet_nan() -> f32 {
  return bitcast<f32>(0x7fc00000u | min(p.rows, 0u));
}

struct Stats { m: f32, s: f32, arg: u32 }

// Online update with column c: strict > keeps the first maximal index.
fn push(st: Stats, x: f32, c: u32) -> Stats {
  if (x > st.m) {
    return Stats(x, st.s * exp(st.m - x) + 1.0, c);
  }
  return Stats(st.m, st.s + exp(x - st.m), st.arg);
}

// Merges slot `other` into slot `lid`: the larger max wins, sums rescale to it, ties keep the lower index.
fn merge(lid: u32, other: u32) {
  let ma = wg_max[lid];
  let mb = wg_max[other];
  let m = max(ma, mb);
  wg_sum[lid] = wg_sum[lid] * exp(ma - m) + wg_sum[other] * exp(mb - m);
  let ia = wg_arg[lid];
  let ib = wg_arg[other];
  wg_arg[lid] = select(select(ia, ib, mb > ma), min(ia, ib), mb == ma);
  wg_max[lid] = m;
}

// Tree-merges every invocation's stats; all invocations get the row's.
fn reduce_stats(lid: u32, st: Stats) -> Stats {
  wg_max[lid] = st.m;
  wg_sum[lid] = st.s;
  wg_arg[lid] = st.arg;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { merge(lid, lid + stride); }
    workgroupBarrier();
  }
  return Stats(wg_max[0], wg_sum[0], wg_arg[0]);
}

@group(0) @binding(1) var<storage, read_write> fwd_losses: array<f32>;
@group(0) @binding(2) var<storage, read_write> fwd_correct: array<f32>;
@group(0) @binding(3) var<storage, read> fwd_logits: array<f32>;
@group(0) @binding(4) var<storage, read> fwd_targets: array<i32>;

@compute @workgroup_size(WG)
fn crossentropy_forward(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_of(wid, groups);
  if (row >= p.rows) { return; }
  let t = fwd_targets[row];
  if (t < 0) {
    if (lid == 0u) {
      fwd_losses[row] = 0.0;
      fwd_correct[row] = 0.0;
    }
    return;
  }
  let base = row * p.classes;
  var st = Stats(LOWEST, 0.0, NO_INDEX);
  for (var c = lid; c < p.classes; c += WG) {
    st = push(st, fwd_logits[base + c], c);
  }
  let all = reduce_stats(lid, st);
  if (lid == 0u) {
    let tu = u32(t);
    if (tu >= p.classes) {
      fwd_losses[row] = quiet_nan();
      fwd_correct[row] = 0.0;
    } else {
      fwd_losses[row] = log(all.s) + all.m - fwd_logits[base + tu];
      fwd_correct[row] = select(0.0, 1.0, all.arg == tu);
    }
  }
}

@group(0) @binding(1) var<storage, read_write> bwd_dlogits: array<f32>;
@group(0) @binding(2) var<storage, read> bwd_logits: array<f32>;
@group(0) @binding(3) var<storage, read> bwd_targets: array<i32>;

@compute @workgroup_size(WG)
fn crossentropy_backward(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_of(wid, groups);
  if (row >= p.rows) { return; }
  let t = bwd_targets[row];
  if (t < 0) { return; }
  let tu = u32(t);
  let base = row * p.classes;
  if (tu >= p.classes) {
    for (var c = lid; c < p.classes; c += WG) { bwd_dlogits[base + c] = quiet_nan(); }
    return;
  }
  var st = Stats(LOWEST, 0.0, NO_INDEX);
  for (var c = lid; c < p.classes; c += WG) {
    st = push(st, bwd_logits[base + c], c);
  }
  let all = reduce_stats(lid, st);
  let inv_sum = 1.0 / all.s;
  for (var c = lid; c < p.classes; c += WG) {
    let prob = exp(bwd_logits[base + c] - all.m) * inv_sum;
    bwd_dlogits[base + c] += p.scale * (prob - select(0.0, 1.0, c == tu));
  }
}
