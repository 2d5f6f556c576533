/**
 * Renders a vega-lite spec to SVG, headless (no canvas, no network): the plots of `pretrain`
 * (`loss.svg`) and `experiment` (`experiment.svg`).
 * @module
 */
import process from "node:process";
import type * as vl from "vega-lite";

/** A vega-lite spec (vega-lite's `TopLevelSpec`): what the plot builders return, and what gets rendered. */
export type VegaLiteSpec = vl.TopLevelSpec;

type VegaModules = { vega: typeof import("vega"); vegaLite: typeof import("vega-lite") };
let modules: Promise<VegaModules> | undefined;

/**
 * Imports vega and vega-lite once, on first use. A dependency of vega requires node's deprecated
 * `punycode`, and node prints a DEP0040 warning for it: useless noise for users, so deprecation
 * warnings are silenced while the modules load, and only then.
 */
function loadVega(): Promise<VegaModules> {
  modules ??= (async () => {
    // node's documented flag, missing from Deno's typings of `process`.
    const flags = process as unknown as { noDeprecation?: boolean };
    const previous = flags.noDeprecation;
    flags.noDeprecation = true;
    try {
      const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
      return { vega, vegaLite };
    } finally {
      flags.noDeprecation = previous;
    }
  })();
  return modules;
}

/**
 * The SVG text of a vega-lite spec.
 *
 * @example
 * ```ts
 * const svg = await renderVegaLite({ data: { values: [{ x: 1, y: 2 }] }, mark: "point" });
 * ```
 */
export async function renderVegaLite(spec: VegaLiteSpec): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
