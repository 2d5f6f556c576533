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
// - matmul_forward_tiled: for real GPUs; 64x64 output tile per workgroup staged through workgroup
//   memory in k-slices of 16, 4x4 outputs per invocation.
// - matmul_forward_rows: for CPU-emulated adapters (lavapipe), where barriers are expensive and
//   a workgroup of 8 is one SIMD program: each workgroup owns ROWS rows (uniform across its lanes,
//   so A loads become scalar broadcasts) and 8*COLS columns (one per lane and step); no
//   workgroup memory, no barriers.
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
const COLS = 2u;

@compute @workgroup_size(8)
fn matmul_forward_rows(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let batch = wg.z;
  let a_base = batch * p.m * p.k;
  let b_base = batch * p.k * p.n;
  let row0 = wg.y * ROWS;
  let col0 = wg.x * (8u * COLS) + lid.x;
  // Clamped indices keep every load in bounds without branches; only the stores are guarded.
  var rows: array<u32, ROWS>;
  for (var i = 0u; i < ROWS; i++) { rows[i] = min(row0 + i, p.m - 1u); }
  var cols: array<u32, COLS>;
  for (var j = 0u; j < COLS; j++) { cols[j] = min(col0 + 8u * j, p.n - 1u); }
  var acc: array<array<f32, COLS>, ROWS>;
  let a_row_stride = select(p.k, 1u, p.trans_a != 0u);
  let a_l_stride = select(1u, p.m, p.trans_a != 0u);
  let b_l_stride = select(p.n, 1u, p.trans_b != 0u);
  let b_col_stride = select(1u, p.k, p.trans_b != 0u);
  for (var l = 0u; l < p.k; l++) {
    var bv: array<f32, COLS>;
    for (var j = 0u; j < COLS; j++) { bv[j] = b[b_base + l * b_l_stride + cols[j] * b_col_stride]; }
    for (var i = 0u; i < ROWS; i++) {
      let av = a[a_base + rows[i] * a_row_stride + l * a_l_stride];
      for (var j = 0u; j < COLS; j++) { acc[i][j] = fma(av, bv[j], acc[i][j]); }
    }
  }
  for (var i = 0u; i < ROWS; i++) {
    for (var j = 0u; j < COLS; j++) { store(batch, row0 + i, col0 + 8u * j, acc[i][j]); }
  }
}
