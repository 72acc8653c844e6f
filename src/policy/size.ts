import { PolicyError } from '../errors.js';
import type { RlimitValue, Size } from './types.js';

/** RLIM_INFINITY as the kernel sees it: all 64 bits set. */
export const RLIM_INFINITY = 0xffffffffffffffffn;

/** A resource limit as setrlimit(2) takes it. */
export interface RlimitPair {
  soft: bigint;
  hard: bigint;
}

const SIZE_EXAMPLES = "a byte count such as 1048576, or a string such as '64M', '1.5G', '512K' or '4096'";

/** Powers of 1024: memory and tmpfs sizes are binary everywhere in the kernel. */
const UNIT_EXPONENT: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4 };

/** Digits, then an optional unit K/M/G/T that may carry a B or iB suffix; a lone B means bytes. */
const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|b)?$/i;

/**
 * Turns `64M`, `1.5G`, `512K`, `100` or a number into bytes.
 * Takes unchecked user input: anything else throws a PolicyError naming `field`.
 */
export function parseSize(field: string, value: Size): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new PolicyError(field, value, 'a size in bytes must be a whole number of at least 0', `write ${SIZE_EXAMPLES}`);
    }
    return value;
  }
  if (typeof value !== 'string') {
    throw new PolicyError(field, value, 'a size must be a number or a string', `write ${SIZE_EXAMPLES}`);
  }
  const match = SIZE_PATTERN.exec(value.trim());
  if (!match) {
    throw new PolicyError(field, value, 'is not a size', `write digits with an optional unit K, M, G or T (powers of 1024): ${SIZE_EXAMPLES}`);
  }
  const [, digits, unit = ''] = match;
  if (unit === '' && digits.includes('.')) {
    throw new PolicyError(field, value, 'a byte count cannot have a fraction', `write whole bytes such as '${Math.floor(Number(digits))}', or add a unit such as '${digits}K'`);
  }
  // Fractions of a unit round down to whole bytes: '0.1K' is 102 bytes.
  const bytes = Math.floor(Number(digits) * 1024 ** UNIT_EXPONENT[unit.toLowerCase()]);
  if (!Number.isSafeInteger(bytes)) {
    throw new PolicyError(field, value, 'is too large to represent exactly', `write a smaller size such as '1T'`);
  }
  return bytes;
}

/**
 * Turns an rlimit value into a soft/hard pair: a number or size string sets both,
 * 'unlimited' is RLIM_INFINITY, `{ soft, hard }` sets them apart (soft may not exceed hard).
 */
export function parseRlimit(field: string, value: RlimitValue): RlimitPair {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return parseRlimitPair(field, value);
  }
  const limit = parseRlimitScalar(field, value);
  return { soft: limit, hard: limit };
}

function parseRlimitPair(field: string, pair: object): RlimitPair {
  const example = "{ soft: 1024, hard: 4096 } or { soft: '64M', hard: 'unlimited' }";
  for (const key of Object.keys(pair)) {
    if (key !== 'soft' && key !== 'hard') {
      throw new PolicyError(`${field}.${key}`, key, 'is not a field of an rlimit pair', `use only soft and hard, e.g. ${example}`);
    }
  }
  const { soft, hard } = pair as { soft?: unknown; hard?: unknown };
  if (soft === undefined || hard === undefined) {
    const missing = soft === undefined ? 'soft' : 'hard';
    throw new PolicyError(`${field}.${missing}`, pair, `an rlimit pair needs both soft and hard; ${missing} is missing`, `write both, e.g. ${example}, or a single value for both`);
  }
  const limits = {
    soft: parseRlimitScalar(`${field}.soft`, soft as RlimitValue),
    hard: parseRlimitScalar(`${field}.hard`, hard as RlimitValue),
  };
  if (limits.soft > limits.hard) {
    throw new PolicyError(field, pair, 'the soft limit is above the hard limit, which setrlimit refuses', `lower soft or raise hard, e.g. { soft: ${describeLimit(limits.hard)}, hard: ${describeLimit(limits.hard)} }`);
  }
  return limits;
}

function parseRlimitScalar(field: string, value: RlimitValue | unknown): bigint {
  if (value === Infinity || (typeof value === 'string' && value.trim().toLowerCase() === 'unlimited')) {
    return RLIM_INFINITY;
  }
  if (value === -1) {
    throw new PolicyError(field, value, 'negative limits are not allowed', "write 'unlimited' for no limit");
  }
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new PolicyError(field, value, 'an rlimit must be a number, a size string, "unlimited" or { soft, hard }', "write e.g. 1024, '64M', 'unlimited' or { soft: 1024, hard: 4096 }");
  }
  return BigInt(parseSize(field, value));
}

function describeLimit(limit: bigint): string {
  return limit === RLIM_INFINITY ? "'unlimited'" : String(limit);
}
