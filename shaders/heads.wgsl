// Attention head reshapes between token-major [batch, seq, heads * head_dim] and head-major
// [batch, heads, seq, head_dim]. Each is a permutation, so one invocation owns one element of the
// output (indexed in the output's own layout, so writes are contiguous) and reads one input element.
//
// split_heads_forward:  out[B, H, T, D] (overwritten) = inp[B, T, H*D]
// split_heads_backward: dinp[B, T, H*D] (accumulated) += dout[B, H, T, D]
// merge_heads_forward:  out[B, T, H*D] (overwritten) = inp[B, H, T, D]
// merge_heads_backward: dinp[B, H, T, D] (accumulated) += dout[B, T, H*D]
//   binding 1 out/dinp: array<f32>, n    binding 2 inp/dout: array<f32>, n    (n = B*T*H*D)
// Dispatch: ceil(n / 256) invocation groups of 256, folded into a 2-D grid (see grid1d).

struct Params { batch: u32, seq: u32, heads: u32, head_dim: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

// Head-major index of the element at token-major index i.
fn head_major_of(i: u32) -> u32 {
  let d = i % p.head_dim;
  let h = (i / p.head_dim) % p.heads;
  let bt = i / (p.head_dim * p.heads);
  let t = bt % p.seq;
  let b = bt / p.seq;
  return ((b * p.heads + h) * p.seq + t) * p.head_dim + d;
}

// Token-major index of the element at head-major index i.
fn token_major_of(i: u32) -> u32 {
  let d = i % p.head_dim;
  let t = (i / p.head_dim) % p.seq;
  let bh = i / (p.head_dim * p.seq);
  let h = bh % p.heads;
  let b = bh / p.heads;
  return ((b * p.seq + t) * p.heads + h) * p.head_dim + d;
}

fn size() -> u32 {
  return p.batch * p.seq * p.heads * p.head_dim;
}

@compute @workgroup_size(256)
fn split_heads_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= size()) { return; }
  dst[i] = src[token_major_of(i)];
}

@compute @workgroup_size(256)
fn split_heads_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= size()) { return; }
  dst[i] += src[head_major_of(i)];
}

@compute @workgroup_size(256)
fn merge_heads_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= size()) { return; }
  dst[i] = src[head_major_of(i)];
}

@compute @workgroup_size(256)
fn merge_heads_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= size()) { return; }
  dst[i] += src[token_major_of(i)];
}
