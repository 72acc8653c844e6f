// Small statistics helpers for the spawn benchmark.

/** Linear-interpolated percentile (same convention as numpy's default), p in [0, 100]. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export const median = (values) => percentile(values, 50);

/** Summary of per-run timings in milliseconds. */
export function summarize(values) {
  return {
    runs: values.length,
    medianMs: median(values),
    p90Ms: percentile(values, 90),
    minMs: values.length ? Math.min(...values) : NaN,
    maxMs: values.length ? Math.max(...values) : NaN,
    meanMs: values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN,
  };
}

export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null);
