// BERT input embedding: word + position + token type, positions t = 0..seq-1 of each sequence.
// Rows are tokens r = b * seq + t; N = batch * seq; C = hidden.
//
// embedding_forward: out[N, C] (overwritten) = wte[ids[r]] + wpe[t] + wtt[type_ids[r]]
//   binding 1 out: array<f32>, N*C          binding 2 ids: array<i32>, N
//   binding 3 type_ids: array<i32>, N       binding 4 wte: array<f32>, vocab*C
//   binding 5 wpe: array<f32>, max_positions*C    binding 6 wtt: array<f32>, type_vocab*C
//   A kernel cannot throw: a row whose id, type or position is out of range is not read from the
//   tables and becomes NaN, so the error surfaces downstream.
//   Dispatch: ceil(N*C / 256) groups of 256, folded into a 2-D grid (see grid1d).
//
// The backward needs no float atomics: every output element has one owner summing its inputs, in a
// fixed order (deterministic).
// embedding_backward_word: dwte[vocab, C] (accumulated): one invocation per (unique token u, channel)
//   adds the sum of dout[order[k]] over k in [starts[u], starts[u+1]) to dwte[tokens[u]].
//   binding 1 dwte: array<f32>, vocab*C     binding 2 dout: array<f32>, N*C
//   binding 3 order: array<i32>, N          binding 4 starts: array<i32>, unique_tokens+1
//   binding 5 tokens: array<i32>, unique_tokens
//   Dispatch: ceil(unique_tokens*C / 256) groups of 256 (grid1d). Out-of-range entries are skipped.
// embedding_backward_position: dwpe[max_positions, C] (accumulated; rows >= seq untouched):
//   one invocation per (t, channel) adds the sum over b of dout[b * seq + t].
//   binding 1 dwpe: array<f32>, max_positions*C    binding 2 dout: array<f32>, N*C
//   Dispatch: ceil(seq*C / 256) groups of 256 (grid1d).
// embedding_backward_type: dwtt[type_vocab, C] (accumulated): one invocation per (type k, channel)
//   loops over all N rows and adds those of type k.
//   binding 1 dwtt: array<f32>, type_vocab*C    binding 2 dout: array<f32>, N*C
//   binding 3 type_ids: array<i32>, N
//   Dispatch: ceil(type_vocab*C / 256) groups of 256 (grid1d).

struct Params {
  batch: u32,
  seq: u32,
  hidden: u32,
  vocab: u32,
  max_positions: u32,
  type_vocab: u32,
  unique_tokens: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// A quiet NaN. Through a var: WGSL rejects a NaN constant expression.
fn quiet_nan() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

fn in_range(x: i32, n: u32) -> bool {
  return x >= 0 && u32(x) < n;
}

@group(0) @binding(1) var<storage, read_write> fwd_out: array<f32>;
@group(0) @binding(2) var<storage, read> fwd_ids: array<i32>;
@group(0) @binding(3) var<storage, read> fwd_type_ids: array<i32>;
@group(0) @binding(4) var<storage, read> fwd_wte: array<f32>;
@group(0) @binding(5) var<storage, read> fwd_wpe: array<f32>;
@group(0) @binding(6) var<storage, read> fwd_wtt: array<f32>;

@compute @workgroup_size(256)
fn embedding_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.batch * p.seq * p.hidden) { return; }
  let row = i / p.hidden;
  let c = i % p.hidden;
  let t = row % p.seq;
  let id = fwd_ids[row];
  let kind = fwd_type_ids[row];
  if (!in_range(id, p.vocab) || !in_range(kind, p.type_vocab) || t >= p.max_positions) {
    fwd_out[i] = quiet_nan();
    return;
  }
  fwd_out[i] = fwd_wte[u32(id) * p.hidden + c] + fwd_wpe[t * p.hidden + c] + fwd_wtt[u32(kind) * p.hidden + c];
}

@group(0) @binding(1) var<storage, read_write> word_dwte: array<f32>;
@group(0) @binding(2) var<storage, read> word_dout: array<f32>;
@group(0) @binding(3) var<storage, read> word_order: array<i32>;
@group(0) @binding(4) var<storage, read> word_starts: array<i32>;
@group(0) @binding(5) var<storage, read> word_tokens: array<i32>;

@compute @workgroup_size(256)
fn embedding_backward_word(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.unique_tokens * p.hidden) { return; }
  let u = i / p.hidden;
  let c = i % p.hidden;
  let id = word_tokens[u];
  if (!in_range(id, p.vocab)) { return; }
  let rows = p.batch * p.seq;
  let begin = u32(max(word_starts[u], 0));
  let end = min(u32(max(word_starts[u + 1u], 0)), rows);
  var sum = 0.0;
  for (var k = begin; k < end; k++) {
    let r = word_order[k];
    if (in_range(r, rows)) { sum += word_dout[u32(r) * p.hidden + c]; }
  }
  word_dwte[u32(id) * p.hidden + c] += sum;
}

@group(0) @binding(1) var<storage, read_write> pos_dwpe: array<f32>;
@group(0) @binding(2) var<storage, read> pos_dout: array<f32>;

@compute @workgroup_size(256)
fn embedding_backward_position(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.seq * p.hidden) { return; }
  let stride = p.seq * p.hidden;
  var sum = 0.0;
  for (var b = 0u; b < p.batch; b++) {
    sum += pos_dout[b * stride + i];
  }
  pos_dwpe[i] += sum;
}

@group(0) @binding(1) var<storage, read_write> type_dwtt: array<f32>;
@group(0) @binding(2) var<storage, read> type_dout: array<f32>;
@group(0) @binding(3) var<storage, read> type_type_ids: array<i32>;

@compute @workgroup_size(256)
fn embedding_backward_type(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.type_vocab * p.hidden) { return; }
  let kind = i32(i / p.hidden);
  let c = i % p.hidden;
  var sum = 0.0;
  for (var r = 0u; r < p.batch * p.seq; r++) {
    if (type_type_ids[r] == kind) { sum += type_dout[r * p.hidden + c]; }
  }
  type_dwtt[i] += sum;
}
