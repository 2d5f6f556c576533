// Gather of selected rows (the MLM-masked positions) and its scatter-add gradient.
//
// gather_rows_forward:  out[count, cols] (overwritten): out[i, c] = inp[rows[i], c]
//   binding 1 out: array<f32>, count*cols    binding 2 inp: array<f32>, inp_rows*cols
//   binding 3 rows: array<i32>, count
//   A row outside [0, inp_rows) is not read: its output row is NaN, so the bad index surfaces.
// gather_rows_backward: dinp[inp_rows, cols] (accumulated): dinp[rows[i], c] += dout[i, c]
//   binding 1 dinp: array<f32>, inp_rows*cols    binding 2 dout: array<f32>, count*cols
//   binding 3 rows: array<i32>, count
//   Rows must be distinct (the CPU twin checks): each dinp element then has one writer, no races.
//   A row outside [0, inp_rows) is skipped rather than written out of bounds.
// Dispatch: ceil(count*cols / 256) invocation groups of 256, folded into a 2-D grid (see grid1d).

struct Params { count: u32, cols: u32, inp_rows: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read> rows: array<i32>;

// A quiet NaN. Through a var: WGSL rejects a NaN constant expression.
fn quiet_nan() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@compute @workgroup_size(256)
fn gather_rows_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.count * p.cols) { return; }
  let r = rows[i / p.cols];
  if (r < 0 || u32(r) >= p.inp_rows) {
    dst[i] = quiet_nan();
    return;
  }
  dst[i] = src[u32(r) * p.cols + i % p.cols];
}

@compute @workgroup_size(256)
fn gather_rows_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.count * p.cols) { return; }
  let r = rows[i / p.cols];
  if (r < 0 || u32(r) >= p.inp_rows) { return; }
  let at = u32(r) * p.cols + i % p.cols;
  dst[at] += src[i];
}
