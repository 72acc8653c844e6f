// The public entry point: a validated policy, and processes spawned into it.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { SandboxChild } from './child.js';
import { PolicyError, SandboxError } from './errors.js';
import { launchInit, type StdioOption } from './launch.js';
import { compilePlan, type HostIdentity, type InitCgroupSlots } from './plan/compile.js';
import { FD_FIRST_EXTRA } from './plan/protocol.js';
import type { Limits, Policy, ResolvedPolicy } from './policy/types.js';
import { LIMIT_NAMES, readLimits } from './policy/limits.js';
import { closestName } from './policy/checks.js';
import { checkOutputLimit, prepareLimits } from './run-limits.js';
import { releaseZygote } from './zygote.js';
import { resolvePolicy } from './policy/validate.js';
import { type HostReport, probeHost } from './probe/index.js';
import type { RunResult } from './report.js';

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

const DEFAULT_MAX_BUFFER = 64 << 20;
const CAP_SYS_ADMIN = 21n;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

let hostIdentity: HostIdentity | undefined;

/** Who the host is: root with CAP_SYS_ADMIN opens bind sources itself and maps to an unprivileged id. */
function host(): HostIdentity {
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

function checkCommand(command: unknown, args: unknown): asserts args is string[] {
  if (typeof command !== 'string' || command.length === 0 || command.includes('\0')) {
    throw new PolicyError('command', command, 'must be a non-empty string without NUL', "pass e.g. 'python3' or '/usr/bin/env'");
  }
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string' || a.includes('\0'))) {
    throw new PolicyError('args', args, 'must be an array of strings without NUL', "pass e.g. ['-c', 'print(1)']");
  }
}

function withOverrides(policy: ResolvedPolicy, options: SpawnOptions): ResolvedPolicy {
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
    const policy = withOverrides(this.policy, options);
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
      const compiled = compilePlan(limits.policy, command, args, identity, {
        cgroup: slots,
        enforcedCgroup: limits.enforcedCgroup,
        downgrades: limits.downgrades,
      });
      const startNs = process.hrtime.bigint();
      const zygote = limits.zygote;
      const launched = launchInit(compiled.bytes, stdio, hostFds, zygote ? { kind: 'zygote', pid: zygote.pid, pidfd: zygote.pidfd, socket: zygote.socket } : { kind: 'spawn' });
      cgroup?.closeInitFds();
      child = new SandboxChild(launched, {
        describe: compiled.describe,
        command,
        path: policy.env.PATH ?? '',
        cwd: policy.cwd,
        enforced: compiled.enforced,
        startNs,
        limits: limits.policy.limits,
        cgroup,
        statsIntervalMs: options.statsInterval,
        downgrades: compiled.enforced.downgrades,
      });
    } catch (error) {
      if (limits.zygote) releaseZygote(limits.zygote);
      else if (cgroup) {
        cgroup.closeInitFds();
        void cgroup.destroy().catch(() => {});
      }
      throw error;
    }
    const signal = options.signal;
    if (signal) {
      const abort = () => child.kill('SIGKILL');
      if (signal.aborted) abort();
      else {
        signal.addEventListener('abort', abort, { once: true });
        child.report.finally(() => signal.removeEventListener('abort', abort)).catch(() => {});
      }
    }
    return child;
  }

  /** Run to completion and collect stdout and stderr as strings. Rejects only when the sandbox could not be set up. */
  async run(command: string, args: readonly string[] = [], options: RunOptions = {}): Promise<RunResult> {
    const { input, maxBuffer = DEFAULT_MAX_BUFFER, ...spawnOptions } = options;
    const child = this.spawn(command, args, {
      ...spawnOptions,
      stdin: input !== undefined ? 'pipe' : (spawnOptions.stdin ?? 'ignore'),
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const chunks: { stdout: Buffer[]; stderr: Buffer[] } = { stdout: [], stderr: [] };
    let kept = 0;
    let overflowed = false;
    for (const name of ['stdout', 'stderr'] as const) {
      child[name]!.on('data', (chunk: Buffer) => {
        if (overflowed) return;
        if (kept + chunk.length > maxBuffer) {
          // Keep a clean prefix: nothing after the first chunk that did not fit.
          overflowed = true;
          child.kill('SIGKILL');
          return;
        }
        kept += chunk.length;
        chunks[name].push(chunk);
      });
    }
    // run() owns stdin: write the input (or nothing) and close it, so a reading payload sees EOF.
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
    const report = await child.report;
    return {
      ...report,
      stdout: Buffer.concat(chunks.stdout).toString('utf8'),
      stderr: Buffer.concat(chunks.stderr).toString('utf8'),
    };
  }
}

export { SandboxError };
