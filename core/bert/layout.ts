/**
 * One flat buffer for all parameters, with a named view per tensor (HuggingFace names); gradients
 * and AdamW moments mirror the layout. Offsets are multiples of 64 elements (256 bytes) so every
 * view can be bound on a device.
 * @module
 */

/** A named tensor's place in the flat buffer. */
export interface LayoutEntry {
  /** HuggingFace name, e.g. `bert.encoder.layer.0.attention.self.query.weight`. */
  readonly name: string;
  /** PyTorch shape, e.g. [out, in] for a Linear weight. */
  readonly shape: readonly number[];
  /** First element in the flat buffer; a multiple of 64. */
  readonly offset: number;
  /** Elements: the product of `shape`. */
  readonly size: number;
  /** AdamW's weight decay applies (not to biases and LayerNorm parameters, as in BERT). */
  readonly decay: boolean;
}

/** The layout of a parameter set. */
export interface Layout {
  /** Every tensor, in buffer order. */
  readonly entries: readonly LayoutEntry[];
  /** The same entries, by name. */
  readonly byName: ReadonlyMap<string, LayoutEntry>;
  /** Elements in the flat buffer, padding included. */
  readonly size: number;
}

const ALIGN = 64;

/** Lays `tensors` out in order; biases and LayerNorm tensors are marked no-decay. */
export function buildLayout(tensors: readonly { name: string; shape: readonly number[] }[]): Layout {
  const entries: LayoutEntry[] = [];
  const byName = new Map<string, LayoutEntry>();
  let offset = 0;
  for (const { name, shape } of tensors) {
    if (byName.has(name)) throw new RangeError(`Cannot lay out "${name}" twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const decay = !(name.endsWith(".bias") || name.includes("LayerNorm"));
    const entry = { name, shape, offset, size, decay };
    entries.push(entry);
    byName.set(name, entry);
    offset += Math.ceil(size / ALIGN) * ALIGN;
  }
  return { entries, byName, size: offset };
}

/** The entry named `name`, or a RangeError naming it. */
export function entry(layout: Layout, name: string): LayoutEntry {
  const e = layout.byName.get(name);
  if (!e) throw new RangeError(`No parameter named "${name}" in this model`);
  return e;
}
