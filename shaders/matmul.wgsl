// Batched matmul with optional bias, transposed operands, scale and accumulation:
//   out[p, i, j] (= or +=) alpha * sum_l A(p, i, l) B(p, l, j) + bias[j]
// A(p, i, l) = a[p*m*k + i*k + l], or a[p*m*k + l*m + i] when trans_a (A stored [k, m]);
// B(p, l, j) = b[p*k*n + l*n + j], or b[p*k*n + j*k + l] when trans_b (B stored [n, k]).
// The backward is this same kernel with other transpose flags (see matmulBackwardPlan) plus
// bias.wgsl's column sum.
//
// Bindings (every entry point): 1 out: array<f32>, batch*m*n (overwritten, or accumulated when
// accumulate = 1); 2 a: array<f32>, batch*m*k; 3 b: array<f32>, batch*k*n; 4 bias: array<f32>, n
// (a 1-element dummy when has_bias = 0).
//
// Variants of one op, chosen per adapter by core/webgpu/matmul.ts:
// - matmul_forward_naive: one output per invocation; the baseline the others are measured against.
// - matmul_forward: portable; 16x16 invocations, 4x4 outputs each, scalar loads. Fallback.
// - matmul_blocked (shaders/matmul_blocked.wgsl): for discrete GPUs, 128x128 tiles, 8x8 outputs
//   per invocation, double-buffered k-major workgroup tiles and split-K; not yet timed on a GPU.
// - --precision mixed runs shaders/matmul_mixed.wgsl instead (f16 operands, f32 sums).
// - matmul_forward_tiled: for real GPUs; 64x64 output tile per workgroup staged through workgroup
//   memory in k-slices of 16, 4x4 outputs per invocation.
// - matmul_rows_nn / _nt / _tn: for CPU-emulated adapters (lavapipe), where barriers are expensive
//   and a workgroup of 8 is one SIMD program: each workgroup owns 8 rows (uniform across its lanes,
//   so A loads become broadcasts) and 32 columns (a vec4 per lane); vec4 loads, no workgroup
//   memory, no barriers.
// Dispatch: x over column blocks, y over row blocks, z = batch (<= 65535).

struct Params {
  m: u32,
  n: u32,
  k: u32,
  batch: u32,
  trans_a: u32,
  trans_b: u32,
  has_bias: u32,
  accumulate: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn load_a(base: u32, i: u32, l: u32) -> f32 {
  if (i >= p.m || l >= p.k) { return 0.0; }
  if (p.trans_a != 0u) { return a[base + l * p.m + i]; }
  return a[base + i * p.k + l];
}

fn load_b(base: u32, l: u32, j: u32) -> f32 {
  if (l >= p.k || j >= p.n) { return 0.0; }
  if (p.trans_b != 0u) { return b[base + j * p.k + l]; }
  return b[base + l * p.n + j];
}

fn store(batch: u32, i: u32, j: u32, sum: f32) {
  if (i >= p.m || j >= p.n) { return; }
  var v = p.alpha * sum;
  if (p.has_bias != 0u) { v += bias[j]; }
  let at = batch * p.m * p.n + i * p.n + j;
  if (p.accumulate != 0u) { v += out[at]; }
  out[at] = v;
}

@compute @workgroup_size(16, 16)
fn matmul_forward_naive(@builtin(global_invocation_id) gid: vec3u) {
  let a_base = gid.z * p.m * p.k;
  let b_base = gid.z * p.k * p.n;
  var sum = 0.0;
  for (var l = 0u; l < p.k; l++) { sum = fma(load_a(a_base, gid.y, l), load_b(b_base, l, gid.x), sum); }
  store(gid.z, gid.y, gid.x, sum);
}

@compute @workgroup_size(16, 16)
fn matmul_forward(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let batch = wg.z;
  let a_base = batch * p.m * p.k;
  let b_base = batch * p.k * p.n;
  let row0 = wg.y * 64u + lid.y;
  let col0 = wg.x * 64u + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var l = 0u; l < p.k; l++) {
    var av: array<f32, 4>;
    var bv: array<f32, 4>;
    for (var t = 0u; t < 4u; t++) {
      av[t] = load_a(a_base, row0 + 16u * t, l);
      bv[t] = load_b(b_base, l, col0 + 16u * t);
    }
    for (var i = 0u; i < 4u; i++) {
      for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(av[i], bv[j], acc[i][j]); }
    }
  }
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) { store(batch, row0 + 16u * i, col0 + 16u * j, acc[i][j]); }
  }
}

const TILE = 64u;
const KT = 16u;
var<workgroup> tile_a: array<f32, 1024>; // [KT][TILE]: A(i, l) at l*TILE + i
var<workgroup> tile_b: array<f32, 1024>; // [KT][TILE]: B(l, j) at l*TILE + j

@compute @workgroup_size(16, 16)
fn matmul_forward_tiled(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
                        @builtin(local_invocation_index) li: u32) {
  let batch = wg.z;
  let a_base = batch * p.m * p.k;
  let b_base = batch * p.k * p.n;
  let row_base = wg.y * TILE;
  let col_base = wg.x * TILE;
  var acc: array<array<f32, 4>, 4>;
  for (var l0 = 0u; l0 < p.k; l0 += KT) {
    // 256 invocations stage 1024 elements of each operand; the fastest-varying index follows the
    // operand's memory order so that loads coalesce.
    for (var t = 0u; t < 4u; t++) {
      let e = li + 256u * t;
      if (p.trans_a != 0u) {
        let i = e % TILE; let l = e / TILE;
        tile_a[l * TILE + i] = load_a(a_base, row_base + i, l0 + l);
      } else {
        let l = e % KT; let i = e / KT;
        tile_a[l * TILE + i] = load_a(a_base, row_base + i, l0 + l);
      }
      if (p.trans_b != 0u) {
        let l = e % KT; let j = e / KT;
        tile_b[l * TILE + j] = load_b(b_base, l0 + l, col_base + j);
      } else {
        let j = e % TILE; let l = e / TILE;
        tile_b[l * TILE + j] = load_b(b_base, l0 + l, col_base + j);
      }
    }
    workgroupBarrier();
    for (var l = 0u; l < KT; l++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var t = 0u; t < 4u; t++) {
        av[t] = tile_a[l * TILE + lid.y + 16u * t];
        bv[t] = tile_b[l * TILE + lid.x + 16u * t];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(av[i], bv[j], acc[i][j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      store(batch, row_base + lid.y + 16u * i, col_base + lid.x + 16u * j, acc[i][j]);
    }
  }
}

const ROWS = 8u;
const COLS = 4u; // vec4 columns per lane, 8 apart

// matmul_pack: lays one operand out as [batch][k][ld] (k-major, rows padded to ld, a multiple of 4)
// so that matmul_rows reads every operand the same way: dst[b, l, i] = X(b, i, l) for i < count, 0
// for count <= i < ld. X(b, i, l) = src[b*count*k + l*count + i] when k_major = 1 (already
// [k, count]), else src[b*count*k + i*k + l] ([count, k]: a transpose).
// Grid: x covers ld / 4 (one vec4 of dst per lane), and the batch * k destination rows are folded
// into y and z. Each workgroup owns part of one row, so the row's (b, l) is uniform: on lavapipe a
// per-lane u32 division is scalarised eight times over, and the earlier one-element-per-lane
// layout with two of them ran at a quarter of this speed.
struct PackParams {
  count: u32,
  k: u32,
  ld: u32,
  batch: u32,
  k_major: u32,
}

@group(0) @binding(0) var<uniform> pack: PackParams;
@group(0) @binding(1) var<storage, read_write> packed: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> unpacked: array<f32>;

fn pack_element(base: u32, i: u32, l: u32) -> f32 {
  if (i >= pack.count) { return 0.0; }
  if (pack.k_major != 0u) { return unpacked[base + l * pack.count + i]; }
  return unpacked[base + i * pack.k + l];
}

@compute @workgroup_size(64)
fn matmul_pack(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
) {
  let row = wg.y + wg.z * groups.y;
  let quads = pack.ld / 4u;
  if (row >= pack.batch * pack.k || gid.x >= quads) { return; }
  let b = row / pack.k;
  let l = row % pack.k;
  let base = b * pack.count * pack.k;
  let i = gid.x * 4u;
  packed[row * quads + gid.x] = vec4f(
    pack_element(base, i, l),
    pack_element(base, i + 1u, l),
    pack_element(base, i + 2u, l),
    pack_element(base, i + 3u, l),
  );
}

// matmul_pack_transpose: matmul_pack for k_major = 0 (X(b, i, l) = src[b*count*k + i*k + l]) in
// 4x4 blocks: a lane reads four rows of X at four consecutive l (lanes along l, so reads are
// contiguous across lanes) and writes them as four vec4s of dst. One lane per vec4 along i, as
// matmul_pack does, read rows k apart, and at a power-of-two k every read of a workgroup fell in one
// cache set: the W^T of a 256 x 1024 weight took 76 ms on lavapipe, this takes ~1 ms.
// Grid: x covers ceil(k / 4) (64 lanes a workgroup); y and z fold batch * ld / 4 blocks of rows.
@compute @workgroup_size(64)
fn matmul_pack_transpose(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
) {
  let quads = pack.ld / 4u;
  let block = wg.y + wg.z * groups.y;
  let l0 = gid.x * 4u;
  if (block >= pack.batch * quads || l0 >= pack.k) { return; }
  let b = block / quads;
  let iq = block % quads;
  let i0 = iq * 4u;
  let base = b * pack.count * pack.k;
  for (var c = 0u; c < 4u; c++) {
    let l = l0 + c;
    if (l < pack.k) {
      packed[(b * pack.k + l) * quads + iq] = vec4f(
        pack_element(base, i0, l),
        pack_element(base, i0 + 1u, l),
        pack_element(base, i0 + 2u, l),
        pack_element(base, i0 + 3u, l),
      );
    }
  }
}

// matmul_rows: out[b, i, j] (+)= alpha * sum_l A[b, l, i] B[b, l, j] (+ bias[j]) with both operands
// k-major as matmul_pack lays them out: A rows padded to lda vec4s (a multiple of 2: 8 rows), B to
// ldb vec4s. A workgroup of 8 lanes owns 8 output rows (uniform: A loads are broadcasts) and 128
// columns (four vec4s per lane, 8 vec4s apart); accumulators unrolled by hand (as an indexed array
// they ended up in memory on lavapipe). Measured on lavapipe at 1024^3 through Dawn: 8 rows x 4
// vec4s per lane 28.6 GFLOP/s, x 2 vec4s 24.4; through Deno's WebGPU x 3 20-23, and k unrolled
// by two 18.
struct RowsParams {
  m: u32,
  n: u32,
  k: u32,
  batch: u32,
  lda: u32,
  ldb: u32,
  has_bias: u32,
  accumulate: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> rp: RowsParams;
@group(0) @binding(1) var<storage, read_write> rows_out: array<f32>;
@group(0) @binding(2) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> rows_bias: array<f32>;

fn store4(batch: u32, i: u32, c: u32, v: vec4f) {
  if (i >= rp.m) { return; }
  for (var j = 0u; j < 4u; j++) {
    let col = 4u * c + j;
    if (col < rp.n) {
      var x = rp.alpha * v[j];
      if (rp.has_bias != 0u) { x += rows_bias[col]; }
      let at = batch * rp.m * rp.n + i * rp.n + col;
      if (rp.accumulate != 0u) { x += rows_out[at]; }
      rows_out[at] = x;
    }
  }
}

@compute @workgroup_size(8)
fn matmul_rows(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let batch = wg.z;
  let r = wg.y * ROWS;
  let c = wg.x * (8u * COLS) + lid.x;
  // Clamped column indices keep loads in bounds; store4 skips what lies past n.
  let cols = vec4u(min(c, rp.ldb - 1u), min(c + 8u, rp.ldb - 1u), min(c + 16u, rp.ldb - 1u), min(c + 24u, rp.ldb - 1u));
  let a_base = batch * rp.k * rp.lda + r / 4u;
  let b_base = batch * rp.k * rp.ldb;
  var c0_0 = vec4f(); var c0_1 = vec4f(); var c0_2 = vec4f(); var c0_3 = vec4f();
  var c1_0 = vec4f(); var c1_1 = vec4f(); var c1_2 = vec4f(); var c1_3 = vec4f();
  var c2_0 = vec4f(); var c2_1 = vec4f(); var c2_2 = vec4f(); var c2_3 = vec4f();
  var c3_0 = vec4f(); var c3_1 = vec4f(); var c3_2 = vec4f(); var c3_3 = vec4f();
  var c4_0 = vec4f(); var c4_1 = vec4f(); var c4_2 = vec4f(); var c4_3 = vec4f();
  var c5_0 = vec4f(); var c5_1 = vec4f(); var c5_2 = vec4f(); var c5_3 = vec4f();
  var c6_0 = vec4f(); var c6_1 = vec4f(); var c6_2 = vec4f(); var c6_3 = vec4f();
  var c7_0 = vec4f(); var c7_1 = vec4f(); var c7_2 = vec4f(); var c7_3 = vec4f();
  for (var l = 0u; l < rp.k; l++) {
    let a_lo = a4[a_base + l * rp.lda];
    let a_hi = a4[a_base + l * rp.lda + 1u];
    let b0 = b4[b_base + l * rp.ldb + cols.x];
    let b1 = b4[b_base + l * rp.ldb + cols.y];
    let b2 = b4[b_base + l * rp.ldb + cols.z];
    let b3 = b4[b_base + l * rp.ldb + cols.w];
    c0_0 = fma(vec4(a_lo.x), b0, c0_0); c0_1 = fma(vec4(a_lo.x), b1, c0_1); c0_2 = fma(vec4(a_lo.x), b2, c0_2); c0_3 = fma(vec4(a_lo.x), b3, c0_3);
    c1_0 = fma(vec4(a_lo.y), b0, c1_0); c1_1 = fma(vec4(a_lo.y), b1, c1_1); c1_2 = fma(vec4(a_lo.y), b2, c1_2); c1_3 = fma(vec4(a_lo.y), b3, c1_3);
    c2_0 = fma(vec4(a_lo.z), b0, c2_0); c2_1 = fma(vec4(a_lo.z), b1, c2_1); c2_2 = fma(vec4(a_lo.z), b2, c2_2); c2_3 = fma(vec4(a_lo.z), b3, c2_3);
    c3_0 = fma(vec4(a_lo.w), b0, c3_0); c3_1 = fma(vec4(a_lo.w), b1, c3_1); c3_2 = fma(vec4(a_lo.w), b2, c3_2); c3_3 = fma(vec4(a_lo.w), b3, c3_3);
    c4_0 = fma(vec4(a_hi.x), b0, c4_0); c4_1 = fma(vec4(a_hi.x), b1, c4_1); c4_2 = fma(vec4(a_hi.x), b2, c4_2); c4_3 = fma(vec4(a_hi.x), b3, c4_3);
    c5_0 = fma(vec4(a_hi.y), b0, c5_0); c5_1 = fma(vec4(a_hi.y), b1, c5_1); c5_2 = fma(vec4(a_hi.y), b2, c5_2); c5_3 = fma(vec4(a_hi.y), b3, c5_3);
    c6_0 = fma(vec4(a_hi.z), b0, c6_0); c6_1 = fma(vec4(a_hi.z), b1, c6_1); c6_2 = fma(vec4(a_hi.z), b2, c6_2); c6_3 = fma(vec4(a_hi.z), b3, c6_3);
    c7_0 = fma(vec4(a_hi.w), b0, c7_0); c7_1 = fma(vec4(a_hi.w), b1, c7_1); c7_2 = fma(vec4(a_hi.w), b2, c7_2); c7_3 = fma(vec4(a_hi.w), b3, c7_3);
  }
  store4(batch, r + 0u, c + 0u, c0_0); store4(batch, r + 0u, c + 8u, c0_1); store4(batch, r + 0u, c + 16u, c0_2); store4(batch, r + 0u, c + 24u, c0_3);
  store4(batch, r + 1u, c + 0u, c1_0); store4(batch, r + 1u, c + 8u, c1_1); store4(batch, r + 1u, c + 16u, c1_2); store4(batch, r + 1u, c + 24u, c1_3);
  store4(batch, r + 2u, c + 0u, c2_0); store4(batch, r + 2u, c + 8u, c2_1); store4(batch, r + 2u, c + 16u, c2_2); store4(batch, r + 2u, c + 24u, c2_3);
  store4(batch, r + 3u, c + 0u, c3_0); store4(batch, r + 3u, c + 8u, c3_1); store4(batch, r + 3u, c + 16u, c3_2); store4(batch, r + 3u, c + 24u, c3_3);
  store4(batch, r + 4u, c + 0u, c4_0); store4(batch, r + 4u, c + 8u, c4_1); store4(batch, r + 4u, c + 16u, c4_2); store4(batch, r + 4u, c + 24u, c4_3);
  store4(batch, r + 5u, c + 0u, c5_0); store4(batch, r + 5u, c + 8u, c5_1); store4(batch, r + 5u, c + 16u, c5_2); store4(batch, r + 5u, c + 24u, c5_3);
  store4(batch, r + 6u, c + 0u, c6_0); store4(batch, r + 6u, c + 8u, c6_1); store4(batch, r + 6u, c + 16u, c6_2); store4(batch, r + 6u, c + 24u, c6_3);
  store4(batch, r + 7u, c + 0u, c7_0); store4(batch, r + 7u, c + 8u, c7_1); store4(batch, r + 7u, c + 16u, c7_2); store4(batch, r + 7u, c + 24u, c7_3);
}
