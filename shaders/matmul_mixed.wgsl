// Mixed-precision batched matmul, the `--precision mixed` twin of matmul.wgsl: the same op
//   out[p, i, j] (= or +=) alpha * sum_l A(p, i, l) B(p, l, j) + bias[j]
// with A and B rounded to f16 on their way in (as PyTorch's autocast casts a Linear's operands) and
// every product and sum in f32 (as tensor cores accumulate f16 products in f32). Operands, output
// and bias stay f32 in memory: the master weights and activations are f32, so only the matmuls see
// f16. Needs the device feature shader-f16. CPU twin: core/cpu/matmul_mixed.ts.
//
// Entry points, chosen by core/webgpu/matmul_mixed.ts:
// - matmul_mixed_pack / matmul_mixed_pack_transpose + matmul_mixed_rows: for CPU-emulated adapters
//   (lavapipe), matmul.wgsl's `rows` design on f16 operands packed k-major (half the bytes read).
// - matmul_mixed_tiled: for real GPUs, matmul.wgsl's `tiled` design with f16 workgroup tiles (half
//   the workgroup memory and its traffic).
enable f16;

// f16's largest finite value is 65504; IEEE round-to-nearest sends |x| >= 65520 to infinity. WGSL
// leaves the conversion of out-of-range values undefined, and the loss scaler finds overflow by the
// gradients turning infinite, so the rounding is spelled out: infinity comes from doubling f16's
// largest value at run time (a constant infinity is a shader-creation error, and Deno's WGSL
// compiler rejects a bitcast to vec2<f16>).
const F16_OVERFLOW = 65520.0;

fn to_f16(x: f32) -> f16 {
  if (abs(x) >= F16_OVERFLOW) {
    let largest = select(-65504.0h, 65504.0h, x > 0.0);
    return largest * 2.0h;
  }
  return f16(x);
}

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

fn load_a(base: u32, i: u32, l: u32) -> f16 {
  if (i >= p.m || l >= p.k) { return 0.0h; }
  if (p.trans_a != 0u) { return to_f16(a[base + l * p.m + i]); }
  return to_f16(a[base + i * p.k + l]);
}

fn load_b(base: u32, l: u32, j: u32) -> f16 {
  if (l >= p.k || j >= p.n) { return 0.0h; }
  if (p.trans_b != 0u) { return to_f16(b[base + j * p.k + l]); }
  return to_f16(b[base + l * p.n + j]);
}

fn store(batch: u32, i: u32, j: u32, sum: f32) {
  if (i >= p.m || j >= p.n) { return; }
  var v = p.alpha * sum;
  if (p.has_bias != 0u) { v += bias[j]; }
  let at = batch * p.m * p.n + i * p.n + j;
  if (p.accumulate != 0u) { v += out[at]; }
  out[at] = v;
}

const TILE = 64u;
const KT = 16u;
var<workgroup> tile_a: array<f16, 1024>; // [KT][TILE]: A(i, l) at l*TILE + i
var<workgroup> tile_b: array<f16, 1024>; // [KT][TILE]: B(l, j) at l*TILE + j

// matmul.wgsl's matmul_forward_tiled on f16 tiles; see there for the layout.
@compute @workgroup_size(16, 16)
fn matmul_mixed_tiled(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
                      @builtin(local_invocation_index) li: u32) {
  let batch = wg.z;
  let a_base = batch * p.m * p.k;
  let b_base = batch * p.k * p.n;
  let row_base = wg.y * TILE;
  let col_base = wg.x * TILE;
  var acc: array<array<f32, 4>, 4>;
  for (var l0 = 0u; l0 < p.k; l0 += KT) {
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
        av[t] = f32(tile_a[l * TILE + lid.y + 16u * t]);
        bv[t] = f32(tile_b[l * TILE + lid.x + 16u * t]);
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

// matmul_mixed_pack: matmul.wgsl's matmul_pack writing f16: dst[b, l, i] = f16(X(b, i, l)) for
// i < count, 0 up to ld. X(b, i, l) = src[b*count*k + l*count + i] when k_major = 1, else
// src[b*count*k + i*k + l]. Grid as matmul_pack's.
struct PackParams {
  count: u32,
  k: u32,
  ld: u32,
  batch: u32,
  k_major: u32,
}

@group(0) @binding(0) var<uniform> pack: PackParams;
@group(0) @binding(1) var<storage, read_write> packed: array<vec4<f16>>;
@group(0) @binding(2) var<storage, read> unpacked: array<f32>;

fn pack_element(base: u32, i: u32, l: u32) -> f16 {
  if (i >= pack.count) { return 0.0h; }
  if (pack.k_major != 0u) { return to_f16(unpacked[base + l * pack.count + i]); }
  return to_f16(unpacked[base + i * pack.k + l]);
}

@compute @workgroup_size(64)
fn matmul_mixed_pack(
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
  packed[row * quads + gid.x] = vec4<f16>(
    pack_element(base, i, l),
    pack_element(base, i + 1u, l),
    pack_element(base, i + 2u, l),
    pack_element(base, i + 3u, l),
  );
}

// matmul.wgsl's matmul_pack_transpose writing f16 (4x4 blocks, lanes along l); grid as there.
@compute @workgroup_size(64)
fn matmul_mixed_pack_transpose(
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
      packed[(b * pack.k + l) * quads + iq] = vec4<f16>(
        pack_element(base, i0, l),
        pack_element(base, i0 + 1u, l),
        pack_element(base, i0 + 2u, l),
        pack_element(base, i0 + 3u, l),
      );
    }
  }
}

// matmul_mixed_rows: matmul.wgsl's matmul_rows on f16 operands packed k-major (A rows padded to lda
// vec4s, a multiple of 2; B to ldb vec4s): 8 lanes own 8 output rows and 128 columns; each f16 quad
// is widened once per k, and the 32 vec4 FMAs per k stay in f32.
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

const ROWS = 8u;
const COLS = 4u; // vec4 columns per lane, 8 apart

@group(0) @binding(0) var<uniform> rp: RowsParams;
@group(0) @binding(1) var<storage, read_write> rows_out: array<f32>;
@group(0) @binding(2) var<storage, read> a4: array<vec4<f16>>;
@group(0) @binding(3) var<storage, read> b4: array<vec4<f16>>;
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
fn matmul_mixed_rows(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let batch = wg.z;
  let r = wg.y * ROWS;
  let c = wg.x * (8u * COLS) + lid.x;
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
    let a_lo = vec4f(a4[a_base + l * rp.lda]);
    let a_hi = vec4f(a4[a_base + l * rp.lda + 1u]);
    let b0 = vec4f(b4[b_base + l * rp.ldb + cols.x]);
    let b1 = vec4f(b4[b_base + l * rp.ldb + cols.y]);
    let b2 = vec4f(b4[b_base + l * rp.ldb + cols.z]);
    let b3 = vec4f(b4[b_base + l * rp.ldb + cols.w]);
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
