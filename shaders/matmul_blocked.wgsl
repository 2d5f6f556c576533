// The `blocked` variant of matmul.wgsl's op, for discrete GPUs:
//   out[p, i, j] (= or +=) alpha * sum_l A(p, i, l) B(p, l, j) + bias[j]
// with A(p, i, l) and B(p, l, j) as in matmul.wgsl (trans_a: A stored [k, m]; trans_b: B stored
// [n, k]), here addressed in vec4s with explicit leading dimensions so that the host can hand over
// operands packed by matmul_pack (k-major, rows padded to a multiple of 4) when a shape has no vec4
// layout of its own.
//
// matmul_blocked: a 128 x 128 output tile per workgroup of 16 x 16 invocations, each owning 8 x 8
// outputs as 16 vec4 accumulators: rows 4*ty + r and 64 + 4*ty + r (r < 4), column quads 4*tx and
// 64 + 4*tx (so that the 16 lanes of a half-warp read 16 consecutive vec4s of B's tile, and A's tile
// is a broadcast). K advances in slices of BK = 8: each invocation loads one vec4 of A and one of B
// per slice from global memory (a 128 x 8 slice of each is 256 vec4s), keeps them in registers
// while computing on the previous slice, then stores them in the other of two workgroup buffers:
// one barrier per slice. Both tiles are k-major in workgroup memory ([BK][128], A transposed on its
// way in when it is stored [m, k]), so the inner loop reads 4 vec4s for 64 FMAs.
// Workgroup memory: 2 buffers x 2 operands x 8 x 128 f32 = 16 KiB, WebGPU's default limit (BK = 16
// would need 32 KiB double-buffered, or a second barrier per slice single-buffered). The barrier sits
// in a loop whose trip count comes from uniforms and the workgroup id: uniform control flow.
//
// Override constants (one pipeline per set): TRANS_A, TRANS_B as above; ALIGNED: m and n are
// multiples of 128, k of 8, nothing is padded, so no load or store checks bounds; SPLIT: split-K,
// the workgroups of z = p * splits + s sum l in [s * k_chunk, min(k, (s + 1) * k_chunk)) and write
// raw partial sums to out[(s * batch + p) * m * n + i * n + j] (out is then the partial scratch,
// and matmul_blocked_reduce applies alpha, bias and accumulate).
//
// Bindings of matmul_blocked: 1 out: array<f32>, batch*m*n (overwritten, or accumulated when
// accumulate = 1; splits*batch*m*n partial sums, overwritten, when SPLIT); 2 a: array<vec4f>,
// batch * a_stride vec4s; 3 b: array<vec4f>, batch * b_stride vec4s; 4 bias: array<f32>, n (a
// 1-element dummy when has_bias = 0 or SPLIT).
// Operand layouts (vec4 units): A at a[p * a_stride + l * lda + i / 4] when TRANS_A (lda >= m / 4,
// rows past m ignored), else a[p * a_stride + i * lda + l / 4] (lda = k / 4); B at
// b[p * b_stride + l * ldb + j / 4] unless TRANS_B (ldb >= n / 4), else b[p * b_stride + j * ldb + l / 4].
// Dispatch: x = ceil(n / 128), y = ceil(m / 128), z = batch * splits.
//
// matmul_blocked_reduce: out[e] (= or +=) alpha * sum_s part[s * batch*m*n + e] + bias[e % n] for
// e < batch*m*n. Bindings: 1 out (as above), 2 part: array<f32>, splits*batch*m*n; 3 bias: array<f32>,
// n (dummy when has_bias = 0). Dispatch: 256 lanes a workgroup, x * y workgroups covering batch*m*n.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ALIGNED: bool = false;
override SPLIT: bool = false;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  batch: u32,
  lda: u32,
  ldb: u32,
  a_stride: u32,
  b_stride: u32,
  k_chunk: u32,
  splits: u32,
  has_bias: u32,
  accumulate: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const TILE = 128u;
const BK = 8u;
const QUADS = 32u; // vec4s across a tile row
const SLICE = 256u; // vec4s of one operand's K-slice: BK * QUADS
// [buffer][BK][QUADS]: A(i, l) of the tile at vec4 (buffer * SLICE + l * QUADS + i / 4), lane i % 4.
var<workgroup> tile_a: array<vec4<f32>, 512>;
var<workgroup> tile_b: array<vec4<f32>, 512>;

// Global loads: invocation li fetches one vec4 of the slice starting at l0. A stored [k, m] (and B
// stored [k, n]) is read along rows: 8 rows of 32 vec4s. A stored [m, k] (B stored [n, k]) is read
// along k: 128 rows of 2 vec4s, each pair one 32-byte sector. Out-of-range vec4s read as zero
// (k % 4 == 0 whenever k runs along a vec4, so a vec4 is wholly in or out).
fn load_a(base: u32, row0: u32, l0: u32, k_end: u32, li: u32) -> vec4f {
  if (TRANS_A) {
    let l = l0 + (li >> 5u);
    let q = row0 / 4u + (li & 31u);
    if (ALIGNED || (l < k_end && q < p.lda)) { return a[base + l * p.lda + q]; }
  } else {
    let i = row0 + (li >> 1u);
    let l = l0 + 4u * (li & 1u);
    if (ALIGNED || (i < p.m && l < k_end)) { return a[base + i * p.lda + l / 4u]; }
  }
  return vec4f();
}

fn load_b(base: u32, col0: u32, l0: u32, k_end: u32, li: u32) -> vec4f {
  if (TRANS_B) {
    let j = col0 + (li >> 1u);
    let l = l0 + 4u * (li & 1u);
    if (ALIGNED || (j < p.n && l < k_end)) { return b[base + j * p.ldb + l / 4u]; }
  } else {
    let l = l0 + (li >> 5u);
    let q = col0 / 4u + (li & 31u);
    if (ALIGNED || (l < k_end && q < p.ldb)) { return b[base + l * p.ldb + q]; }
  }
  return vec4f();
}

// Stores what load_a / load_b fetched into buffer `buf` (0 or SLICE), k-major. A vec4 along rows is
// one vec4 store (slot li); a vec4 along k is four scalar stores, one per k.
fn stash(buf: u32, li: u32, va: vec4f, vb: vec4f) {
  if (TRANS_A) {
    tile_a[buf + li] = va;
  } else {
    let at = buf + 4u * (li & 1u) * QUADS + (li >> 3u);
    let e = (li >> 1u) & 3u;
    tile_a[at][e] = va.x;
    tile_a[at + QUADS][e] = va.y;
    tile_a[at + 2u * QUADS][e] = va.z;
    tile_a[at + 3u * QUADS][e] = va.w;
  }
  if (TRANS_B) {
    let at = buf + 4u * (li & 1u) * QUADS + (li >> 3u);
    let e = (li >> 1u) & 3u;
    tile_b[at][e] = vb.x;
    tile_b[at + QUADS][e] = vb.y;
    tile_b[at + 2u * QUADS][e] = vb.z;
    tile_b[at + 3u * QUADS][e] = vb.w;
  } else {
    tile_b[buf + li] = vb;
  }
}

// Writes four outputs of row i from column j on: final values, or raw partial sums when SPLIT.
fn store4(base: u32, i: u32, j: u32, v: vec4f) {
  if (!ALIGNED && i >= p.m) { return; }
  let at = base + i * p.n + j;
  for (var c = 0u; c < 4u; c++) {
    if (ALIGNED || j + c < p.n) {
      if (SPLIT) {
        out[at + c] = v[c];
      } else {
        var x = p.alpha * v[c];
        if (p.has_bias != 0u) { x += bias[j + c]; }
        if (p.accumulate != 0u) { x += out[at + c]; }
        out[at + c] = x;
      }
    }
  }
}

@compute @workgroup_size(16, 16)
fn matmul_blocked(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let batch = wg.z / p.splits;
  let split = wg.z % p.splits;
  let row0 = wg.y * TILE;
  let col0 = wg.x * TILE;
  let a_base = batch * p.a_stride;
  let b_base = batch * p.b_stride;
  let k_begin = split * p.k_chunk;
  let k_end = min(p.k, k_begin + p.k_chunk);
  let steps = (k_end - k_begin + BK - 1u) / BK;
  let tx = lid.x;
  let ty = lid.y;

  var c0_0 = vec4f(); var c0_1 = vec4f(); var c1_0 = vec4f(); var c1_1 = vec4f();
  var c2_0 = vec4f(); var c2_1 = vec4f(); var c3_0 = vec4f(); var c3_1 = vec4f();
  var c4_0 = vec4f(); var c4_1 = vec4f(); var c5_0 = vec4f(); var c5_1 = vec4f();
  var c6_0 = vec4f(); var c6_1 = vec4f(); var c7_0 = vec4f(); var c7_1 = vec4f();

  var va = load_a(a_base, row0, k_begin, k_end, li);
  var vb = load_b(b_base, col0, k_begin, k_end, li);
  stash(0u, li, va, vb);
  workgroupBarrier();
  for (var s = 0u; s < steps; s++) {
    let cur = (s & 1u) * SLICE;
    let more = s + 1u < steps;
    if (more) {
      // The next slice travels from global memory while this one is computed.
      let l0 = k_begin + (s + 1u) * BK;
      va = load_a(a_base, row0, l0, k_end, li);
      vb = load_b(b_base, col0, l0, k_end, li);
    }
    for (var kk = 0u; kk < BK; kk++) {
      let at = cur + kk * QUADS;
      let a0 = tile_a[at + ty];
      let a1 = tile_a[at + 16u + ty];
      let b0 = tile_b[at + tx];
      let b1 = tile_b[at + 16u + tx];
      c0_0 = fma(vec4f(a0.x), b0, c0_0); c0_1 = fma(vec4f(a0.x), b1, c0_1);
      c1_0 = fma(vec4f(a0.y), b0, c1_0); c1_1 = fma(vec4f(a0.y), b1, c1_1);
      c2_0 = fma(vec4f(a0.z), b0, c2_0); c2_1 = fma(vec4f(a0.z), b1, c2_1);
      c3_0 = fma(vec4f(a0.w), b0, c3_0); c3_1 = fma(vec4f(a0.w), b1, c3_1);
      c4_0 = fma(vec4f(a1.x), b0, c4_0); c4_1 = fma(vec4f(a1.x), b1, c4_1);
      c5_0 = fma(vec4f(a1.y), b0, c5_0); c5_1 = fma(vec4f(a1.y), b1, c5_1);
      c6_0 = fma(vec4f(a1.z), b0, c6_0); c6_1 = fma(vec4f(a1.z), b1, c6_1);
      c7_0 = fma(vec4f(a1.w), b0, c7_0); c7_1 = fma(vec4f(a1.w), b1, c7_1);
    }
    // The other buffer was last read before the previous barrier, so it is free to overwrite; the
    // barrier below publishes it for the next step and retires this one.
    if (more) { stash(SLICE - cur, li, va, vb); }
    workgroupBarrier();
  }

  var base = batch * p.m * p.n;
  if (SPLIT) { base += split * p.batch * p.m * p.n; }
  // One store4 in a loop rather than sixteen inlined copies, which lavapipe took ~10x longer to
  // compile (~20 s a pipeline); a GPU compiler unrolls the constant 16 trips.
  var acc = array<vec4f, 16>(c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1,
                             c4_0, c4_1, c5_0, c5_1, c6_0, c6_1, c7_0, c7_1);
  for (var q = 0u; q < 16u; q++) {
    let r = q >> 1u;
    store4(base, row0 + 4u * ty + (r & 3u) + 64u * (r >> 2u), col0 + 4u * tx + 64u * (q & 1u), acc[q]);
  }
}

@group(0) @binding(2) var<storage, read> part: array<f32>;
@group(0) @binding(3) var<storage, read> reduce_bias: array<f32>;

@compute @workgroup_size(256)
fn matmul_blocked_reduce(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let total = p.batch * p.m * p.n;
  let e = gid.x + gid.y * groups.x * 256u;
  if (e >= total) { return; }
  var sum = 0.0;
  for (var s = 0u; s < p.splits; s++) { sum += part[s * total + e]; }
  var x = p.alpha * sum;
  if (p.has_bias != 0u) { x += reduce_bias[e % p.n]; }
  if (p.accumulate != 0u) { x += out[e]; }
  out[e] = x;
}
