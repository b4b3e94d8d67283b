export function percentile(values, fraction) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank];
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export const mebibytes = (bytes) => bytes / 1024 / 1024;

/** Cycles every list's start through every position, so each entry comes first in turn. */
export const rotated = (list, by) => list.map((_, index) => list[(index + by) % list.length]);

/** `value` with its sign always written (a true minus sign), the digits by `format`. */
export const signed = (value, format) => `${value >= 0 ? '+' : '−'}${format(Math.abs(value))}`;
