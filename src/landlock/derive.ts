// Deciding the Landlock records of one run: rules derived from the mounts, the explicit rules, TCP ports and
// scopes, masked to what the kernel's ABI knows. The C init applies them in the payload right before execve
// (src/native/confine.c).
import { PolicyError, UnsupportedError } from '../errors.js';
import { closestName } from '../policy/checks.js';
import type { MountSpec } from '../policy/types.js';
import { kernelForAbi, landlockAvailability } from './abi.js';
import type { ResolvedLandlock } from './resolve.js';
import {
  DEV_RIGHTS,
  FS_ACCESS,
  NET,
  NET_ABI,
  PROC_RIGHTS,
  READ_EXECUTE,
  READ_WRITE,
  SCOPE,
  SCOPE_ABI,
  WRITE_RIGHTS,
  fsRightsOfAbi,
  rightsOf,
} from './rights.js';

/** The records for the C init; `abi: 0` means no Landlock at all (best-effort on a kernel without it): write no records. */
export interface LandlockPlan {
  /** handled_access_fs: every filesystem right the ABI knows, so whatever no rule grants is denied. */
  fs: bigint;
  /** handled_access_net: BIND_TCP|CONNECT_TCP when `net` is given and the ABI has it, else 0. */
  net: bigint;
  /** LANDLOCK_SCOPE_* bits. */
  scoped: bigint;
  /** path_beneath rules, paths inside the sandbox; `optional` skips a path that does not exist. */
  paths: { path: string; allowed: bigint; optional: boolean }[];
  /** net_port rules, sorted by port. */
  ports: { allowed: bigint; port: number }[];
  /** What the kernel cannot enforce, in words, one line each (for the 'downgrade' event). */
  downgrades: string[];
  abi: number;
}

/** A rule derived from one mount, before masking to an ABI. */
export interface MountRule {
  path: string;
  allowed: bigint;
  optional: boolean;
  /** The mount it comes from, in words. */
  from: string;
}

/**
 * The rules the mounts imply, in mount order: '/' read+execute; read-only binds read+execute; read-write binds and
 * tmpfs read+write+make/remove/truncate/refer; proc read+write; dev read+write+ioctl-dev, and its shm tmpfs
 * read-write. A later mount on a path replaces the rules for that path and for everything below it (it covers them).
 */
export function mountRules(mounts: readonly MountSpec[]): MountRule[] {
  const rules = new Map<string, MountRule>();
  rules.set('/', { path: '/', allowed: READ_EXECUTE, optional: false, from: 'the root' });
  for (const mount of mounts) {
    if (mount.type === 'dir') continue; // a directory on the root tmpfs: covered by '/'
    const target = mount.type === 'bind' ? (mount.target ?? mount.source) : mount.target;
    if (target === '/') continue;
    for (const key of [...rules.keys()]) {
      if (key === target || key.startsWith(`${target}/`)) rules.delete(key);
    }
    const add = (rulePath: string, allowed: bigint, from: string, optional = false) => rules.set(rulePath, { path: rulePath, allowed, optional, from });
    switch (mount.type) {
      case 'bind': {
        const readOnly = mount.readOnly !== false;
        add(target, readOnly ? READ_EXECUTE : READ_WRITE, `bind ${mount.source} -> ${target} (${readOnly ? 'read-only' : 'read-write'})`, mount.optional === true);
        break;
      }
      case 'tmpfs':
        add(target, READ_WRITE, `tmpfs ${target}`);
        break;
      case 'proc':
        add(target, PROC_RIGHTS, `proc ${target}`);
        break;
      case 'dev':
        add(target, DEV_RIGHTS, `dev ${target}`);
        // The minimal /dev has a tmpfs for POSIX shared memory and semaphores (shm_open, sem_open).
        add(`${target}/shm`, READ_WRITE, `dev ${target} (its shm tmpfs)`, true);
        break;
      case 'file':
      case 'symlink':
        break; // on the read-only root: covered by '/'
    }
  }
  return [...rules.values()];
}

/**
 * Decides the Landlock records for one run. `mounts` are the ResolvedPolicy's mounts (bind targets default to the
 * source); `abi` defaults to the running kernel's.
 *
 * In 'required' mode, throws UnsupportedError when the kernel has no Landlock or lacks a right or feature the
 * setting asks for explicitly (an access name in `paths`, `net`, `scope`). In 'best-effort' mode those are masked
 * away. In both modes, `downgrades` lists every weakening in words: rights of the derived rules the ABI cannot
 * handle (truncate, device ioctl, ...) and, in best-effort mode, the explicit features it had to drop.
 * Throws PolicyError when a `readOnly` entry cannot work with these mounts.
 */
export function landlockPlan(resolved: ResolvedLandlock, mounts: readonly MountSpec[], abi?: number): LandlockPlan {
  const probed = abi === undefined ? landlockAvailability() : undefined;
  const version = abi ?? probed!.abi;
  const { field, mode } = resolved;
  if (version < 1) return unavailable(resolved, probed?.errno ?? 'ENOSYS');

  const missing = missingFeatures(resolved, version);
  if (mode === 'required' && missing.length > 0) {
    const needed = Math.max(...missing.map((item) => item.abi));
    throw new UnsupportedError(
      'apply Landlock',
      'ENOTSUP',
      `the kernel's Landlock ABI is ${version}, which lacks ${missing.map((item) => `${item.feature} (ABI ${item.abi}, ${kernelForAbi(item.abi)})`).join(', ')}`,
      `Run on ${kernelForAbi(needed)} or newer, drop ${missing.map((item) => item.setting).join(', ')}, or set ${field}.mode: 'best-effort' to skip what the kernel lacks`,
    );
  }

  const handled = fsRightsOfAbi(version);
  const derived = resolved.fromMounts ? applyReadOnly(resolved, mountRules(mounts)) : [];
  const paths = mergeRules(
    [
      ...derived.map((rule) => ({ ...rule, explicit: false })),
      ...resolved.paths.map((rule) => ({ path: rule.path, allowed: rightsOf(rule.access), optional: rule.optional, explicit: true })),
    ],
    handled,
  );

  const netHandled = resolved.net !== null && version >= NET_ABI;
  const ports = netHandled ? portRules(resolved.net!) : [];
  let scoped = 0n;
  if (version >= SCOPE_ABI) {
    if (resolved.scope.abstractUnix) scoped |= SCOPE.ABSTRACT_UNIX_SOCKET;
    if (resolved.scope.signals) scoped |= SCOPE.SIGNAL;
  }

  return {
    fs: handled,
    net: netHandled ? NET.BIND_TCP | NET.CONNECT_TCP : 0n,
    scoped,
    paths,
    ports,
    downgrades: downgrades(resolved, version),
    abi: version,
  };
}

interface MissingFeature {
  feature: string;
  /** The setting that asks for it, for the fix. */
  setting: string;
  abi: number;
}

/** What the setting asks for explicitly that this ABI lacks. */
function missingFeatures(resolved: ResolvedLandlock, abi: number): MissingFeature[] {
  const missing: MissingFeature[] = [];
  const seen = new Set<string>();
  resolved.paths.forEach((rule, index) => {
    for (const name of rule.access) {
      const info = FS_ACCESS[name];
      if (info.abi <= abi || seen.has(name)) continue;
      seen.add(name);
      missing.push({ feature: `the '${name}' right`, setting: `'${name}' from ${resolved.field}.paths[${index}].access`, abi: info.abi });
    }
  });
  if (resolved.net !== null && abi < NET_ABI) missing.push({ feature: 'TCP port rules', setting: `${resolved.field}.net`, abi: NET_ABI });
  if (resolved.scope.abstractUnix && abi < SCOPE_ABI) missing.push({ feature: 'abstract unix socket scoping', setting: `${resolved.field}.scope.abstractUnix`, abi: SCOPE_ABI });
  if (resolved.scope.signals && abi < SCOPE_ABI) missing.push({ feature: 'signal scoping', setting: `${resolved.field}.scope.signals`, abi: SCOPE_ABI });
  return missing;
}

/** Every weakening on this ABI, in words. */
function downgrades(resolved: ResolvedLandlock, abi: number): string[] {
  const lines: string[] = [];
  const below = (needed: number) => `(kernel ABI ${abi} < ${needed})`;
  if (abi < 2) lines.push(`landlock: moving or hard-linking files into another directory always fails with EXDEV ${below(2)}`);
  if (abi < 3) lines.push(`landlock: truncate not enforced ${below(3)}`);
  if (abi < 5) lines.push(`landlock: device ioctl not enforced ${below(5)}`);
  if (resolved.net !== null && abi < NET_ABI) lines.push(`landlock: TCP bind/connect not restricted ${below(NET_ABI)}`);
  if (resolved.scope.abstractUnix && abi < SCOPE_ABI) lines.push(`landlock: abstract unix sockets outside the sandbox not blocked ${below(SCOPE_ABI)}`);
  if (resolved.scope.signals && abi < SCOPE_ABI) lines.push(`landlock: signals to processes outside the sandbox not blocked ${below(SCOPE_ABI)}`);
  return lines;
}

/** Best-effort on a kernel without Landlock: no records, one downgrade. Required: the error. */
function unavailable(resolved: ResolvedLandlock, errno: string): LandlockPlan {
  const why = UNAVAILABLE[errno] ?? `the kernel refused landlock_create_ruleset with ${errno}`;
  if (resolved.mode === 'required') {
    throw new UnsupportedError('apply Landlock', errno, why,
      `Enable Landlock (Linux 5.13+, see \`nsbox doctor\`), set ${resolved.field}.mode: 'best-effort' to run without it, or set landlock: false`);
  }
  return { fs: 0n, net: 0n, scoped: 0n, paths: [], ports: [], downgrades: [`landlock: not enforced at all: ${why}`], abi: 0 };
}

const UNAVAILABLE: Record<string, string> = {
  ENOSYS: 'the kernel has no Landlock (older than 5.13, built without CONFIG_SECURITY_LANDLOCK, or a container seccomp profile hides the syscall)',
  EOPNOTSUPP: 'Landlock is built into the kernel but not enabled (it is missing from the lsm= boot parameter)',
  EPERM: 'a seccomp filter refuses landlock_create_ruleset',
};

/**
 * Takes the write rights away from the derived rule of each `readOnly` target. Refuses a target that has no
 * derived rule, or that sits below a derived rule granting writes: Landlock rights add up, so a rule for a
 * path cannot take back what a rule for a parent grants.
 */
function applyReadOnly(resolved: ResolvedLandlock, rules: MountRule[]): MountRule[] {
  if (resolved.readOnly.length === 0) return rules;
  const result = rules.map((rule) => ({ ...rule }));
  for (const target of resolved.readOnly) {
    const own = result.find((rule) => rule.path === target);
    if (!own) continue;
    own.allowed &= ~WRITE_RIGHTS;
    own.from += ', made read-only by readOnly';
  }
  // Checked only now, so the order of the entries does not matter: a parent listed too is already read-only.
  resolved.readOnly.forEach((target, index) => {
    const field = `${resolved.field}.readOnly[${index}]`;
    const parent = result.find((rule) => rule.path !== '/' && target.startsWith(`${rule.path}/`) && (rule.allowed & WRITE_RIGHTS) !== 0n);
    if (parent) {
      throw new PolicyError(field, target,
        `is below ${parent.path} (${parent.from}), whose rule lets the payload write everything under it; Landlock rights add up, so a rule for ${target} cannot take that back`,
        `list ${parent.path} in readOnly instead, or mount ${target} read-only (a bind with readOnly: true) and leave it out of readOnly`);
    }
    if (!result.some((rule) => rule.path === target)) {
      const targets = result.map((rule) => rule.path);
      const suggestion = closestName(target, targets);
      throw new PolicyError(field, target, 'is not the target of a mount, so there is no derived rule to make read-only',
        suggestion ? `did you mean '${suggestion}'?` : `name a mount target: ${targets.join(', ')}`);
    }
  });
  return result;
}

interface PendingRule {
  path: string;
  allowed: bigint;
  optional: boolean;
  explicit: boolean;
}

/**
 * Masks each rule to the handled rights, merges rules for one path (rights ORed; optional only when every rule
 * for it is), drops rules left with nothing (the kernel refuses an empty rule), and drops derived rules that grant
 * nothing beyond the '/' rule, which covers every path. Explicit rules are always kept: they also check that
 * their path exists.
 */
function mergeRules(rules: PendingRule[], handled: bigint): LandlockPlan['paths'] {
  const merged = new Map<string, PendingRule>();
  for (const rule of rules) {
    const allowed = rule.allowed & handled;
    if (allowed === 0n) continue;
    const earlier = merged.get(rule.path);
    if (earlier) {
      earlier.allowed |= allowed;
      earlier.optional &&= rule.optional;
      earlier.explicit ||= rule.explicit;
    } else {
      merged.set(rule.path, { ...rule, allowed });
    }
  }
  const root = merged.get('/')?.allowed ?? 0n;
  return [...merged.values()]
    .filter((rule) => rule.path === '/' || rule.explicit || (rule.allowed & ~root) !== 0n)
    .map(({ path, allowed, optional }) => ({ path, allowed, optional }));
}

/** One rule per port, rights ORed, sorted. */
function portRules(net: NonNullable<ResolvedLandlock['net']>): LandlockPlan['ports'] {
  const ports = new Map<number, bigint>();
  for (const port of net.bind) ports.set(port, (ports.get(port) ?? 0n) | NET.BIND_TCP);
  for (const port of net.connect) ports.set(port, (ports.get(port) ?? 0n) | NET.CONNECT_TCP);
  return [...ports.entries()].sort(([a], [b]) => a - b).map(([port, allowed]) => ({ allowed, port }));
}
