/**
 * A backend that runs nothing and counts: every tensor the model and trainer allocate, one by one and
 * in total. Used to size a step before touching a device (the memory benchmark, and the
 * pre-training check that a batch fits the adapter's limits).
 * @module
 */
import type { Ops } from "./ops.ts";

/** A counted tensor: only its size. */
export interface Counted {
  size: number;
}

/** The counting backend and its tallies (bytes). */
export interface CountingOps {
  ops: Ops<Counted>;
  /** Bytes of every allocation so far. */
  allocated: () => number;
  /** Bytes of each allocation so far, in order. */
  sizes: () => number[];
}

/** A fresh counting backend; a kernel call is a no-op, anything else it lacks throws. */
export function countingOps(): CountingOps {
  let total = 0;
  const sizes: number[] = [];
  const count = (size: number) => {
    total += size;
    sizes.push(size * 4);
    return { size };
  };
  const plumbing: Partial<Ops<Counted>> = {
    backend: "cpu",
    precision: "fp32",
    maxBinding: Number.MAX_SAFE_INTEGER,
    tensor: (size) => count(size),
    upload: (data) => count(data.length),
    write: () => {},
    view: (_t, _offset, size) => ({ size }),
    read: (t) => Promise.resolve(new Float32Array(t.size)),
    readInt: (t) => Promise.resolve(new Int32Array(t.size)),
    flush: () => Promise.resolve(),
  };
  // Every kernel is a no-op; anything else the model asks for must be listed above, not made up.
  const ops = new Proxy(plumbing, {
    get: (target, prop) => {
      if (prop in target) return Reflect.get(target, prop);
      if (/(Forward|Backward)$|^(fill|gradNorm|clipGradients|adamwUpdate|adamwMulti)$/.test(String(prop))) {
        return () => {};
      }
      throw new Error(`The counting backend lacks "${String(prop)}"`);
    },
  }) as Ops<Counted>;
  return { ops, allocated: () => total * 4, sizes: () => [...sizes] };
}
