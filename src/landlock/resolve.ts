// The `landlock` part of a policy: its types and its validation. Deciding the rules for a run (which needs the
// mounts and the kernel's ABI) is derive.ts's job.
import path from 'node:path';
import { PolicyError } from '../errors.js';
import { closestName, isPlainObject, readBoolean, rejectUnknownKeys } from '../policy/checks.js';
import { FS_ACCESS_NAMES, type FsAccess } from './rights.js';

export type { FsAccess } from './rights.js';

/** An explicit rule: `access` is granted on `path` and everything below it (paths are inside the sandbox). */
export interface LandlockPathRule {
  path: string;
  access: FsAccess[];
  /** Skip the rule when the path does not exist inside the sandbox (default false: that fails the spawn). */
  optional?: boolean;
}

export interface LandlockSetting {
  /**
   * 'required' (default): the spawn fails (UnsupportedError) when the kernel lacks Landlock or a right/feature
   * this setting asks for. 'best-effort': what the kernel lacks is skipped and reported as downgrades.
   */
  mode?: 'required' | 'best-effort';
  /**
   * Derive rules from the policy's mounts (default true): '/' read+execute, read-write binds and tmpfs
   * read+write+make/remove/truncate/refer, read-only binds read+execute, /proc read+write (files),
   * /dev read+write+ioctl-dev. See docs/landlock.md.
   */
  fromMounts?: boolean;
  /** Explicit rules, added to the derived ones. Landlock rights only add up: a rule cannot take away what another grants. */
  paths?: LandlockPathRule[];
  /** Mount targets whose derived rule loses its write rights (a read-write bind or tmpfs the payload may only read). */
  readOnly?: string[];
  /** TCP ports the payload may bind and connect to (ABI 4). When given, every other TCP bind and connect is denied. */
  net?: { bind?: number[]; connect?: number[] };
  /** ABI 6: deny connecting to abstract unix sockets / sending signals outside the payload's Landlock domain. */
  scope?: { abstractUnix?: boolean; signals?: boolean };
}

/** A setting after validation: every field decided, names checked, lists deduplicated. */
export interface ResolvedLandlock {
  /** The field it was read from, so problems found later (readOnly against the mounts) name it. */
  field: string;
  mode: 'required' | 'best-effort';
  fromMounts: boolean;
  paths: { path: string; access: FsAccess[]; optional: boolean }[];
  readOnly: string[];
  /** null: TCP is not restricted. */
  net: { bind: number[]; connect: number[] } | null;
  scope: { abstractUnix: boolean; signals: boolean };
}

const FIELDS = ['mode', 'fromMounts', 'paths', 'readOnly', 'net', 'scope'];
const RULE_FIELDS = ['path', 'access', 'optional'];
const NET_FIELDS = ['bind', 'connect'];
const SCOPE_FIELDS = ['abstractUnix', 'signals'];
const MODES = ['required', 'best-effort'] as const;
const MAX_PATH_BYTES = 4096;
/** More explicit rules than a policy needs; each costs an open and a syscall in the payload. */
export const MAX_PATH_RULES = 1024;
/** The init holds at most this many port rules (a port in both `bind` and `connect` is one rule). */
export const MAX_PORTS = 64;

/**
 * Validates a `landlock` setting read from `field` (e.g. 'policy.landlock'); null for undefined or false.
 * Throws a PolicyError naming the field, the value and the fix for the first problem; misspelled access names
 * and keys get the closest known name as the fix.
 */
export function resolveLandlock(field: string, value: unknown): ResolvedLandlock | null {
  if (value === undefined || value === false) return null;
  if (!isPlainObject(value)) {
    throw new PolicyError(field, value, 'must be an object of Landlock settings, or false to turn Landlock off',
      "write {} for rules derived from the mounts, or e.g. { net: { connect: [443] }, scope: { abstractUnix: true } }");
  }
  rejectUnknownKeys(field, value, FIELDS, 'landlock field');
  const mode = readMode(`${field}.mode`, value.mode);
  const fromMounts = readBoolean(`${field}.fromMounts`, value.fromMounts) ?? true;
  const paths = readRules(`${field}.paths`, value.paths);
  const readOnly = readReadOnly(`${field}.readOnly`, value.readOnly, fromMounts);
  const net = readNet(`${field}.net`, value.net);
  const scope = readScope(`${field}.scope`, value.scope);
  return { field, mode, fromMounts, paths, readOnly, net, scope };
}

function readMode(field: string, value: unknown): ResolvedLandlock['mode'] {
  if (value === undefined) return 'required';
  if (typeof value === 'string' && (MODES as readonly string[]).includes(value)) return value as ResolvedLandlock['mode'];
  const suggestion = typeof value === 'string' ? closestName(value, MODES) : undefined;
  throw new PolicyError(field, value, "must be 'required' or 'best-effort'",
    suggestion ? `did you mean '${suggestion}'?` : "write 'required' (fail when the kernel cannot enforce it) or 'best-effort' (skip what it cannot, and report it)");
}

function readRules(field: string, value: unknown): ResolvedLandlock['paths'] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new PolicyError(field, value, 'must be an array of path rules', "write e.g. [{ path: '/data', access: ['read', 'write'] }]");
  }
  if (value.length > MAX_PATH_RULES) {
    throw new PolicyError(field, value, `has ${value.length} rules, more than the ${MAX_PATH_RULES} allowed`, 'grant access on common parent directories instead of on each file');
  }
  const rules: ResolvedLandlock['paths'] = [];
  // An index loop, not map(): map skips holes of sparse arrays, which must be rejected too.
  for (let index = 0; index < value.length; index++) {
    const ruleField = `${field}[${index}]`;
    const rule = value[index];
    if (!isPlainObject(rule)) {
      throw new PolicyError(ruleField, rule, 'must be a path rule object', "write e.g. { path: '/data', access: ['read'] }");
    }
    rejectUnknownKeys(ruleField, rule, RULE_FIELDS, 'path rule field');
    if (rule.path === undefined) {
      throw new PolicyError(`${ruleField}.path`, undefined, 'is required', "add path: '/data' (a path inside the sandbox)");
    }
    const rulePath = readInsidePath(`${ruleField}.path`, rule.path);
    const access = readAccess(`${ruleField}.access`, rule.access);
    const optional = readBoolean(`${ruleField}.optional`, rule.optional) ?? false;
    rules.push({ path: rulePath, access, optional });
  }
  return rules;
}

function readAccess(field: string, value: unknown): FsAccess[] {
  const listed = FS_ACCESS_NAMES.map((name) => `'${name}'`).join(', ');
  if (value === undefined) {
    throw new PolicyError(field, value, 'is required', `add e.g. access: ['read'] (names: ${listed})`);
  }
  if (!Array.isArray(value)) {
    const fix = typeof value === 'string' && (FS_ACCESS_NAMES as readonly string[]).includes(value) ? `write access: ['${value}']` : `write e.g. access: ['read', 'write'] (names: ${listed})`;
    throw new PolicyError(field, value, 'must be an array of access names', fix);
  }
  if (value.length === 0) {
    throw new PolicyError(field, value, 'grants nothing (a Landlock rule needs at least one right)', `list at least one of ${listed}, or remove the rule: what no rule grants is denied`);
  }
  const access = new Set<FsAccess>();
  for (let index = 0; index < value.length; index++) {
    const name = value[index];
    if (typeof name === 'string' && (FS_ACCESS_NAMES as readonly string[]).includes(name)) {
      access.add(name as FsAccess);
      continue;
    }
    const suggestion = typeof name === 'string' ? closestName(name, FS_ACCESS_NAMES) : undefined;
    throw new PolicyError(`${field}[${index}]`, name, 'is not a Landlock access name', suggestion ? `did you mean '${suggestion}'? (names: ${listed})` : `use one of ${listed}`);
  }
  // In the table's order, so equal settings resolve equal.
  return FS_ACCESS_NAMES.filter((name) => access.has(name));
}

function readReadOnly(field: string, value: unknown, fromMounts: boolean): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new PolicyError(field, value, 'must be an array of mount targets', "write e.g. readOnly: ['/data']");
  }
  if (!fromMounts && value.length > 0) {
    throw new PolicyError(field, value, 'only applies to rules derived from the mounts, and fromMounts is false',
      'drop readOnly (with fromMounts: false nothing is writable unless a paths rule grants it), or set fromMounts: true');
  }
  const paths: string[] = [];
  for (let index = 0; index < value.length; index++) {
    const target = readInsidePath(`${field}[${index}]`, value[index]);
    if (!paths.includes(target)) paths.push(target);
  }
  return paths;
}

function readNet(field: string, value: unknown): ResolvedLandlock['net'] {
  if (value === undefined) return null;
  if (!isPlainObject(value)) {
    throw new PolicyError(field, value, 'must be an object { bind?, connect? } of TCP port lists', 'write e.g. net: { connect: [443] } (every other TCP bind and connect is then denied)');
  }
  rejectUnknownKeys(field, value, NET_FIELDS, 'net field');
  const bind = readPorts(`${field}.bind`, value.bind);
  const connect = readPorts(`${field}.connect`, value.connect);
  const distinct = new Set([...bind, ...connect]).size;
  if (distinct > MAX_PORTS) {
    throw new PolicyError(field, value, `names ${distinct} distinct ports, more than the ${MAX_PORTS} nsbox can hand to the kernel`,
      'allow fewer ports, or leave net out and restrict TCP with a network namespace (network: none or loopback)');
  }
  return { bind, connect };
}

function readPorts(field: string, value: unknown): number[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    const fix = typeof value === 'number' ? `write [${value}]` : 'write e.g. [8080]';
    throw new PolicyError(field, value, 'must be an array of TCP port numbers', fix);
  }
  const ports = new Set<number>();
  for (let index = 0; index < value.length; index++) {
    const port = value[index];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      const fix = typeof port === 'string' && /^\d+$/.test(port) ? `write the number ${port}, not a string` : 'write a port number from 1 to 65535, e.g. 8080';
      throw new PolicyError(`${field}[${index}]`, port, 'must be an integer from 1 to 65535', fix);
    }
    ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

function readScope(field: string, value: unknown): ResolvedLandlock['scope'] {
  if (value === undefined) return { abstractUnix: false, signals: false };
  if (!isPlainObject(value)) {
    throw new PolicyError(field, value, 'must be an object { abstractUnix?, signals? } of booleans', 'write e.g. scope: { abstractUnix: true, signals: true }');
  }
  rejectUnknownKeys(field, value, SCOPE_FIELDS, 'scope field');
  return {
    abstractUnix: readBoolean(`${field}.abstractUnix`, value.abstractUnix) ?? false,
    signals: readBoolean(`${field}.signals`, value.signals) ?? false,
  };
}

/** A path inside the sandbox: absolute and normalized ('/' is allowed: a rule on it covers everything). */
function readInsidePath(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new PolicyError(field, value, 'must be a non-empty path string', "write an absolute path inside the sandbox, e.g. '/data'");
  }
  if (value.includes('\0')) {
    throw new PolicyError(field, value, 'contains a NUL byte, which ends the path early in the kernel', 'remove the NUL character');
  }
  if (Buffer.byteLength(value) > MAX_PATH_BYTES) {
    throw new PolicyError(field, value, `is longer than ${MAX_PATH_BYTES} bytes (PATH_MAX)`, 'use a shorter path, e.g. a parent directory');
  }
  if (!value.startsWith('/')) {
    throw new PolicyError(field, value, 'must be an absolute path inside the sandbox', `write ${JSON.stringify(normalize(`/${value}`))}`);
  }
  if (value !== '/' && value.split('/').slice(1).some((part) => part === '' || part === '.' || part === '..')) {
    throw new PolicyError(field, value, "is not normalized (no '.', '..', '//' or trailing '/')", `write ${JSON.stringify(normalize(value))}`);
  }
  return value;
}

function normalize(text: string): string {
  const normalized = path.posix.normalize(text);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}



