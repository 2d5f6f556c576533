/**
 * Batched matrix multiply with optional bias and transposed operands: linear layers, their input and
 * weight gradients, and attention's QK^T and PV per head.
 * @module
 */
import type { Floats } from "./types.ts";

/** Sizes and flags of a batched matmul: out[p] (+)= alpha * op(A[p]) op(B[p]) + bias, p < batch. */
export interface MatmulShape {
  /** Rows of op(A) and of out. */
  m: number;
  /** Columns of op(B) and of out. */
  n: number;
  /** Columns of op(A) = rows of op(B). */
  k: number;
  /** Independent products, stored back to back (default 1). */
  batch?: number;
  /** A is stored [k, m] (so op(A) = A^T). */
  transA?: boolean;
  /** B is stored [n, k] (so op(B) = B^T; a PyTorch Linear weight). */
  transB?: boolean;
  /** Scales the product (not the bias); default 1. */
  alpha?: number;
  /** Add into out instead of overwriting it (gradients accumulate). */
  accumulate?: boolean;
}

/** Resolves defaults and checks the sizes; shared with the device op. */
export function matmulSizes(shape: MatmulShape): Required<MatmulShape> {
  const s = { batch: 1, transA: false, transB: false, alpha: 1, accumulate: false, ...shape };
  for (const key of ["m", "n", "k", "batch"] as const) {
    if (!Number.isInteger(s[key]) || s[key] < 0) {
      throw new RangeError(`matmul: ${key} must be a non-negative integer, got ${s[key]}`);
    }
  }
  return s;
}

/**
 * out[p, i, j] = alpha * sum_l A(p, i, l) B(p, l, j) + bias[j] (or += when `accumulate`).
 * A(p, i, l) is a[p*m*k + i*k + l], or a[p*m*k + l*m + i] when transA; B(p, l, j) is
 * b[p*k*n + l*n + j], or b[p*k*n + j*k + l] when transB. `bias` has n elements (or is null) and is
 * shared by the batch. Float64 accumulation.
 */
export function matmulForward(
  out: Floats,
  a: Floats,
  b: Floats,
  bias: Floats | null,
  shape: MatmulShape,
): void {
  const { m, n, k, batch, transA, transB, alpha, accumulate } = matmulSizes(shape);
  const row = new Float64Array(n);
  for (let p = 0; p < batch; p++) {
    const ao = p * m * k, bo = p * k * n, oo = p * m * n;
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let l = 0; l < k; l++) {
        const av = transA ? a[ao + l * m + i]! : a[ao + i * k + l]!;
        if (transB) {
          for (let j = 0; j < n; j++) row[j]! += av * b[bo + j * k + l]!;
        } else {
          const bl = bo + l * n;
          for (let j = 0; j < n; j++) row[j]! += av * b[bl + j]!;
        }
      }
      for (let j = 0; j < n; j++) {
        const v = alpha * row[j]! + (bias ? bias[j]! : 0);
        out[oo + i * n + j] = accumulate ? out[oo + i * n + j]! + v : v;
      }
    }
  }
}

/**
 * Gradients of {@linkcode matmulForward} (with `dout` the gradient of out), each accumulated:
 * da += alpha * dout op(B)^T (stored like a), db += alpha * op(A)^T dout (stored like b), and
 * dbias[j] += sum over batch and rows of dout[., j]. Pass null for gradients not wanted. `forward`
 * runs the products (the mixed-precision backward passes its own).
 * On the device these are matmuls with other transpose flags plus `biasBackward`.
 */
export function matmulBackward(
  da: Floats | null,
  db: Floats | null,
  dbias: Floats | null,
  dout: Floats,
  a: Floats,
  b: Floats,
  shape: MatmulShape,
  forward: typeof matmulForward = matmulForward,
): void {
  const s = matmulSizes(shape);
  for (const g of matmulBackwardPlan(s)) {
    const target = g.grad === "a" ? da : db;
    if (!target) continue;
    const left = g.left === "dout" ? dout : g.left === "a" ? a : b;
    const right = g.right === "dout" ? dout : g.right === "a" ? a : b;
    forward(target, left, right, null, g.shape);
  }
  if (dbias) {
    const { m, n, batch } = s;
    for (let r = 0; r < batch * m; r++) {
      for (let j = 0; j < n; j++) dbias[j] = dbias[j]! + dout[r * n + j]!;
    }
  }
}

/** One gradient of a matmul expressed as another matmul: grad (+)= left x right with `shape`. */
export interface MatmulGradient {
  /** Whose gradient this is: it is stored like that operand. */
  grad: "a" | "b";
  /** The product's first operand. */
  left: "dout" | "a" | "b";
  /** The product's second operand. */
  right: "dout" | "a" | "b";
  /** Sizes and transpose flags of the product; always `accumulate`. */
  shape: Required<MatmulShape>;
}

/**
 * How each operand's gradient is computed as a matmul, for all four transpose cases; the CPU and
 * device backwards both follow this plan.
 */
export function matmulBackwardPlan(s: Required<MatmulShape>): MatmulGradient[] {
  const { m, n, k, batch, transA, transB, alpha } = s;
  const base = { batch, alpha, accumulate: true };
  // dA(op) = dout B(op)^T is [m, k]; stored A^T is [k, m] = B(op) dout^T.
  const gradA: MatmulGradient = transA
    ? {
      grad: "a",
      left: "b",
      right: "dout",
      shape: { ...base, m: k, n: m, k: n, transA: transB, transB: true },
    }
    : {
      grad: "a",
      left: "dout",
      right: "b",
      shape: { ...base, m, n: k, k: n, transA: false, transB: !transB },
    };
  // dB(op) = A(op)^T dout is [k, n]; stored B^T is [n, k] = dout^T A(op).
  const gradB: MatmulGradient = transB
    ? {
      grad: "b",
      left: "dout",
      right: "a",
      shape: { ...base, m: n, n: k, k: m, transA: true, transB: transA },
    }
    : {
      grad: "b",
      left: "a",
      right: "dout",
      shape: { ...base, m: k, n, k: m, transA: !transA, transB: false },
    };
  return [gradA, gradB];
}
