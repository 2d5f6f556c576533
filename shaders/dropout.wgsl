// Inverted dropout with a counter-based mask: keep(i) = uniform01(seed, stream, i) >= p, recomputed
// from (seed, stream, i) in the backward instead of stored. The generator is a bit-exact copy of
// core/cpu/rng.ts (chained triple32 hashes); keep the two in step.
// The host passes threshold = ceil(p * 2^24), so keep(i) = (u >> 8) >= threshold, an integer compare
// that agrees exactly with the CPU's uniform01 >= p; scale = f32(1 / (1 - p)).
//
// dropout_forward:  out[n] (overwritten) = keep ? inp * scale : 0
//   binding 1 out: array<f32>, n     binding 2 inp: array<f32>, n
// dropout_backward: dinp[n] (accumulated) += keep ? dout * scale : 0
//   binding 1 dinp: array<f32>, n    binding 2 dout: array<f32>, n
// random_bits: out[n] (overwritten) = randomU32(seed, stream, offset + i), for testing the generator
//   binding 1 out: array<u32>, n
// Dispatch: ceil(n / 256) invocation groups of 256, folded into a 2-D grid (see grid1d).

struct Params { n: u32, seed: u32, stream: u32, threshold: u32, scale: f32 }
struct BitsParams { n: u32, seed: u32, stream: u32, offset: u32 }

fn triple32(v: u32) -> u32 {
  var x = v;
  x ^= x >> 17u;
  x *= 0xed5ad4bbu;
  x ^= x >> 11u;
  x *= 0xac4c1b51u;
  x ^= x >> 15u;
  x *= 0x31848babu;
  x ^= x >> 14u;
  return x;
}

fn rng_keys(seed: u32, stream: u32) -> vec2u {
  let k1 = triple32(triple32(seed + 0x9e3779b9u) ^ stream);
  return vec2u(k1, triple32(k1 + 0x7f4a7c15u));
}

fn keyed_u32(keys: vec2u, index: u32) -> u32 {
  return triple32(triple32(index + keys.x) ^ keys.y);
}

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read_write> fwd_out: array<f32>;
@group(0) @binding(2) var<storage, read> fwd_inp: array<f32>;

@compute @workgroup_size(256)
fn dropout_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  let keep = (keyed_u32(rng_keys(p.seed, p.stream), i) >> 8u) >= p.threshold;
  fwd_out[i] = select(0.0, fwd_inp[i] * p.scale, keep);
}

@group(0) @binding(1) var<storage, read_write> bwd_dinp: array<f32>;
@group(0) @binding(2) var<storage, read> bwd_dout: array<f32>;

@compute @workgroup_size(256)
fn dropout_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  if ((keyed_u32(rng_keys(p.seed, p.stream), i) >> 8u) >= p.threshold) {
    bwd_dinp[i] += bwd_dout[i] * p.scale;
  }
}

@group(0) @binding(0) var<uniform> bits_p: BitsParams;
@group(0) @binding(1) var<storage, read_write> bits_out: array<u32>;

@compute @workgroup_size(256)
fn random_bits(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= bits_p.n) { return; }
  bits_out[i] = keyed_u32(rng_keys(bits_p.seed, bits_p.stream), bits_p.offset + i);
}
