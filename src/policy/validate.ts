import path from 'node:path';
import { PolicyError } from '../errors.js';
import { closestName, isPlainObject, memberPath, readBoolean, readInteger, rejectUnknownKeys } from './checks.js';
import { CAPABILITY_NAMES, isCapabilityName } from './capabilities.js';
import { DEFAULT_GID, DEFAULT_HOSTNAME, DEFAULT_UID, profileDefaults, settleSeccomp } from './profiles.js';
import { resolveLandlock } from '../landlock/index.js';
import { resolveSeccomp } from '../seccomp/index.js';
import { LIMIT_NAMES, readLimits } from './limits.js';
import { parseRlimit, parseSize, type RlimitPair } from './size.js';
import type {
  CapabilityName,
  MountSpec,
  NamespaceName,
  NetworkMode,
  Policy,
  ProfileName,
  ResolvedPolicy,
  RlimitName,
  RlimitValue,
  Size,
} from './types.js';

/** What resolvePolicy needs to know about the process that will spawn the sandbox. */
export interface HostFacts {
  /** Running as uid 0: only then may the user namespace be left out. */
  isRoot: boolean;
  /** Source of the `inheritEnv` values. */
  env: NodeJS.ProcessEnv;
}

// Record types make the compiler insist that every field, namespace and rlimit of types.ts is listed.
const POLICY_FIELDS = namesOf<keyof Policy>({
  profile: 1, namespaces: 1, mounts: 1, rootSize: 1, uid: 1, gid: 1, hostUid: 1, hostGid: 1,
  hostname: 1, env: 1, inheritEnv: 1, cwd: 1, capabilities: 1, rlimits: 1, network: 1, limits: 1, seccomp: 1, landlock: 1,
});
const NAMESPACE_NAMES = namesOf<NamespaceName>({ user: 1, pid: 1, mount: 1, net: 1, ipc: 1, uts: 1, cgroup: 1 });
const RLIMIT_NAMES = namesOf<RlimitName>({ core: 1, nofile: 1, fsize: 1, stack: 1, as: 1, nproc: 1, cpu: 1, memlock: 1 });
const PROFILE_NAMES = namesOf<ProfileName>({ default: 1, empty: 1, judge: 1 });
const NETWORK_MODES = namesOf<NetworkMode>({ none: 1, loopback: 1, host: 1 });

type MountType = MountSpec['type'];
const MOUNT_FIELDS = {
  bind: ['type', 'source', 'target', 'readOnly', 'optional'],
  tmpfs: ['type', 'target', 'size', 'mode'],
  proc: ['type', 'target'],
  dev: ['type', 'target'],
  dir: ['type', 'target', 'mode'],
  symlink: ['type', 'target', 'linkTo'],
  file: ['type', 'target', 'content', 'mode'],
} as const satisfies { [T in MountType]: readonly (keyof Extract<MountSpec, { type: T }>)[] };
const MOUNT_TYPES = Object.keys(MOUNT_FIELDS) as MountType[];

/** Linux PATH_MAX: longer paths fail in the kernel anyway, but later and less clearly. */
const MAX_PATH_BYTES = 4096;
const MAX_FILE_BYTES = 1024 * 1024;
const MIN_ROOT_SIZE = 1024 * 1024;
const MAX_ROOT_SIZE = 1024 * 1024 * 1024;
const MAX_INSIDE_ID = 65534;
/** (uid_t)-1 means "unchanged" to the kernel, so the largest usable host id is one below. */
const MAX_HOST_ID = 4294967294;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOSTNAME = /^[A-Za-z0-9.][A-Za-z0-9.-]{0,63}$/;

/**
 * Checks a user policy completely and merges it over its profile. Throws the first problem found as a
 * PolicyError whose field is a path such as `policy.mounts[2].target`; nothing is spawned before this.
 */
export function resolvePolicy(input: unknown, host: HostFacts): ResolvedPolicy {
  if (!isPlainObject(input)) {
    throw new PolicyError('policy', input, 'must be a plain object', "pass an object such as { profile: 'default' } ({} gives the default profile)");
  }
  rejectUnknownKeys('policy', input, POLICY_FIELDS, 'policy field');
  const policy = input as { [K in keyof Policy]?: unknown };

  const profile = readChoice('policy.profile', policy.profile, PROFILE_NAMES) ?? 'default';
  const namespaceChoices = readNamespaces(policy.namespaces, host);
  const network = readChoice('policy.network', policy.network, NETWORK_MODES);
  const userMounts = readMounts(policy.mounts);
  const rootSize = ifGiven(policy.rootSize, (value) => readRootSize('policy.rootSize', value));
  const uid = ifGiven(policy.uid, (value) => readInsideId('policy.uid', value));
  const gid = ifGiven(policy.gid, (value) => readInsideId('policy.gid', value));
  const hostUid = ifGiven(policy.hostUid, (value) => readHostId('policy.hostUid', value));
  const hostGid = ifGiven(policy.hostGid, (value) => readHostId('policy.hostGid', value));
  const hostname = ifGiven(policy.hostname, (value) => readHostname('policy.hostname', value));
  const env = ifGiven(policy.env, (value) => readEnv('policy.env', value));
  const inheritEnv = ifGiven(policy.inheritEnv, (value) => readInheritEnv('policy.inheritEnv', value));
  const cwd = ifGiven(policy.cwd, (value) => readInsidePath('policy.cwd', value, { allowRoot: true }));
  const capabilities = ifGiven(policy.capabilities, (value) => readCapabilities('policy.capabilities', value));
  const rlimits = ifGiven(policy.rlimits, (value) => readRlimits('policy.rlimits', value));
  const limits = ifGiven(policy.limits, (value) => readLimits('policy.limits', value, (word) => closestName(word, LIMIT_NAMES)));
  const seccomp = policy.seccomp === undefined ? undefined : resolveSeccomp('policy.seccomp', policy.seccomp);
  const landlock = policy.landlock === undefined ? undefined : resolveLandlock('policy.landlock', policy.landlock);

  const base = profileDefaults(profile, uid ?? DEFAULT_UID, gid ?? DEFAULT_GID, hostname ?? DEFAULT_HOSTNAME);
  const resolvedNetwork = network ?? base.network;
  const namespaces = mergeNamespaces(base.namespaces, namespaceChoices, resolvedNetwork, network === undefined);
  if (!namespaces.mount && userMounts.length > 0) {
    throw new PolicyError('policy.mounts', policy.mounts, 'conflicts with policy.namespaces.mount: false, as mounts need a mount namespace', 'remove mounts, or remove namespaces.mount to keep the mount namespace on (e.g. namespaces: { mount: true })');
  }
  // A proc instance shows the PID namespace of whoever mounts it; without our own, the kernel refuses it.
  const procIndex = userMounts.findIndex((m) => m.type === 'proc');
  if (!namespaces.pid && namespaces.user && procIndex >= 0) {
    throw new PolicyError(`policy.mounts[${procIndex}]`, userMounts[procIndex], 'conflicts with policy.namespaces.pid: false, as a private /proc needs the PID namespace', 'remove the proc mount, or keep the PID namespace on');
  }
  const profileMounts = namespaces.pid || !namespaces.user ? base.mounts : base.mounts.filter((m) => m.type !== 'proc');
  return {
    namespaces,
    // Without a mount namespace the payload sees the host's tree as it is: nothing to mount. Frozen, as are its
    // entries: the plan compiler encodes a mount list once and reuses it for every spawn (src/plan/compile.ts).
    mounts: Object.freeze((namespaces.mount ? [...profileMounts, ...userMounts] : []).map((m) => Object.freeze({ ...m }))) as MountSpec[],
    rootSize: rootSize ?? base.rootSize,
    uid: base.uid,
    gid: base.gid,
    hostUid: hostUid ?? base.hostUid,
    hostGid: hostGid ?? base.hostGid,
    hostname: base.hostname,
    env: mergeEnv(base.env, inheritEnv ?? [], host.env, env ?? {}),
    inheritEnv: inheritEnv ?? base.inheritEnv,
    cwd: cwd ?? base.cwd,
    capabilities: capabilities ?? base.capabilities,
    rlimits: { ...base.rlimits, ...limits?.rlimits, ...rlimits },
    network: resolvedNetwork,
    limits: { ...base.limits, ...limits?.limits },
    seccomp: seccomp === undefined ? settleSeccomp(base.seccomp) : seccomp,
    landlock: landlock === undefined ? base.landlock : landlock,
  };
}

// ---- merging ----

function mergeNamespaces(
  base: Record<NamespaceName, boolean>,
  choices: Partial<Record<NamespaceName, boolean>>,
  network: NetworkMode,
  networkIsDefault: boolean,
): Record<NamespaceName, boolean> {
  const networkField = `policy.network ${JSON.stringify(network)}${networkIsDefault ? ' (the default)' : ''}`;
  if (network !== 'host' && choices.net === false) {
    throw new PolicyError('policy.namespaces.net', false, `conflicts with ${networkField}, which needs the sandbox's own network namespace`, "remove namespaces.net; to share the host's network write network: 'host' instead");
  }
  if (network === 'host' && choices.net === true) {
    throw new PolicyError('policy.namespaces.net', true, `conflicts with ${networkField}, which uses the host's network namespace`, "remove namespaces.net (network: 'host' turns it off), or write network: 'loopback' for an isolated network");
  }
  return { ...base, ...choices, net: network !== 'host' };
}

/** Profile values, overridden by the inherited host values, overridden by explicit env. */
function mergeEnv(
  base: Record<string, string>,
  inheritEnv: readonly string[],
  hostEnv: NodeJS.ProcessEnv,
  explicit: Record<string, string>,
): Record<string, string> {
  const merged = new Map(Object.entries(base));
  for (const name of inheritEnv) {
    const value = Object.hasOwn(hostEnv, name) ? hostEnv[name] : undefined;
    if (typeof value === 'string' && !value.includes('\0')) merged.set(name, value);
  }
  for (const [name, value] of Object.entries(explicit)) merged.set(name, value);
  // fromEntries defines own properties, so even a variable named __proto__ survives.
  return Object.fromEntries(merged);
}

// ---- top-level fields ----

function readNamespaces(value: unknown, host: HostFacts): Partial<Record<NamespaceName, boolean>> {
  if (value === undefined) return {};
  const field = 'policy.namespaces';
  if (!isPlainObject(value)) {
    throw new PolicyError(field, value, 'must be an object of namespace switches', 'write e.g. { net: true, ipc: false }');
  }
  rejectUnknownKeys(field, value, NAMESPACE_NAMES, 'namespace');
  const choices: Partial<Record<NamespaceName, boolean>> = {};
  for (const name of NAMESPACE_NAMES) {
    const choice = readBoolean(`${field}.${name}`, value[name]);
    if (choice !== undefined) choices[name] = choice;
  }
  if (choices.user === false && !host.isRoot) {
    throw new PolicyError(`${field}.user`, false, 'a sandbox started without root privileges needs its user namespace to get the rights to build the others', 'remove namespaces.user (or write user: true), or run the host process as root');
  }
  return choices;
}

function readRootSize(field: string, value: unknown): number {
  const bytes = parseSize(field, value as Size);
  if (bytes < MIN_ROOT_SIZE || bytes > MAX_ROOT_SIZE) {
    throw new PolicyError(field, value, 'must be between 1 MiB and 1 GiB', "write a size such as '16M' (from '1M' to '1G')");
  }
  return bytes;
}

function readInsideId(field: string, value: unknown): number {
  return readInteger(field, value, 0, MAX_INSIDE_ID, 'an id inside the sandbox, from 0 to 65534, e.g. 1000');
}

function readHostId(field: string, value: unknown): number {
  if (value === 0) {
    throw new PolicyError(field, value, 'mapping to host root would make root inside the sandbox the owner of every host file it can reach', 'use an unprivileged host id such as 65534 (nobody, the default) or a dedicated id like 100000');
  }
  return readInteger(field, value, 1, MAX_HOST_ID, 'a host id from 1 to 4294967294, e.g. 65534');
}

function readHostname(field: string, value: unknown): string {
  if (typeof value !== 'string' || !HOSTNAME.test(value)) {
    throw new PolicyError(field, value, "must be 1 to 64 characters of letters, digits, '.' and '-', not starting with '-'", "write e.g. 'sandbox' or 'build-01.local'");
  }
  return value;
}

function readEnv(field: string, value: unknown): Record<string, string> {
  if (!isPlainObject(value)) {
    throw new PolicyError(field, value, 'must be an object of variable names to string values', "write e.g. { LANG: 'C.UTF-8', DEBUG: '1' }");
  }
  const entries: [string, string][] = [];
  for (const [name, variable] of Object.entries(value)) {
    const entryField = memberPath(field, name);
    checkEnvName(entryField, name);
    if (typeof variable !== 'string') {
      const example = typeof variable === 'number' || typeof variable === 'boolean' ? JSON.stringify(String(variable)) : "'1'";
      throw new PolicyError(entryField, variable, 'an environment value must be a string', `write a string, e.g. ${name}: ${example}`);
    }
    if (variable.includes('\0')) {
      throw new PolicyError(entryField, variable, 'contains a NUL byte, which cannot be passed to exec', 'remove the NUL character from the value');
    }
    entries.push([name, variable]);
  }
  return Object.fromEntries(entries);
}

function readInheritEnv(field: string, value: unknown): string[] {
  if (!Array.isArray(value)) {
    throw new PolicyError(field, value, 'must be an array of variable names', "write e.g. ['TERM', 'TZ']");
  }
  const names: string[] = [];
  for (let index = 0; index < value.length; index++) {
    const name: unknown = value[index];
    checkEnvName(`${field}[${index}]`, name);
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

function checkEnvName(field: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || !ENV_NAME.test(name)) {
    throw new PolicyError(field, name, 'is not a valid environment variable name', "use letters, digits and '_', not starting with a digit, e.g. 'MY_VAR'");
  }
}

/**
 * Capabilities that would undo the sandbox from inside: the mounts live in a namespace the
 * sandbox's user namespace owns, so either one lets the payload remount read-only binds writable.
 */
const REFUSED_CAPABILITIES = {
  CAP_SYS_ADMIN: 'cannot be kept: it lets the payload remount read-only binds writable (the mounts belong to its user namespace)',
  CAP_SYS_PTRACE: 'cannot be kept: it lets the payload take over PID 1, which holds every capability of the user namespace',
} as const;

function readCapabilities(field: string, value: unknown): CapabilityName[] {
  if (!Array.isArray(value)) {
    throw new PolicyError(field, value, 'must be an array of capability names', "write e.g. ['CAP_NET_BIND_SERVICE']");
  }
  const names: CapabilityName[] = [];
  for (let index = 0; index < value.length; index++) {
    const name: unknown = value[index];
    const itemField = `${field}[${index}]`;
    if (!isCapabilityName(name)) {
      const suggestion = typeof name === 'string' ? closestCapability(name) : undefined;
      throw new PolicyError(itemField, name, 'is not a Linux capability', suggestion ? `did you mean '${suggestion}'?` : "use a name such as 'CAP_NET_BIND_SERVICE' (see capabilities(7))");
    }
    if (names.includes(name)) {
      throw new PolicyError(itemField, name, 'is listed twice', `list each capability once, e.g. ['${name}']`);
    }
    const danger = REFUSED_CAPABILITIES[name as keyof typeof REFUSED_CAPABILITIES];
    if (danger) throw new PolicyError(itemField, name, danger, 'leave it out; grant narrower capabilities, or give the sandbox what it needs through mounts');
    names.push(name);
  }
  return names;
}

/** Tries the usual slips ('net_raw', 'NET_RAW') before falling back to edit distance. */
function closestCapability(name: string): string | undefined {
  const upper = name.trim().toUpperCase();
  const prefixed = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  return isCapabilityName(prefixed) ? prefixed : closestName(name, CAPABILITY_NAMES);
}

function readRlimits(field: string, value: unknown): Partial<Record<RlimitName, RlimitPair>> {
  if (!isPlainObject(value)) {
    throw new PolicyError(field, value, 'must be an object of limit names to values', "write e.g. { nofile: 1024, fsize: '64M', cpu: 10 }");
  }
  rejectUnknownKeys(field, value, RLIMIT_NAMES, 'rlimit');
  const limits: Partial<Record<RlimitName, RlimitPair>> = {};
  for (const name of RLIMIT_NAMES) {
    const limit = value[name];
    if (limit === undefined) continue;
    const limitField = `${field}.${name}`;
    if (isPlainObject(limit)) rejectUnknownKeys(limitField, limit, ['soft', 'hard'], 'rlimit pair field');
    limits[name] = parseRlimit(limitField, limit as RlimitValue);
  }
  return limits;
}

// ---- mounts ----

function readMounts(value: unknown): MountSpec[] {
  if (value === undefined) return [];
  const field = 'policy.mounts';
  if (!Array.isArray(value)) {
    throw new PolicyError(field, value, 'must be an array of mount specs', "write e.g. [{ type: 'bind', source: '/opt/data' }]");
  }
  // An index loop, not map(): map skips holes of sparse arrays, which must be rejected too.
  const mounts: MountSpec[] = [];
  for (let index = 0; index < value.length; index++) mounts.push(readMount(`${field}[${index}]`, value[index]));
  return mounts;
}

function readMount(field: string, spec: unknown): MountSpec {
  if (!isPlainObject(spec)) {
    throw new PolicyError(field, spec, 'must be a mount spec object', "write e.g. { type: 'tmpfs', target: '/scratch', size: '64M' }");
  }
  const type = readMountType(`${field}.type`, spec.type);
  rejectUnknownKeys(field, spec, MOUNT_FIELDS[type], `${type} mount field`);
  const target = () => readInsidePath(`${field}.target`, required(field, spec, 'target', type, "'/data'"));
  switch (type) {
    case 'bind': {
      const source = readHostPath(`${field}.source`, required(field, spec, 'source', type, "'/opt/data'"));
      return {
        type,
        source,
        // A left-out target means "the same path inside", so the source must then be a valid target too.
        target: spec.target === undefined ? readInsidePath(`${field}.source`, source, { targetDefaulted: true }) : target(),
        readOnly: readBoolean(`${field}.readOnly`, spec.readOnly) ?? true,
        optional: readBoolean(`${field}.optional`, spec.optional) ?? false,
      };
    }
    case 'tmpfs': {
      const size = ifGiven(spec.size, (value) => readTmpfsSize(`${field}.size`, value));
      return { type, target: target(), ...(size === undefined ? {} : { size }), mode: readMode(`${field}.mode`, spec.mode, 0o1777) };
    }
    case 'proc':
    case 'dev':
      return { type, target: target() };
    case 'dir':
      return { type, target: target(), mode: readMode(`${field}.mode`, spec.mode, 0o755) };
    case 'symlink':
      return { type, target: target(), linkTo: readLinkTo(`${field}.linkTo`, required(field, spec, 'linkTo', type, "'../usr/bin'")) };
    case 'file':
      return { type, target: target(), content: readFileContent(`${field}.content`, required(field, spec, 'content', type, "'hello\\n'")), mode: readMode(`${field}.mode`, spec.mode, 0o644) };
  }
}

/** The kernel reads size=0 as "no limit" and nsbox then passes no size at all: half of RAM, not an empty tmpfs. */
function readTmpfsSize(field: string, value: unknown): number {
  const bytes = parseSize(field, value as Size);
  if (bytes === 0) {
    throw new PolicyError(field, value, 'a tmpfs of size 0 would get the kernel default (half of RAM), not no space', "write a size such as '64M', or leave size out on purpose for the kernel default");
  }
  return bytes;
}

function readMountType(field: string, type: unknown): MountType {
  if (typeof type === 'string' && (MOUNT_TYPES as string[]).includes(type)) return type as MountType;
  const suggestion = typeof type === 'string' ? closestName(type, MOUNT_TYPES) : undefined;
  const problem = type === undefined ? 'every mount spec needs a type' : 'is not a mount type';
  throw new PolicyError(field, type, problem, `${suggestion ? `did you mean '${suggestion}'? ` : ''}write type: one of ${MOUNT_TYPES.map((name) => `'${name}'`).join(', ')}`);
}

function required(field: string, spec: Record<string, unknown>, key: string, type: MountType, example: string): unknown {
  if (spec[key] === undefined) {
    throw new PolicyError(`${field}.${key}`, undefined, `is required for a ${type} mount`, `add ${key}: ${example}`);
  }
  return spec[key];
}

function readHostPath(field: string, value: unknown): string {
  const text = readPathText(field, value);
  if (!text.startsWith('/')) {
    throw new PolicyError(field, value, 'a host path must be absolute', `write an absolute path, e.g. path.resolve(${JSON.stringify(text)}) or '/opt/data'`);
  }
  return text;
}

/** A path inside the sandbox: absolute and already normalized, so what is checked is what gets mounted. */
function readInsidePath(field: string, value: unknown, options: { allowRoot?: boolean; targetDefaulted?: boolean } = {}): string {
  const text = readPathText(field, value);
  const hint = options.targetDefaulted ? ' (target defaults to the source; give target explicitly to choose another)' : '';
  if (!text.startsWith('/')) {
    throw new PolicyError(field, value, 'must be an absolute path inside the sandbox', `write ${JSON.stringify(normalizeInsidePath(`/${text}`))}${hint}`);
  }
  if (text === '/') {
    if (options.allowRoot) return text;
    throw new PolicyError(field, value, "cannot be '/' itself: the root is the sandbox's own tmpfs", `mount below it, e.g. '/mnt/data'${hint}`);
  }
  const components = text.split('/').slice(1);
  if (components.some((component) => component === '' || component === '.' || component === '..')) {
    const normalized = normalizeInsidePath(text);
    const example = normalized === '/' && !options.allowRoot ? "'/mnt/data'" : JSON.stringify(normalized);
    throw new PolicyError(field, value, "is not normalized (no '.', '..', '//' or trailing '/')", `write ${example}${hint}`);
  }
  return text;
}

function normalizeInsidePath(text: string): string {
  const normalized = path.posix.normalize(text);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}

function readPathText(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new PolicyError(field, value, 'must be a non-empty path string', "write e.g. '/opt/data'");
  }
  if (value.includes('\0')) {
    throw new PolicyError(field, value, 'contains a NUL byte, which ends the path early in the kernel', 'remove the NUL character');
  }
  if (Buffer.byteLength(value) > MAX_PATH_BYTES) {
    throw new PolicyError(field, value, `is longer than ${MAX_PATH_BYTES} bytes (PATH_MAX)`, 'use a shorter path, e.g. bind a parent directory');
  }
  return value;
}

function readLinkTo(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new PolicyError(field, value, 'a symlink needs a non-empty link text', "write e.g. 'usr/bin' or '/usr/share/zoneinfo/UTC'");
  }
  return readPathText(field, value);
}

function readFileContent(field: string, value: unknown): string | Uint8Array {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
    throw new PolicyError(field, value, 'must be a string or a Uint8Array', "write e.g. 'key=value\\n' or Buffer.from(bytes)");
  }
  const bytes = typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
  if (bytes > MAX_FILE_BYTES) {
    throw new PolicyError(field, value, `is ${bytes} bytes, over the 1 MiB limit for generated files`, "bind the file from the host instead: { type: 'bind', source: '/path/on/host', target: '/etc/app.conf' }");
  }
  // A copy, so the checked bytes cannot change between validation and spawn.
  return typeof value === 'string' ? value : new Uint8Array(value);
}

function readMode(field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && /^0?o?[0-7]{1,4}$/i.test(value)) {
    throw new PolicyError(field, value, 'a mode must be a number, not a string', `write the octal literal 0o${value.replace(/^0?o?/i, '')}`);
  }
  return readInteger(field, value, 0, 0o7777, 'permission bits as an octal literal from 0o0 to 0o7777, e.g. 0o755');
}

// ---- small readers ----

function readChoice<T extends string>(field: string, value: unknown, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  const suggestion = typeof value === 'string' ? closestName(value, choices) : undefined;
  const listed = choices.map((choice) => `'${choice}'`).join(', ');
  throw new PolicyError(field, value, `must be one of ${listed}`, suggestion ? `did you mean '${suggestion}'?` : `write e.g. '${choices[0]}'`);
}

/** Runs `read` unless the field was left out; `undefined` counts as left out, as TypeScript's optional fields allow. */
function ifGiven<T>(value: unknown, read: (value: unknown) => T): T | undefined {
  return value === undefined ? undefined : read(value);
}

function namesOf<T extends string>(table: Record<T, 1>): readonly T[] {
  return Object.freeze(Object.keys(table) as T[]);
}

export { closestName } from './checks.js';
