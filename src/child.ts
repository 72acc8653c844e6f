// A running sandboxed process: its stdio as Node streams, typed events, and the final report.
import EventEmitter from 'eventemitter3';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import type TypedEmitter from 'typed-emitter';
import { SandboxError } from './errors.js';
import type { Launched } from './launch.js';
import { StatusKind } from './plan/protocol.js';
import { sweepNow, watchExit } from './reaper.js';
import type { Enforced, RunReport } from './report.js';
import { type FailureContext, setupFailure } from './setup-failure.js';
import { readStatus, type StatusRecord } from './status-stream.js';
import { type ExitInfo, pidfdOpen, pidfdSendSignal } from './syscalls/process.js';

export type SandboxChildEvents = {
  /** The payload has been executed inside the sandbox. */
  spawn: () => void;
  /** The run is over; the same report `child.report` resolves with. */
  exit: (report: RunReport) => void;
  /** Setup failed (a SandboxError subclass naming the step), or the init broke. */
  error: (error: SandboxError) => void;
};

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));
const SIGRTMIN = 34;
const SIGRTMAX = 64;

function signalName(n: number): string {
  return SIGNAL_NAMES.get(n) ?? (n >= SIGRTMIN && n <= SIGRTMAX ? `SIGRTMIN+${n - SIGRTMIN}` : `SIG${n}`);
}

/**
 * What the sandbox's PID 1 forwards (src/native/init.c keeps the same list), plus SIGKILL, which ends
 * the whole sandbox. Fault signals and SIGSTOP cannot be forwarded: a PID namespace's init ignores them.
 */
const DELIVERABLE = new Set(
  ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGABRT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGTERM', 'SIGCONT', 'SIGTSTP', 'SIGTTIN',
    'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGKILL']
    .map((name) => constants.signals[name as NodeJS.Signals]),
);

export interface ChildContext extends FailureContext {
  enforced: Enforced;
  startNs: bigint;
}

export class SandboxChild extends (EventEmitter as unknown as new () => TypedEmitter<SandboxChildEvents>) {
  /** Writable stdin when spawned with stdin: 'pipe', else null. */
  readonly stdin: Socket | null;
  readonly stdout: Socket | null;
  readonly stderr: Socket | null;
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
  private failure: StatusRecord | undefined;
  private exited: StatusRecord | undefined;
  private firstStageExit: ExitInfo | undefined;
  private sandboxExit: ExitInfo | undefined;
  private statusOpen = true;
  private openStreams = 0;
  private settled = false;

  constructor(launched: Launched, ctx: ChildContext) {
    super();
    this.ctx = ctx;
    this.report = new Promise<RunReport>((resolve, reject) => {
      this.resolveReport = resolve;
      this.rejectReport = reject;
    });
    this.report.catch(() => {}); // callers who only listen to 'error' must not get an unhandled rejection
    this.stdin = launched.stdin >= 0 ? new Socket({ fd: launched.stdin, readable: false, writable: true }) : null;
    this.stdout = this.trackOutput(launched.stdout);
    this.stderr = this.trackOutput(launched.stderr);
    // A payload that exits without reading its input must not crash the host with EPIPE.
    this.stdin?.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') this.emit('error', new SandboxError(`stdin: ${error.message}`, 'ESTDIN'));
    });
    readStatus(launched.status, (r) => this.onRecord(r), () => {
      this.statusOpen = false;
      sweepNow();
      this.maybeFinish();
    });
    watchExit(launched.pidfd, (exit) => {
      this.firstStageExit = exit;
      this.maybeFinish();
    });
  }

  /** Send a signal (default SIGTERM) to the sandbox; PID 1 forwards it to the payload. SIGKILL ends the whole sandbox. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const number = typeof signal === 'number' ? signal : constants.signals[signal];
    if (number === undefined) throw new TypeError(`unknown signal ${String(signal)}`);
    if (!DELIVERABLE.has(number)) {
      throw new TypeError(`${signalName(number)} cannot be delivered into a sandbox (its PID 1 ignores it); use SIGTERM, SIGINT, SIGTSTP or SIGKILL`);
    }
    if (this.settled) return false;
    this.killed = true;
    if (this.sandboxPidfd < 0) {
      this.pendingSignal = number;
      return true;
    }
    return pidfdSendSignal(this.sandboxPidfd, number);
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
        this.emit('spawn');
        break;
      case StatusKind.FAILED:
        this.failure ??= record;
        break;
      case StatusKind.EXITED:
        this.exited = record;
        break;
    }
  }

  /** PID 1 is our own child (CLONE_PARENT), so its pid cannot be reused before we reap it. */
  private adoptSandbox(pid: number): void {
    this.pid = pid;
    this.sandboxPidfd = pidfdOpen(pid);
    const fd = this.sandboxPidfd;
    watchExit(fd, (exit) => {
      this.sandboxExit = exit;
      this.sandboxPidfd = -1;
      this.maybeFinish();
    });
    if (this.pendingSignal !== undefined) pidfdSendSignal(fd, this.pendingSignal);
  }

  private maybeFinish(): void {
    if (this.settled || this.statusOpen || !this.firstStageExit || this.openStreams > 0) return;
    if (this.pid !== undefined && !this.sandboxExit) return;
    this.settled = true;
    if (this.failure) {
      const error = setupFailure(this.failure, this.ctx);
      this.rejectReport(error);
      this.emit('error', error);
      return;
    }
    const report = this.buildReport();
    this.resolveReport(report);
    this.emit('exit', report);
  }

  private buildReport(): RunReport {
    const endNs = process.hrtime.bigint();
    const base = {
      wallTimeMs: 0,
      userTimeMs: 0,
      systemTimeMs: 0,
      maxRssBytes: 0,
      setupMs: this.execNs ? nsToMs(this.execNs - this.ctx.startNs) : 0,
      killed: this.killed,
      enforced: this.ctx.enforced,
    };
    if (this.exited) {
      const status = this.exited.value;
      const signalNumber = status & 0x7f;
      const exitCode = signalNumber ? null : (status >> 8) & 0xff;
      return {
        ...base,
        status: signalNumber ? 'signaled' : exitCode === 0 ? 'ok' : 'runtime-error',
        exitCode,
        signal: signalNumber ? signalName(signalNumber) : null,
        signalNumber: signalNumber || null,
        wallTimeMs: this.execNs ? nsToMs(this.exited.tNs - this.execNs) : 0,
        userTimeMs: Number(this.exited.utimeUs) / 1000,
        systemTimeMs: Number(this.exited.stimeUs) / 1000,
        maxRssBytes: Number(this.exited.maxRssKb) * 1024,
      };
    }
    // PID 1 itself was killed (SIGKILL from kill() or an AbortSignal): the whole sandbox went with it.
    if (this.sandboxExit?.signal && (this.execNs || this.killed)) {
      return {
        ...base,
        status: 'signaled',
        exitCode: null,
        signal: signalName(this.sandboxExit.signal),
        signalNumber: this.sandboxExit.signal,
        wallTimeMs: this.execNs ? nsToMs(endNs - this.execNs) : 0,
      };
    }
    const stage = this.sandboxExit ?? this.firstStageExit;
    return {
      ...base,
      status: 'internal-error',
      exitCode: null,
      signal: null,
      signalNumber: null,
      error: `nsbox-init ended without a report (${describeExit(stage)})`,
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
