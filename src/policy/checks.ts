// Small checks every policy reader shares: plain objects, integers, booleans, unknown keys with "did you mean".
import { PolicyError } from '../errors.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** An integer from `min` to `max` (no upper bound when `max` is Infinity); `expected` completes "write ...". */
export function readInteger(field: string, value: unknown, min: number, max: number, expected: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new PolicyError(field, value, `must be an integer ${range}`, `write ${expected}`);
  }
  return value;
}

export function readBoolean(field: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new PolicyError(field, value, 'must be true or false', 'write true or false (a boolean, not a string)');
}

export function rejectUnknownKeys(field: string, object: Record<string, unknown>, known: readonly string[], what: string): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const suggestion = closestName(key, known);
    const listed = `known ${what}s: ${known.join(', ')}`;
    throw new PolicyError(memberPath(field, key), key, `is not a known ${what}`, suggestion ? `did you mean '${suggestion}'? (${listed})` : `remove it; ${listed}`);
  }
}

/** `policy.env.HOME`, or `policy.env["1BAD"]` when the key is not an identifier. */
export function memberPath(parent: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/**
 * The candidate nearest to `word` by case-insensitive edit distance, when near enough to be a likely typo.
 * A prefix either way counts as near ('network' -> 'net', 'CAP_NET_BIND' -> 'CAP_NET_BIND_SERVICE').
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  const typed = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const known = candidate.toLowerCase();
    const isPrefix = Math.min(typed.length, known.length) >= 3 && (typed.startsWith(known) || known.startsWith(typed));
    const distance = Math.min(editDistance(typed, known), isPrefix ? 1 : Infinity);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(2, Math.ceil(word.length / 3)) ? best : undefined;
}

/** Levenshtein distance with two rolling rows. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
