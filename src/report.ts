import type { CapabilityName, NamespaceName, NetworkMode } from './policy/types.js';

/** How a run ended; docs/limits.md gives the exact rule for each and the kernel counter behind it. */
export type RunStatus =
  | 'ok'
  | 'runtime-error'
  | 'signaled'
  | 'time-limit'
  | 'memory-limit'
  | 'output-limit'
  | 'pids-limit'
  | 'syscall-violation'
  | 'internal-error';

/** A syscall the seccomp filter refused with kill (or trap): which one, when known. */
export interface Violation {
  /** Name on the native architecture ('mount', 'bpf'), or null when only the SIGSYS is known. */
  syscall: string | null;
  nr: number | null;
  /** Audit architecture of the call (foreign or x32 calls are violations too). */
  arch: number | null;
}

/** A limit that can end a run. */
export type LimitKind = 'cpu' | 'wall' | 'memory' | 'output' | 'pids';

/** What was in force through cgroups for a run. */
export interface EnforcedCgroup {
  version: 1 | 2;
  path: string;
  memoryBytes: number | null;
  swapBytes: number | null;
  pids: number | null;
  cpus: number | null;
  cpuset: string | null;
}

/** What was actually in force for a run, so nobody has to guess. */
export interface Enforced {
  namespaces: Record<NamespaceName, boolean>;
  /** true when the host had no root privileges and the caller's own ids were mapped. */
  rootless: boolean;
  /** The single id mapping of the user namespace: inside ids and the host ids they stand for. */
  idMap: { uid: number; gid: number; hostUid: number; hostGid: number } | null;
  /** Capabilities the payload kept in every set (empty: all dropped). */
  capabilities: CapabilityName[];
  noNewPrivs: true;
  /** The new root is a tmpfs made read-only after setup; writable only where a mount says so. */
  readOnlyRoot: boolean;
  network: NetworkMode;
  rlimits: Record<string, { soft: string; hard: string }>;
  /** The seccomp filter in force ('default', 'judge', 'custom'), or false. */
  seccomp: string | false;
  /** The Landlock ruleset in force: ABI used and the number of rules, or false. */
  landlock: { abi: number; paths: number; ports: number; scoped: boolean } | false;
  /** The run's cgroup and its limits, or false when it ran without one. */
  cgroup: EnforcedCgroup | false;
  /** Limits PID 1 and the host enforce (ms and bytes), null where unset. */
  cpuTimeMs: number | null;
  wallTimeMs: number | null;
  outputBytes: number | null;
  /** Protections weakened because the host could not apply them (bestEffort), in words. */
  downgrades: string[];
}

export interface RunReport {
  status: RunStatus;
  /** Exit code when the payload exited, otherwise null. */
  exitCode: number | null;
  /** Signal name when the payload was killed by a signal ('SIGTERM', 'SIGRTMIN+2'), otherwise null. */
  signal: string | null;
  /** Signal number when the payload was killed by a signal, otherwise null. */
  signalNumber: number | null;
  /** From the payload's execve to its exit, measured by the init on CLOCK_MONOTONIC. */
  wallTimeMs: number;
  /**
   * CPU time of the whole run: from the cgroup (every process and thread, from the payload's execve)
   * when the run had one, else the rusage of every process the init reaped. `cpuSource` says which.
   */
  userTimeMs: number;
  systemTimeMs: number;
  cpuTimeMs: number;
  cpuSource: 'cgroup' | 'rusage';
  /** Peak memory of the run: memory.peak (v2), max_usage_in_bytes (v1), or the largest single process's rusage. */
  memoryPeakBytes: number;
  memorySource: 'memory.peak' | 'max_usage_in_bytes' | 'rusage';
  /** Largest resident set of any single reaped process (rusage), in bytes. */
  maxRssBytes: number;
  /** The kernel OOM-killed a process of the run (memory.events / memory.oom_control oom_kill). */
  oomKilled: boolean;
  /** A fork or clone failed at the pids limit (pids.events max). */
  pidsLimitHit: boolean;
  /** For time-limit: which clock ran out. */
  limit: 'cpu' | 'wall' | null;
  /** The limit that ended the run, or null when none did. */
  limitExceeded: LimitKind | null;
  /** For syscall-violation: the refused syscall. */
  violation: Violation | null;
  /** From spawn() to the payload's execve: the cost of building the sandbox. */
  setupMs: number;
  /** The host killed the run (kill(), AbortSignal, maxBuffer). */
  killed: boolean;
  /** For internal-error: what went wrong. */
  error?: string;
  enforced: Enforced;
}

export interface RunResult extends RunReport {
  stdout: string;
  stderr: string;
}
