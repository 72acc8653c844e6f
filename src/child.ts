// A running sandboxed process: its stdio as Node streams, typed events, and the final report.
import EventEmitter from 'eventemitter3';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type TypedEmitter from 'typed-emitter';
import type { CgroupStats, RunCgroup } from './cgroup/index.js';
import { SandboxError } from './errors.js';
import type { Launched } from './launch.js';
import { limitOutput } from './output-limit.js';
import { LimitKind, StatusKind } from './plan/protocol.js';
import type { CompiledPlan } from './plan/compile.js';
import type { ResolvedLimits, ResolvedPolicy } from './policy/types.js';
import { sweepNow, watchExit } from './reaper.js';
import type { Enforced, LimitKind as LimitName, RunReport, Violation } from './report.js';
import { syscallName } from './seccomp/index.js';
import { type FailureContext, setupFailure } from './setup-failure.js';
import { readStatus, type StatusRecord } from './status-stream.js';
import { type ExitInfo, killAndReap, pidfdOpen, pidfdSendSignal } from './syscalls/process.js';
import { decideVerdict, type Evidence } from './verdict.js';
import { refillZygotes } from './zygote.js';

export interface LimitEvent {
  kind: LimitName;
  /** The limit that was reached, in ms (cpu, wall) or bytes (output). */
  value: number;
}

export interface StatsSample {
  cpuTimeMs: number;
  memoryBytes: number;
  pids: number;
}

export type SandboxChildEvents = {
  /** The payload has been executed inside the sandbox. */
  spawn: () => void;
  /** The run is over; the same report `child.report` resolves with. */
  exit: (report: RunReport) => void;
  /** Setup failed (a SandboxError subclass naming the step), or the init broke. */
  error: (error: SandboxError) => void;
  /** The kernel OOM-killed a process of the run; `kills` counts them so far. */
  oom: (info: { kills: number }) => void;
  /** A limit ended the run (cpu, wall and output as they happen; memory and pids at the end). */
  limit: (event: LimitEvent) => void;
  /** A sample of the run's cgroup, every `statsInterval` ms. */
  stats: (sample: StatsSample) => void;
  /** A protection asked for as best-effort was weakened or skipped on this host. */
  downgrade: (message: string) => void;
  /** A process of the run made a syscall the seccomp filter forbids; the run is being ended. */
  violation: (violation: Violation) => void;
};

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));
const SIGRTMIN = 34;
const SIGRTMAX = 64;

export function signalName(n: number): string {
  return SIGNAL_NAMES.get(n) ?? (n >= SIGRTMIN && n <= SIGRTMAX ? `SIGRTMIN+${n - SIGRTMIN}` : `SIG${n}`);
}

/**
 * What the sandbox's PID 1 forwards (src/native/init.c keeps the same list), plus SIGKILL, which ends
 * the whole sandbox. Not deliverable: fault signals (a PID namespace's init ignores them), SIGSTOP (it
 * would stop PID 1, not the payload) and the job-control stops (the payload's process group is
 * orphaned after setsid, so the kernel discards them).
 */
const DELIVERABLE = new Set(
  ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGABRT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGTERM', 'SIGCONT',
    'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGKILL']
    .map((name) => constants.signals[name as NodeJS.Signals]),
);

export interface ChildContext extends FailureContext {
  enforced: Enforced;
  startNs: bigint;
  limits: ResolvedLimits;
  cgroup: RunCgroup | null;
  statsIntervalMs?: number;
  downgrades: string[];
  /**
   * A job of a warm sandbox (src/warm/): no first stage to reap, PID 1 outlives the job, and the job's
   * end is its status pipe closing. Signals go through `signal` (SIGKILL ends the job, not the sandbox).
   */
  warm?: { pid: number; signal(signal: number): boolean };
}

/** A child's context from its compiled plan and policy: what setup errors, events and the report need. */
export function childContext(
  compiled: CompiledPlan,
  command: string,
  policy: ResolvedPolicy,
  run: { startNs: bigint; cgroup: RunCgroup | null; statsIntervalMs?: number; warm?: ChildContext['warm'] },
): ChildContext {
  return {
    describe: compiled.describe,
    command,
    path: policy.env.PATH ?? '',
    cwd: policy.cwd,
    enforced: compiled.enforced,
    limits: policy.limits,
    downgrades: compiled.enforced.downgrades,
    ...run,
  };
}

export class SandboxChild extends (EventEmitter as unknown as new () => TypedEmitter<SandboxChildEvents>) {
  /** Writable stdin when spawned with stdin: 'pipe', else null. */
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Host pid of the sandbox's PID 1 (the init), known from the 'spawn' event on. */
  pid: number | undefined;
  /** Settles when everything has ended: resolves with the RunReport, rejects with a SandboxError on setup failure. */
  readonly report: Promise<RunReport>;
  /** Set once kill() (or an AbortSignal) has asked the sandbox to end. */
  killed = false;

  private resolveReport!: (report: RunReport) => void;
  private rejectReport!: (error: SandboxError) => void;
  private readonly ctx: ChildContext;
  private sandboxPidfd = -1;
  private pendingSignal: number | undefined;
  private execNs: bigint | undefined;
  private cpuAtExecNs = 0n;
  private failure: StatusRecord | undefined;
  private exited: StatusRecord | undefined;
  private limitHit: 'cpu' | 'wall' | undefined;
  private violation: Violation | undefined;
  private outputExceeded = false;
  private oomKillsSeen = 0;
  private firstStageExit: ExitInfo | undefined;
  private sandboxExit: ExitInfo | undefined;
  private sandboxExitNs: bigint | undefined;
  private statusOpen = true;
  private openStreams = 0;
  private finishing = false;
  private statsTimer: NodeJS.Timeout | undefined;

  constructor(launched: Launched, ctx: ChildContext) {
    super();
    this.ctx = ctx;
    this.report = new Promise<RunReport>((resolve, reject) => {
      this.resolveReport = resolve;
      this.rejectReport = reject;
    });
    this.report.catch(() => {}); // callers who only listen to 'error' must not get an unhandled rejection
    this.stdin = launched.stdin >= 0 ? new Socket({ fd: launched.stdin, readable: false, writable: true }) : null;
    const stdout = this.trackOutput(launched.stdout);
    const stderr = this.trackOutput(launched.stderr);
    const outputLimit = ctx.limits.outputBytes;
    if (outputLimit !== undefined) {
      const limited = limitOutput({ stdout, stderr }, outputLimit, () => this.onOutputExceeded(outputLimit));
      this.stdout = limited.stdout;
      this.stderr = limited.stderr;
    } else {
      this.stdout = stdout;
      this.stderr = stderr;
    }
    // A payload that exits without reading its input must not crash the host with EPIPE.
    this.stdin?.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') this.emit('error', new SandboxError(`stdin: ${error.message}`, 'ESTDIN'));
    });
    readStatus(launched.status, (r) => this.onRecord(r), () => {
      this.statusOpen = false;
      // The status pipe closing usually means our child PID 1 just ended; a warm job's PID 1 stays.
      if (!ctx.warm) sweepNow();
      this.maybeFinish();
    });
    if (ctx.warm) {
      this.pid = ctx.warm.pid;
      this.firstStageExit = { exitCode: 0, signal: null };
    } else {
      watchExit(launched.pidfd, (exit) => {
        this.firstStageExit = exit;
        this.maybeFinish();
      });
    }
    if (ctx.downgrades.length) queueMicrotask(() => ctx.downgrades.forEach((d) => this.emit('downgrade', d)));
  }

  /** Send a signal (default SIGTERM) to the sandbox; PID 1 forwards it to the payload. SIGKILL ends the whole sandbox. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const number = typeof signal === 'number' ? signal : constants.signals[signal];
    if (number === undefined) throw new TypeError(`unknown signal ${String(signal)}`);
    if (!DELIVERABLE.has(number)) {
      throw new TypeError(`${signalName(number)} cannot be delivered into a sandbox (see SandboxChild.kill); use SIGTERM, SIGINT, SIGUSR1 or SIGKILL`);
    }
    if (this.finishing) return false;
    this.killed = true;
    return this.signalSandbox(number);
  }

  private signalSandbox(number: number): boolean {
    if (this.ctx.warm) return this.ctx.warm.signal(number);
    if (this.sandboxPidfd < 0) {
      this.pendingSignal = number;
      return true;
    }
    return pidfdSendSignal(this.sandboxPidfd, number);
  }

  private onOutputExceeded(limit: number): void {
    this.outputExceeded = true;
    this.emit('limit', { kind: 'output', value: limit });
    this.signalSandbox(constants.signals.SIGKILL);
  }

  private trackOutput(fd: number): Socket | null {
    if (fd < 0) return null;
    const socket = new Socket({ fd, readable: true, writable: false });
    this.openStreams++;
    socket.on('close', () => {
      this.openStreams--;
      this.maybeFinish();
    });
    return socket;
  }

  private onRecord(record: StatusRecord): void {
    switch (record.kind) {
      case StatusKind.STAGE1:
        this.adoptSandbox(record.value);
        break;
      case StatusKind.EXECED:
        this.execNs = record.tNs;
        this.cpuAtExecNs = record.reserved;
        this.startStats();
        this.emit('spawn');
        break;
      case StatusKind.FAILED:
        this.failure ??= record;
        break;
      case StatusKind.EXITED:
        this.exited = record;
        break;
      case StatusKind.LIMIT:
        this.limitHit = record.value === LimitKind.CPU ? 'cpu' : 'wall';
        // Without a PID namespace, PID 1 could only kill the payload: the cgroup takes the rest.
        if (!this.ctx.enforced.namespaces.pid && this.ctx.cgroup) this.ctx.cgroup.kill();
        this.emit('limit', { kind: this.limitHit, value: (this.limitHit === 'cpu' ? this.ctx.limits.cpuTimeMs : this.ctx.limits.wallTimeMs) ?? 0 });
        break;
      case StatusKind.OOM:
        this.noteOomKills(record.value);
        break;
      case StatusKind.VIOLATION:
        this.violation = { syscall: syscallName(record.value, record.detail) ?? null, nr: record.value, arch: record.detail };
        if (!this.ctx.enforced.namespaces.pid && this.ctx.cgroup) this.ctx.cgroup.kill();
        this.emit('violation', this.violation);
        break;
    }
  }

  private noteOomKills(kills: number): void {
    if (kills <= this.oomKillsSeen) return;
    this.oomKillsSeen = kills;
    this.emit('oom', { kills });
  }

  private startStats(): void {
    const cgroup = this.ctx.cgroup;
    const interval = this.ctx.statsIntervalMs;
    if (!cgroup || !interval) return;
    this.statsTimer = setInterval(() => {
      try {
        const s = cgroup.readStats();
        // A one-shot sandbox's PID 1 is in the cgroup too; a warm one's is not.
        const init = this.ctx.warm ? 0 : 1;
        this.emit('stats', { cpuTimeMs: nsToMs(BigInt(s.cpuTotalNs) - this.cpuAtExecNs), memoryBytes: s.memoryCurrentBytes, pids: Math.max(0, s.pidsCurrent - init) });
      } catch {
        // The cgroup is going away with the run.
      }
    }, interval);
    this.statsTimer.unref();
  }

  /** PID 1 is our own child (CLONE_PARENT), so its pid cannot be reused before we reap it. */
  private adoptSandbox(pid: number): void {
    this.pid = pid;
    try {
      this.sandboxPidfd = pidfdOpen(pid);
    } catch {
      // No descriptor left for its pidfd (EMFILE): end the sandbox now rather than leave it unreaped.
      killAndReap(pid);
      this.sandboxExit = { exitCode: null, signal: constants.signals.SIGKILL };
      this.sandboxExitNs = process.hrtime.bigint();
      return;
    }
    const fd = this.sandboxPidfd;
    watchExit(fd, (exit) => {
      this.sandboxExit = exit;
      this.sandboxExitNs = process.hrtime.bigint();
      this.sandboxPidfd = -1;
      this.maybeFinish();
    });
    if (this.pendingSignal !== undefined) pidfdSendSignal(fd, this.pendingSignal);
  }

  private maybeFinish(): void {
    if (this.finishing || this.statusOpen || !this.firstStageExit || this.openStreams > 0) return;
    if (this.pid !== undefined && !this.sandboxExit && !this.ctx.warm) return;
    this.finishing = true;
    if (this.statsTimer) clearInterval(this.statsTimer);
    void this.finish();
  }

  /** Final figures come from the cgroup before it is removed; the report settles once nothing is left. */
  private async finish(): Promise<void> {
    const cgroup = this.ctx.cgroup;
    let stats: CgroupStats | null = null;
    if (cgroup) {
      try {
        stats = cgroup.readStats();
        // PID 1's exit normally took every process with it; kill only what a run without a PID namespace left.
        if (cgroup.populated()) cgroup.kill();
      } catch {
        stats = null;
      }
      await cgroup.destroy().catch(() => {});
    }
    // A setup step that failed because the host had already killed PID 1 (kill() or an abort during
    // setup) is the kill's doing: report the kill, not a setup error.
    const killedDuringSetup = this.killed && this.sandboxExit?.signal === constants.signals.SIGKILL;
    if (this.failure && !killedDuringSetup) {
      const error = setupFailure(this.failure, this.ctx);
      this.rejectReport(error);
      this.emit('error', error);
      return;
    }
    if (cgroup) refillZygotes();
    if (stats) this.noteOomKills(stats.oomKills);
    const report = this.buildReport(stats);
    if (report.limitExceeded === 'memory' || report.limitExceeded === 'pids') {
      this.emit('limit', { kind: report.limitExceeded, value: (report.limitExceeded === 'memory' ? this.ctx.limits.memoryBytes : this.ctx.limits.pids) ?? 0 });
    }
    this.resolveReport(report);
    this.emit('exit', report);
  }

  private buildReport(stats: CgroupStats | null): RunReport {
    const exited = this.exited;
    const status = exited?.value ?? 0;
    const payloadSignal = exited ? status & 0x7f : 0;
    // PID 1 itself killed by the host (kill, abort) or by an OOM kill of the whole group: the sandbox went with
    // it, and the run ended by that signal. Killed by anyone else, the sandbox broke: internal-error.
    const initKilledForARun = this.killed || (stats?.oomKills ?? this.oomKillsSeen) > 0;
    const initSignal = !exited && this.sandboxExit?.signal && initKilledForARun ? this.sandboxExit.signal : 0;
    const signalNumber = payloadSignal || initSignal || null;
    const exitCode = exited && !payloadSignal ? (status >> 8) & 0xff : null;
    const endNs = exited?.tNs ?? this.sandboxExitNs ?? process.hrtime.bigint();
    const evidence: Evidence = {
      started: this.execNs !== undefined,
      exitCode,
      signalNumber,
      killedByHost: this.killed,
      limitHit: this.limitHit ?? null,
      outputExceeded: this.outputExceeded,
      oomKills: stats?.oomKills ?? this.oomKillsSeen,
      pidsMaxHits: stats?.pidsMaxHits ?? 0,
      cpuRlimitFallback: this.ctx.limits.cpuTimeMs !== undefined && this.ctx.cgroup === null,
      violation: this.violation !== undefined,
    };
    const verdict = decideVerdict(evidence);
    const rusageUserMs = exited ? Number(exited.utimeUs) / 1000 : 0;
    const rusageSystemMs = exited ? Number(exited.stimeUs) / 1000 : 0;
    const maxRssBytes = exited ? Number(exited.maxRssKb) * 1024 : 0;
    const fromCgroup = stats !== null;
    const cpuTimeMs = fromCgroup ? Math.max(0, nsToMs(BigInt(stats.cpuTotalNs) - this.cpuAtExecNs)) : rusageUserMs + rusageSystemMs;
    return {
      status: verdict.status,
      exitCode,
      signal: signalNumber ? signalName(signalNumber) : null,
      signalNumber,
      wallTimeMs: this.execNs ? nsToMs(endNs - this.execNs) : 0,
      userTimeMs: fromCgroup ? stats.cpuUserNs / 1e6 : rusageUserMs,
      systemTimeMs: fromCgroup ? stats.cpuSystemNs / 1e6 : rusageSystemMs,
      cpuTimeMs,
      cpuSource: fromCgroup ? 'cgroup' : 'rusage',
      memoryPeakBytes: stats?.memoryPeakBytes ?? maxRssBytes,
      memorySource: stats?.memoryPeakSource ?? 'rusage',
      maxRssBytes,
      oomKilled: evidence.oomKills > 0,
      pidsLimitHit: evidence.pidsMaxHits > 0,
      limit: verdict.status === 'time-limit' ? (this.limitHit ?? 'cpu') : null,
      limitExceeded: verdict.limitExceeded,
      violation: verdict.status === 'syscall-violation' ? (this.violation ?? { syscall: null, nr: null, arch: null }) : null,
      setupMs: this.execNs ? nsToMs(this.execNs - this.ctx.startNs) : 0,
      killed: this.killed,
      enforced: this.ctx.enforced,
      ...(verdict.status === 'internal-error' ? { error: `nsbox-init ended without a report (${describeExit(this.sandboxExit ?? this.firstStageExit)})` } : {}),
    };
  }
}

function nsToMs(ns: bigint): number {
  return Number(ns) / 1e6;
}

function describeExit(exit: ExitInfo | undefined): string {
  if (!exit) return 'unknown';
  return exit.signal !== null ? `killed by ${signalName(exit.signal)}` : `exit code ${exit.exitCode}`;
}
