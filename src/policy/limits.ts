// Validation of policy.limits: sizes, durations and counts in plain units.
import { PolicyError } from '../errors.js';
import { parseRlimit, parseSize, type RlimitPair } from './size.js';
import type { Duration, Limits, ResolvedLimits, Size } from './types.js';

const LIMIT_FIELDS = ['memory', 'swap', 'pids', 'cpus', 'cpuset', 'cpuTime', 'wallTime', 'output', 'fileSize', 'openFiles', 'bestEffort'] as const;
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const MAX_DURATION_MS = 7 * 24 * 3_600_000;
const CPUSET = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

export const LIMIT_NAMES: readonly string[] = LIMIT_FIELDS;

/** Milliseconds from a number (ms) or '1.5s', '100ms', '2m', '1h'. */
export function parseDuration(field: string, value: Duration): number {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    const match = DURATION.exec(value.trim());
    if (match) ms = Number(match[1]) * UNIT_MS[(match[2] ?? 'ms').toLowerCase()];
  }
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0 || ms > MAX_DURATION_MS) {
    throw new PolicyError(field, value, 'must be a positive duration of at most 7 days', "write milliseconds as a number, or a string such as '1.5s', '250ms' or '2m'");
  }
  return ms;
}

function positiveInteger(field: string, value: unknown, max: number, example: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new PolicyError(field, value, `must be a whole number from 1 to ${max}`, `write e.g. ${example}`);
  }
  return value;
}

function size(field: string, value: unknown, min: number): number {
  const bytes = parseSize(field, value as Size);
  if (bytes < min) throw new PolicyError(field, value, `must be at least ${min} bytes`, "write e.g. '64M'");
  return bytes;
}

export interface LimitsReading {
  limits: Partial<ResolvedLimits>;
  /** Limits that are plain rlimits, merged into policy.rlimits. */
  rlimits: { fsize?: RlimitPair; nofile?: RlimitPair };
}

export function readLimits(field: string, value: unknown, suggest: (word: string) => string | undefined): LimitsReading {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PolicyError(field, value, 'must be an object of limits', "write e.g. { memory: '256M', cpuTime: '2s', pids: 64 }");
  }
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(LIMIT_FIELDS as readonly string[]).includes(key)) {
      const guess = suggest(key);
      throw new PolicyError(`${field}.${key}`, input[key], 'is not a limit', guess ? `did you mean '${guess}'?` : `use one of ${LIMIT_FIELDS.join(', ')}`);
    }
  }
  const limits: Partial<ResolvedLimits> = {};
  const rlimits: LimitsReading['rlimits'] = {};
  const given = (key: keyof Limits) => input[key] !== undefined;
  if (given('memory')) limits.memoryBytes = size(`${field}.memory`, input.memory, 1 << 20);
  if (given('swap')) {
    if (!given('memory')) throw new PolicyError(`${field}.swap`, input.swap, 'needs limits.memory', "set memory too, e.g. { memory: '256M', swap: '64M' }");
    limits.swapBytes = parseSize(`${field}.swap`, input.swap as Size);
  }
  if (given('pids')) limits.pids = positiveInteger(`${field}.pids`, input.pids, 4_194_304, '64');
  if (given('cpus')) {
    const cpus = input.cpus;
    if (typeof cpus !== 'number' || !Number.isFinite(cpus) || cpus < 0.01 || cpus > 1024) {
      throw new PolicyError(`${field}.cpus`, cpus, 'must be a number of cores from 0.01 to 1024', 'write e.g. 0.5 or 2');
    }
    limits.cpus = cpus;
  }
  if (given('cpuset')) {
    if (typeof input.cpuset !== 'string' || !CPUSET.test(input.cpuset)) {
      throw new PolicyError(`${field}.cpuset`, input.cpuset, 'must be a CPU list', "write e.g. '0' or '0-1' or '0,2'");
    }
    limits.cpuset = input.cpuset;
  }
  if (given('cpuTime')) limits.cpuTimeMs = parseDuration(`${field}.cpuTime`, input.cpuTime as Duration);
  if (given('wallTime')) limits.wallTimeMs = parseDuration(`${field}.wallTime`, input.wallTime as Duration);
  if (given('output')) limits.outputBytes = parseSize(`${field}.output`, input.output as Size);
  if (given('fileSize')) rlimits.fsize = parseRlimit(`${field}.fileSize`, input.fileSize as Size);
  if (given('openFiles')) {
    const n = positiveInteger(`${field}.openFiles`, input.openFiles, 1 << 20, '256');
    rlimits.nofile = { soft: BigInt(n), hard: BigInt(n) };
  }
  if (given('bestEffort')) {
    if (typeof input.bestEffort !== 'boolean') throw new PolicyError(`${field}.bestEffort`, input.bestEffort, 'must be true or false', 'write bestEffort: true');
    limits.bestEffort = input.bestEffort;
  }
  return { limits, rlimits };
}
