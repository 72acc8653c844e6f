import type { ResolvedSeccomp, SeccompSetting } from '../seccomp/index.js';
import type { LandlockSetting, ResolvedLandlock } from '../landlock/index.js';
/** The policy a Sandbox is built from. Every field is optional: what is left out comes from the profile. */
export interface Policy {
  /** Starting point. `default`: the safe profile described in docs/policy.md. `empty`: only /proc, a minimal /dev and /tmp, plus what you list. */
  profile?: ProfileName;
  /** Linux namespaces; each one on unless set to false. */
  namespaces?: Partial<Record<NamespaceName, boolean>>;
  /** The filesystem view: a fresh tmpfs root with these mounts, applied in order after the profile's. */
  mounts?: MountSpec[];
  /** Size of the tmpfs that holds the new root (bytes or '16M'); it is made read-only once the mounts are in place. */
  rootSize?: Size;
  /** User id inside the sandbox (default 1000). */
  uid?: number;
  /** Group id inside the sandbox (default 1000). */
  gid?: number;
  /**
   * Host ids the inside ids map to when the host runs as root (default 65534, "nobody").
   * Host uid 0 is refused. Ignored when rootless: the caller's own ids are used.
   */
  hostUid?: number;
  hostGid?: number;
  /** Hostname inside the UTS namespace (default "sandbox"). */
  hostname?: string;
  /** Environment of the payload. Nothing from the host passes unless named in `inheritEnv`. */
  env?: Record<string, string>;
  /**
   * Names of host environment variables to copy in. Values are read once, when the Sandbox is
   * built, so later changes to process.env never reach a sandbox by surprise.
   */
  inheritEnv?: string[];
  /** Working directory inside (default "/"). */
  cwd?: string;
  /** Capabilities the payload keeps; all others are dropped from every set. Default: none. */
  capabilities?: CapabilityName[];
  /** Resource limits (setrlimit) for the payload. */
  rlimits?: Partial<Record<RlimitName, RlimitValue>>;
  /** `none`: own network namespace with nothing up. `loopback`: own namespace with lo up. `host`: the host's network. */
  network?: NetworkMode;
  /** Resource limits enforced through cgroups, PID 1's timers and the host (docs/limits.md). */
  limits?: Limits;
  /** The seccomp filter: a preset ('default', 'judge'), 'none', or your own rules (docs/seccomp.md). */
  seccomp?: SeccompSetting;
  /** Landlock file, network and scope rules (docs/landlock.md); false turns it off. */
  landlock?: LandlockSetting | false;
}

/** A duration in milliseconds, or a string such as '1.5s', '100ms', '2m'. */
export type Duration = number | string;

export interface Limits {
  /** Hard memory limit of the whole run (cgroup); swap is off unless `swap` says otherwise. */
  memory?: Size;
  /** Swap the run may use on top of `memory` (default 0). */
  swap?: Size;
  /** Most processes and threads alive at once in the run (cgroup pids.max, not counting nsbox's PID 1). */
  pids?: number;
  /** CPU bandwidth as a number of cores, e.g. 0.5 or 2 (cgroup cpu quota). */
  cpus?: number;
  /** CPUs the run may use, e.g. '0' or '0-1' (cgroup cpuset). */
  cpuset?: string;
  /** CPU time of the whole run (every process, every thread) before it is killed. */
  cpuTime?: Duration;
  /** Time from the payload's execve before the run is killed. */
  wallTime?: Duration;
  /** Bytes of stdout plus stderr the host accepts before the run is killed (needs piped or ignored stdio). */
  output?: Size;
  /** Largest file the payload may write (RLIMIT_FSIZE). */
  fileSize?: Size;
  /** Most open files per process (RLIMIT_NOFILE). */
  openFiles?: number;
  /**
   * When cgroups cannot be used here: false (default) fails the spawn with a typed error that says how
   * to get them; true falls back to rlimits and emits a `downgrade` event naming what was weakened.
   */
  bestEffort?: boolean;
}

/** Limits after validation, in plain units. */
export interface ResolvedLimits {
  memoryBytes?: number;
  swapBytes?: number;
  pids?: number;
  cpus?: number;
  cpuset?: string;
  cpuTimeMs?: number;
  wallTimeMs?: number;
  outputBytes?: number;
  bestEffort: boolean;
}

export type ProfileName = 'default' | 'empty' | 'judge';
export type NamespaceName = 'user' | 'pid' | 'mount' | 'net' | 'ipc' | 'uts' | 'cgroup';
export type NetworkMode = 'none' | 'loopback' | 'host';
/** A byte count, or a string such as '64M', '1G', '512K'. */
export type Size = number | string;

export type MountSpec = BindMount | TmpfsMount | ProcMount | DevMount | DirEntry | SymlinkEntry | FileEntry;

export interface BindMount {
  type: 'bind';
  /** Host path. */
  source: string;
  /** Path inside; defaults to `source`. */
  target?: string;
  /** Default true: binds are read-only unless asked. */
  readOnly?: boolean;
  /** Skip silently when the source does not exist (default false: that is an error). */
  optional?: boolean;
}
export interface TmpfsMount {
  type: 'tmpfs';
  target: string;
  size?: Size;
  /** Octal permission bits, default 0o1777. */
  mode?: number;
}
export interface ProcMount {
  type: 'proc';
  target: string;
}
export interface DevMount {
  type: 'dev';
  target: string;
}
export interface DirEntry {
  type: 'dir';
  target: string;
  mode?: number;
}
export interface SymlinkEntry {
  type: 'symlink';
  target: string;
  /** Where the link points (any string, resolved inside the sandbox). */
  linkTo: string;
}
export interface FileEntry {
  type: 'file';
  target: string;
  content: string | Uint8Array;
  mode?: number;
}

export type RlimitName = 'core' | 'nofile' | 'fsize' | 'stack' | 'as' | 'nproc' | 'cpu' | 'memlock';
/** A single number sets soft and hard; 'unlimited' is RLIM_INFINITY; sizes accept '64M'. */
export type RlimitValue = number | string | { soft: number | string; hard: number | string };

export type CapabilityName =
  | 'CAP_CHOWN' | 'CAP_DAC_OVERRIDE' | 'CAP_DAC_READ_SEARCH' | 'CAP_FOWNER' | 'CAP_FSETID' | 'CAP_KILL'
  | 'CAP_SETGID' | 'CAP_SETUID' | 'CAP_SETPCAP' | 'CAP_LINUX_IMMUTABLE' | 'CAP_NET_BIND_SERVICE'
  | 'CAP_NET_BROADCAST' | 'CAP_NET_ADMIN' | 'CAP_NET_RAW' | 'CAP_IPC_LOCK' | 'CAP_IPC_OWNER'
  | 'CAP_SYS_MODULE' | 'CAP_SYS_RAWIO' | 'CAP_SYS_CHROOT' | 'CAP_SYS_PTRACE' | 'CAP_SYS_PACCT'
  | 'CAP_SYS_ADMIN' | 'CAP_SYS_BOOT' | 'CAP_SYS_NICE' | 'CAP_SYS_RESOURCE' | 'CAP_SYS_TIME'
  | 'CAP_SYS_TTY_CONFIG' | 'CAP_MKNOD' | 'CAP_LEASE' | 'CAP_AUDIT_WRITE' | 'CAP_AUDIT_CONTROL'
  | 'CAP_SETFCAP' | 'CAP_MAC_OVERRIDE' | 'CAP_MAC_ADMIN' | 'CAP_SYSLOG' | 'CAP_WAKE_ALARM'
  | 'CAP_BLOCK_SUSPEND' | 'CAP_AUDIT_READ' | 'CAP_PERFMON' | 'CAP_BPF' | 'CAP_CHECKPOINT_RESTORE';

/** A policy after validation and profile merging: every field decided. */
export interface ResolvedPolicy {
  namespaces: Record<NamespaceName, boolean>;
  mounts: MountSpec[];
  rootSize: number;
  uid: number;
  gid: number;
  hostUid: number;
  hostGid: number;
  hostname: string;
  env: Record<string, string>;
  inheritEnv: string[];
  cwd: string;
  capabilities: CapabilityName[];
  rlimits: Partial<Record<RlimitName, { soft: bigint; hard: bigint }>>;
  network: NetworkMode;
  limits: ResolvedLimits;
  seccomp: ResolvedSeccomp | null;
  landlock: ResolvedLandlock | null;
}
