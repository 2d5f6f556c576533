/**
 * Float64 special functions the CPU twins need and JavaScript lacks.
 * @module
 */
const SQRT_PI = Math.sqrt(Math.PI);

/** erf(x) to near double precision: a positive series near 0, a continued fraction in the tails. */
export function erf(x: number): number {
  if (x < 0) return -erf(-x);
  if (x < 2.5) {
    // erf(x) = 2/sqrt(pi) e^{-x^2} sum 2^n x^{2n+1} / (1*3*...*(2n+1)): every term positive, no cancellation.
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return (2 / SQRT_PI) * Math.exp(-x * x) * sum;
  }
  return 1 - erfc(x);
}

/** erfc(x) with relative accuracy in the upper tail (continued fraction for x >= 2.5). */
export function erfc(x: number): number {
  if (x < 2.5) return 1 - erf(x);
  // Lentz's method on erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / SQRT_PI / f;
}

/** The standard normal CDF, accurate in relative terms for very negative x too. */
export function normalCdf(x: number): number {
  return x < 0 ? 0.5 * erfc(-x / Math.SQRT2) : 1 - 0.5 * erfc(x / Math.SQRT2);
}
