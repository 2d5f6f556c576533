// Column sums: dbias[c] += sum_r dout[r, c], the gradient of a bias added to every row. No float
// atomics, deterministic: two passes through a scratch of per-chunk partial sums, each output owned by
// one invocation that adds in a fixed order. Chunks are planned by biasBackwardPlan (core/cpu/bias.ts).
//
// bias_backward_partial: one invocation per (column, chunk of rows_per_chunk rows); adjacent
//   invocations read adjacent columns of a row (coalesced).
//   scratch[k, c] (overwritten) = sum of dout[r, c] over rows r of chunk k
//   binding 1 scratch: chunks*cols   2 dout: rows*cols
//   Dispatch: (ceil(cols / 256), chunks) workgroups of 256.
// bias_backward_reduce: one invocation per column.
//   dbias[c] (accumulated) += sum_k scratch[k, c]
//   binding 1 dbias: cols   2 scratch: chunks*cols
//   Dispatch: ceil(cols / 256) workgroups of 256, folded into a 2-D grid (grid1d).

struct Params { rows: u32, cols: u32, rows_per_chunk: u32, chunks: u32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read_write> part_scratch: array<f32>;
@group(0) @binding(2) var<storage, read> part_dout: array<f32>;

@compute @workgroup_size(256)
fn bias_backward_partial(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let k = gid.y;
  if (c >= p.cols) { return; }
  let end = min(p.rows, (k + 1u) * p.rows_per_chunk);
  let stride = p.cols;
  var r = k * p.rows_per_chunk;
  var i = r * stride + c;
  // Four rows per step into four sums: four independent loads in flight per invocation, which a
  // memory-bound loop needs to approach the bandwidth of a large GPU.
  var s4 = vec4f(0.0);
  for (; r + 4u <= end; r += 4u) {
    s4 += vec4f(part_dout[i], part_dout[i + stride], part_dout[i + 2u * stride], part_dout[i + 3u * stride]);
    i += 4u * stride;
  }
  var s = (s4.x + s4.y) + (s4.z + s4.w);
  for (; r < end; r++) {
    s += part_dout[i];
    i += stride;
  }
  part_scratch[k * p.cols + c] = s;
}

@group(0) @binding(1) var<storage, read_write> red_dbias: array<f32>;
@group(0) @binding(2) var<storage, read> red_scratch: array<f32>;

@compute @workgroup_size(256)
fn bias_backward_reduce(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let c = gid.x + gid.y * groups.x * 256u;
  if (c >= p.cols) { return; }
  // Four partials per step, as in the first pass: few invocations here (one per column), so each
  // needs loads in flight.
  let stride = p.cols;
  var k = 0u;
  var i = c;
  var s4 = vec4f(0.0);
  for (; k + 4u <= p.chunks; k += 4u) {
    s4 += vec4f(red_scratch[i], red_scratch[i + stride], red_scratch[i + 2u * stride], red_scratch[i + 3u * stride]);
    i += 4u * stride;
  }
  var s = (s4.x + s4.y) + (s4.z + s4.w);
  for (; k < p.chunks; k++) {
    s += red_scratch[i];
    i += stride;
  }
  red_dbias[c] += s;
}
