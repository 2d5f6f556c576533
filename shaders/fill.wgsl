// Fill: out[n] (overwritten) = value; used to zero gradients once per step.
//   binding 0 params { n: u32, value: f32 }    binding 1 out: array<f32>, n
// Dispatch: ceil(n / 256) invocation groups of 256, folded into a 2-D grid (see grid1d).

struct Params { n: u32, value: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> fill_out: array<f32>;

@compute @workgroup_size(256)
fn fill(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i < p.n) { fill_out[i] = p.value; }
}
