/**
 * Reads WGSL sources from `shaders/`, once each.
 * @module
 */
const cache = new Map<string, string>();

/** The text of `shaders/<name>.wgsl`. */
export function loadShader(name: string): string {
  let code = cache.get(name);
  if (code === undefined) {
    const url = new URL(`../shaders/${name}.wgsl`, import.meta.url);
    try {
      code = Deno.readTextFileSync(url);
    } catch (error) {
      throw new Error(`Cannot read shader "shaders/${name}.wgsl": ${(error as Error).message}`);
    }
    cache.set(name, code);
  }
  return code;
}
