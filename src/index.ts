export { Sandbox, type SpawnOptions, type RunOptions } from './sandbox.js';
export { probeHost, type HostReport, type ProbeItem } from './probe/index.js';
export { SandboxChild, type SandboxChildEvents, type LimitEvent, type StatsSample } from './child.js';
export { SandboxError, PolicyError, SetupError, CommandError, UnsupportedError, PoolError } from './errors.js';
export type { RunReport, RunResult, RunStatus, Enforced, EnforcedCgroup, LimitKind, Violation } from './report.js';
export type { SeccompSetting, SeccompRule, SeccompAction, SeccompPolicy, ArgCondition } from './seccomp/index.js';
export type { LandlockSetting, LandlockPathRule, FsAccess } from './landlock/index.js';
export type { StdioOption } from './launch.js';
export type {
  Policy,
  ResolvedPolicy,
  MountSpec,
  BindMount,
  TmpfsMount,
  ProcMount,
  DevMount,
  DirEntry,
  SymlinkEntry,
  FileEntry,
  NamespaceName,
  NetworkMode,
  CapabilityName,
  RlimitName,
  RlimitValue,
  ProfileName,
  Size,
  Limits,
  Duration,
} from './policy/types.js';
export {
  startWorker,
  SandboxWorker,
  WorkerError,
  WorkerTimeoutError,
  WorkerRemoteError,
  WorkerProtocolError,
  WorkerMessageSizeError,
  WorkerLoadError,
  WorkerExitedError,
  type WorkerEvents,
  type WorkerOptions,
  type WorkerSpec,
  type ParentPort,
  type ErrorInfo,
  type RequestOptions,
} from './worker/index.js';
export { SandboxPool, type PoolOptions, type PoolRunOptions, type PoolJob, type PoolEvents, type PoolResult } from './pool/pool.js';
