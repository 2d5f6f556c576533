/**
 * Reads WGSL sources, once each: `name` is a file of `shaders/` without its extension, or a path
 * ending in `.wgsl` (for kernels kept elsewhere, such as test fixtures).
 * @module
 */
const cache = new Map<string, string>();

/** Where the source of `name` lives, as shown in error messages. */
export function shaderPath(name: string): string {
  return name.endsWith(".wgsl") ? name : `shaders/${name}.wgsl`;
}

/** The text of the shader `name`. */
export function loadShader(name: string): string {
  let code = cache.get(name);
  if (code === undefined) {
    const url = name.endsWith(".wgsl") ? name : new URL(`../shaders/${name}.wgsl`, import.meta.url);
    try {
      code = Deno.readTextFileSync(url);
    } catch (error) {
      throw new Error(`Cannot read shader "${shaderPath(name)}": ${(error as Error).message}`);
    }
    cache.set(name, code);
  }
  return code;
}
