// Decides how a run's limits are enforced: a cgroup when the host has one to give, otherwise
// rlimit fallbacks (only when the policy says bestEffort) or a typed error that says how to get one.
import { cgroupManager, type CgroupLimits, type RunCgroup } from './cgroup/index.js';
import { PolicyError, UnsupportedError } from './errors.js';
import type { StdioOption } from './launch.js';
import type { ResolvedLimits, ResolvedPolicy } from './policy/types.js';
import type { EnforcedCgroup } from './report.js';
import { releaseZygote, takeZygote, type Zygote } from './zygote.js';

export interface PreparedLimits {
  /** The policy to compile: with rlimit fallbacks added when cgroups were not available. */
  policy: ResolvedPolicy;
  cgroup: RunCgroup | null;
  /** cgroup v1: a zygote already in `cgroup`, to start the run instead of a fresh spawn. */
  zygote?: Zygote | null;
  enforcedCgroup: EnforcedCgroup | false;
  downgrades: string[];
}

/** Limits that need the run's cgroup, and the controller each needs (null: any cgroup will do). */
const CGROUP_LIMITS: ReadonlyArray<[keyof ResolvedLimits, string | null]> = [
  ['memoryBytes', 'memory'],
  ['pids', 'pids'],
  ['cpus', 'cpu'],
  ['cpuset', 'cpuset'],
  // CPU time is read from cpu.stat (always there on v2) or cpuacct.usage (v1): no controller to enable.
  ['cpuTimeMs', null],
];

function wantsCgroup(limits: ResolvedLimits): boolean {
  return CGROUP_LIMITS.some(([key]) => limits[key] !== undefined);
}

/** The output limit is counted on the pipes the host reads: it cannot apply to inherited or file stdio. */
export function checkOutputLimit(limits: ResolvedLimits, stdout: StdioOption, stderr: StdioOption): void {
  if (limits.outputBytes === undefined) return;
  for (const [name, option] of [['stdout', stdout], ['stderr', stderr]] as const) {
    if (option !== 'pipe' && option !== 'ignore') {
      throw new PolicyError(`options.${name}`, option, 'cannot be counted against limits.output', `use ${name}: 'pipe' (or 'ignore'), or remove limits.output`);
    }
  }
}

/** What a run's cgroup must enforce, or the rlimit fallback when there is none to give (see prepareLimits). */
export interface LimitPlan {
  policy: ResolvedPolicy;
  /** Limits for the run's cgroup; null when the run needs no cgroup or falls back to rlimits. */
  wanted: CgroupLimits | null;
  downgrades: string[];
}

/** Decide without creating anything: a cgroup's limits, rlimit fallbacks (bestEffort), or a typed error. */
export function planLimits(policy: ResolvedPolicy): LimitPlan {
  const limits = policy.limits;
  if (!wantsCgroup(limits)) return { policy, wanted: null, downgrades: [] };
  const manager = cgroupManager();
  const missing = CGROUP_LIMITS.filter(([key, controller]) => limits[key] !== undefined && controller !== null && !manager.controllers.has(controller))
    .map(([, controller]) => controller);
  const reason = manager.unavailable ?? (missing.length ? `the ${[...new Set(missing)].join(', ')} controller is not available to nsbox here` : null);
  if (reason) {
    if (!limits.bestEffort) {
      throw new UnsupportedError('create the run\'s cgroup', 'ENOTSUP', reason,
        'Give nsbox a delegated cgroup (see `nsbox doctor` and docs/limits.md), or set limits.bestEffort: true to fall back to rlimits');
    }
    return fallBack(policy, reason);
  }
  const wanted: CgroupLimits = {
    memoryBytes: limits.memoryBytes,
    swapBytes: limits.memoryBytes !== undefined ? (limits.swapBytes ?? 0) : undefined,
    pids: limits.pids,
    cpus: limits.cpus,
    cpuset: limits.cpuset,
  };
  return { policy, wanted, downgrades: [] };
}

/** How the report describes the run's cgroup. */
export function enforcedCgroup(cgroup: RunCgroup, wanted: CgroupLimits): EnforcedCgroup {
  return {
    version: cgroup.version,
    path: cgroup.path,
    memoryBytes: wanted.memoryBytes ?? null,
    swapBytes: wanted.swapBytes ?? null,
    pids: wanted.pids ?? null,
    cpus: wanted.cpus ?? null,
    cpuset: wanted.cpuset ?? null,
  };
}

export function prepareLimits(policy: ResolvedPolicy): PreparedLimits {
  const plan = planLimits(policy);
  const wanted = plan.wanted;
  if (!wanted) return { policy: plan.policy, cgroup: null, enforcedCgroup: false, downgrades: plan.downgrades };
  const zygote = wanted.cpus === undefined && wanted.cpuset === undefined ? takeZygote() : null;
  if (zygote) {
    try {
      zygote.slot.arm(wanted);
    } catch (error) {
      releaseZygote(zygote);
      throw error;
    }
  }
  const cgroup = zygote ? zygote.slot : cgroupManager().create(wanted);
  return { policy, cgroup, zygote, enforcedCgroup: enforcedCgroup(cgroup, wanted), downgrades: [] };
}

/** bestEffort without cgroups: per-process rlimits stand in, each weakening said in words. */
function fallBack(policy: ResolvedPolicy, reason: string): LimitPlan {
  const limits = policy.limits;
  const rlimits = { ...policy.rlimits };
  const downgrades: string[] = [];
  if (limits.memoryBytes !== undefined) {
    rlimits.as = { soft: BigInt(limits.memoryBytes), hard: BigInt(limits.memoryBytes) };
    downgrades.push(`memory: RLIMIT_AS ${limits.memoryBytes} per process instead of a cgroup limit for the whole run (${reason})`);
  }
  if (limits.pids !== undefined) {
    rlimits.nproc = { soft: BigInt(limits.pids + 1), hard: BigInt(limits.pids + 1) };
    downgrades.push(`pids: RLIMIT_NPROC ${limits.pids + 1} instead of a cgroup pids limit (${reason})`);
  }
  if (limits.cpuTimeMs !== undefined) {
    const seconds = BigInt(Math.ceil(limits.cpuTimeMs / 1000));
    rlimits.cpu = { soft: seconds, hard: seconds + 1n };
    downgrades.push(`cpuTime: RLIMIT_CPU ${seconds}s per process instead of CPU time of the whole run (${reason})`);
  }
  if (limits.cpus !== undefined) downgrades.push(`cpus: not enforced (${reason})`);
  if (limits.cpuset !== undefined) downgrades.push(`cpuset: not enforced (${reason})`);
  if (limits.swapBytes !== undefined) downgrades.push(`swap: not limited (${reason})`);
  return { policy: { ...policy, rlimits }, wanted: null, downgrades };
}
