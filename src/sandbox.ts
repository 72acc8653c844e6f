// The public entry point: a validated policy, and processes spawned into it.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { childContext, SandboxChild } from './child.js';
import { PolicyError, SandboxError } from './errors.js';
import { launchInit, type StdioOption } from './launch.js';
import { compilePlan, type HostIdentity, type InitCgroupSlots } from './plan/compile.js';
import { FD_FIRST_EXTRA } from './plan/protocol.js';
import type { Limits, Policy, ResolvedPolicy } from './policy/types.js';
import { LIMIT_NAMES, readLimits } from './policy/limits.js';
import { closestName } from './policy/checks.js';
import { checkOutputLimit, prepareLimits } from './run-limits.js';
import { killOnAbort, runToEnd } from './run-collect.js';
import { releaseZygote } from './zygote.js';
import { resolvePolicy } from './policy/validate.js';
import { type HostReport, probeHost } from './probe/index.js';
import type { RunResult } from './report.js';
import { SPAWN_EXTRAS, type SpawnExtras } from './worker/spawn-extras.js';
import { startWorker, type SandboxWorker, type WorkerOptions, type WorkerSpec } from './worker/index.js';

export interface SpawnOptions {
  stdin?: StdioOption;
  stdout?: StdioOption;
  stderr?: StdioOption;
  /** Added to (and overriding) the policy's environment for this process only. */
  env?: Record<string, string>;
  /** Working directory inside, overriding the policy's. */
  cwd?: string;
  /** Aborting kills the whole sandbox (SIGKILL to its PID 1). */
  signal?: AbortSignal;
  /** Limits for this process, over the policy's (e.g. a judge's per-submission time limit). */
  limits?: Limits;
  /** Emit a `stats` event this often (ms) while the run has a cgroup. */
  statsInterval?: number;
}

export interface RunOptions extends SpawnOptions {
  /** Written to stdin, which is then closed. */
  input?: string | Uint8Array;
  /** Bytes of stdout plus stderr kept before the run is killed (default 64 MiB). */
  maxBuffer?: number;
}

const CAP_SYS_ADMIN = 21n;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

let hostIdentity: HostIdentity | undefined;

/** Who the host is: root with CAP_SYS_ADMIN opens bind sources itself and maps to an unprivileged id. */
export function host(): HostIdentity {
  if (!hostIdentity) {
    const status = readFileSync('/proc/self/status', 'utf8');
    const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
    const euid = process.geteuid!();
    hostIdentity = {
      euid,
      egid: process.getegid!(),
      pid: process.pid,
      privileged: euid === 0 && ((capEff >> CAP_SYS_ADMIN) & 1n) === 1n,
    };
  }
  return { ...hostIdentity, pid: process.pid };
}

export function checkCommand(command: unknown, args: unknown): asserts args is string[] {
  if (typeof command !== 'string' || command.length === 0 || command.includes('\0')) {
    throw new PolicyError('command', command, 'must be a non-empty string without NUL', "pass e.g. 'python3' or '/usr/bin/env'");
  }
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string' || a.includes('\0'))) {
    throw new PolicyError('args', args, 'must be an array of strings without NUL', "pass e.g. ['-c', 'print(1)']");
  }
}

export function withOverrides(policy: ResolvedPolicy, options: SpawnOptions): ResolvedPolicy {
  if (options.limits !== undefined) {
    const reading = readLimits('options.limits', options.limits, (word) => closestName(word, LIMIT_NAMES));
    policy = { ...policy, limits: { ...policy.limits, ...reading.limits }, rlimits: { ...policy.rlimits, ...reading.rlimits } };
  }
  if (options.statsInterval !== undefined && (typeof options.statsInterval !== 'number' || !(options.statsInterval >= 1))) {
    throw new PolicyError('options.statsInterval', options.statsInterval, 'must be a number of milliseconds, at least 1', 'write e.g. 100');
  }
  if (!options.env && !options.cwd) return policy;
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (!ENV_NAME.test(key)) throw new PolicyError(`options.env.${key}`, key, 'is not a valid variable name', 'use letters, digits and _');
    if (typeof value !== 'string' || value.includes('\0')) {
      throw new PolicyError(`options.env.${key}`, value, 'must be a string without NUL', "write e.g. { LANG: 'C.UTF-8' }");
    }
  }
  const cwd = options.cwd;
  if (cwd !== undefined && (typeof cwd !== 'string' || !cwd.startsWith('/') || cwd.includes('\0') || (cwd !== '/' && posix.normalize(cwd) !== cwd) || cwd.endsWith('/') && cwd !== '/')) {
    throw new PolicyError('options.cwd', options.cwd, 'must be an absolute path inside the sandbox', "write e.g. '/tmp'");
  }
  return { ...policy, env: { ...policy.env, ...options.env }, cwd: options.cwd ?? policy.cwd };
}

export class Sandbox {
  /** What this host supports (user namespaces, cgroups, seccomp, Landlock, memfd exec), each gap with its fix. Same as `nsbox doctor`. */
  static probe(): Promise<HostReport> {
    return probeHost();
  }

  /** The policy after validation and profile merging: exactly what every spawn applies. */
  readonly policy: ResolvedPolicy;

  /** Validates the whole policy now; throws PolicyError naming the field, the value and the fix. */
  constructor(policy: Policy = {}) {
    this.policy = resolvePolicy(policy, { isRoot: host().privileged, env: process.env });
  }

  /** Start `command` inside the sandbox. Setup failures arrive as an 'error' event and a rejected `report`. */
  spawn(command: string, args: readonly string[] = [], options: SpawnOptions = {}): SandboxChild {
    checkCommand(command, args);
    const extras: SpawnExtras = (options as { [SPAWN_EXTRAS]?: SpawnExtras })[SPAWN_EXTRAS] ?? {};
    let policy = withOverrides(this.policy, options);
    if (extras.mounts?.length) policy = { ...policy, mounts: [...policy.mounts, ...extras.mounts] };
    const stdio: [StdioOption, StdioOption, StdioOption] = [options.stdin ?? 'ignore', options.stdout ?? 'pipe', options.stderr ?? 'pipe'];
    checkOutputLimit(policy.limits, stdio[1], stdio[2]);
    const identity = host();
    const limits = prepareLimits(policy);
    const cgroup = limits.cgroup;
    let child: SandboxChild;
    try {
      // The cgroup's descriptors go to the init as extra fds 5, 6, ... in this order.
      const hostFds: number[] = [];
      const slot = (fd: number) => FD_FIRST_EXTRA + hostFds.push(fd) - 1;
      let slots: InitCgroupSlots | undefined;
      if (cgroup) {
        const fds = cgroup.initFds();
        slots = {
          intoFd: fds.intoFd !== undefined ? slot(fds.intoFd) : undefined,
          procsFds: (fds.procsFds ?? []).map(slot),
          cpuUsage: { fd: slot(fds.cpuUsage.fd), format: fds.cpuUsage.format },
          oom: fds.oom ? { fd: slot(fds.oom.fd), kind: fds.oom.kind } : undefined,
        };
      }
      const extraFds = (extras.fds ?? []).map((p) => ({ from: slot(p.fd), to: p.to }));
      const compiled = compilePlan(limits.policy, command, args, identity, {
        cgroup: slots,
        extraFds,
        enforcedCgroup: limits.enforcedCgroup,
        downgrades: limits.downgrades,
      });
      const startNs = process.hrtime.bigint();
      const zygote = limits.zygote;
      const launched = launchInit(compiled.bytes, stdio, hostFds, zygote ? { kind: 'zygote', pid: zygote.pid, pidfd: zygote.pidfd, socket: zygote.socket } : { kind: 'spawn' });
      cgroup?.closeInitFds();
      child = new SandboxChild(launched, childContext(compiled, command, limits.policy, { startNs, cgroup, statsIntervalMs: options.statsInterval }));
    } catch (error) {
      if (limits.zygote) releaseZygote(limits.zygote);
      else if (cgroup) {
        cgroup.closeInitFds();
        void cgroup.destroy().catch(() => {});
      }
      throw error;
    }
    killOnAbort(child, options.signal);
    return child;
  }

  /** Start a Node module as a sandboxed worker with a typed message channel (docs/workers.md). */
  worker<S extends WorkerSpec = WorkerSpec>(modulePath: string, options: WorkerOptions = {}): SandboxWorker<S> {
    return startWorker<S>(this, modulePath, options);
  }

  /** Run to completion and collect stdout and stderr as strings. Rejects only when the sandbox could not be set up. */
  async run(command: string, args: readonly string[] = [], options: RunOptions = {}): Promise<RunResult> {
    return runToEnd((spawnOptions) => this.spawn(command, args, spawnOptions), options);
  }
}

export { SandboxError };
