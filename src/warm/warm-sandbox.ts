// A sandbox built once whose PID 1 runs one job after another (src/native/warm.h has the protocol).
// A job pays for its own process only: namespaces, ids and mounts are already there, and its
// process was forked ahead of time into the job's own cgroup.
import { Socket } from 'node:net';
import { childContext, SandboxChild } from '../child.js';
import { cgroupManager, type CgroupLimits, type RunCgroup } from '../cgroup/index.js';
import { PolicyError, SandboxError } from '../errors.js';
import { launchInit, type StdioOption } from '../launch.js';
import { compilePlan, type InitCgroupSlots } from '../plan/compile.js';
import { FD_FIRST_EXTRA, StatusKind } from '../plan/protocol.js';
import type { ResolvedPolicy } from '../policy/types.js';
import { watchExit } from '../reaper.js';
import { killOnAbort } from '../run-collect.js';
import { checkOutputLimit, enforcedCgroup, planLimits, type LimitPlan } from '../run-limits.js';
import { checkCommand, host, type SpawnOptions, withOverrides } from '../sandbox.js';
import { setupFailure } from '../setup-failure.js';
import { readStatus, type StatusRecord } from '../status-stream.js';
import { closeFd, openWriteOnly, socketPair } from '../syscalls/fds.js';
import { sendFds } from '../syscalls/sendfds.js';
import { pidfdOpen, pidfdSendSignal, reapIfExited } from '../syscalls/process.js';

export type WarmState = 'building' | 'idle' | 'parking' | 'parked' | 'busy' | 'closed';

const SIGKILL = 9;
const live = new Set<WarmSandbox>();
let exitHookInstalled = false;

/** At exit: kill and reap every warm PID 1 (its namespace goes with it) before the cgroup manager removes our cgroups. */
function endAllAtExit(): void {
  for (const warm of live) warm.closeNow(true);
}

export class WarmSandbox {
  state: WarmState = 'building';
  /** Jobs this sandbox has finished. */
  jobs = 0;
  /** Host pid of the sandbox's PID 1, once built. */
  pid = -1;
  /** Settles once the sandbox has been built (and the first job's process parked), or could not be. */
  readonly ready: Promise<void>;

  private pidfd = -1;
  private readonly control: number;
  private readonly reader: Socket;
  private nextCgroup: RunCgroup | null = null;
  private failure: StatusRecord | undefined;
  private settleReady!: (error?: Error) => void;
  private readonly limitPlan: LimitPlan;
  private markExited!: () => void;
  /** The job running now; a signal meant for an earlier job (its output still draining, say) is dropped. */
  private currentJob = 0;
  /** Resolves once PID 1 has been reaped (or never started). */
  readonly exited = new Promise<void>((resolve) => {
    this.markExited = resolve;
  });

  /**
   * `onChange` hears every state change: 'parked' (ready for a job), 'closed' (gone: replace it).
   * The policy must pass checkWarmable().
   */
  constructor(policy: ResolvedPolicy, private readonly onChange: (warm: WarmSandbox) => void) {
    this.limitPlan = planLimits(policy);
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    this.ready.catch(() => {});
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.prependOnceListener('exit', endAllAtExit);
    }
    const [hostEnd, initEnd] = socketPair();
    this.control = hostEnd;
    let compiled: ReturnType<typeof compilePlan>;
    try {
      compiled = compilePlan(this.limitPlan.policy, 'nsbox-warm', [], host(), { warmFd: FD_FIRST_EXTRA });
      const launched = launchInit(compiled.bytes, ['ignore', 'ignore', 'ignore'], [initEnd]);
      watchExit(launched.pidfd, () => {}); // the first stage exits once PID 1 runs
      readStatus(launched.status, (record) => this.onBuildRecord(record), () => {
        if (this.failure) {
          const error = setupFailure(this.failure, { describe: compiled.describe, command: 'nsbox-warm', path: '', cwd: '/' });
          this.settle(error);
          this.closeNow();
        }
      });
    } catch (error) {
      closeFd(hostEnd);
      throw error;
    } finally {
      closeFd(initEnd);
    }
    this.reader = new Socket({ fd: hostEnd, readable: true, writable: false });
    this.reader.on('data', (bytes: Buffer) => {
      for (const byte of bytes) this.onMessage(String.fromCharCode(byte));
    });
    this.reader.on('error', () => this.closeNow());
    this.reader.on('close', () => this.closeNow());
    live.add(this);
  }

  private settle(error?: Error): void {
    const settle = this.settleReady;
    this.settleReady = () => {};
    settle(error);
  }

  private onBuildRecord(record: StatusRecord): void {
    if (record.kind === StatusKind.STAGE1) {
      this.pid = record.value;
      this.pidfd = pidfdOpen(record.value);
      const pidfd = this.pidfd;
      watchExit(pidfd, () => {
        this.pidfd = -1; // the reaper has closed it
        this.closeNow();
        this.markExited();
      });
    } else if (record.kind === StatusKind.FAILED) {
      this.failure ??= record;
    }
  }

  private onMessage(message: string): void {
    if (message === 'R') {
      if (this.state === 'busy') this.jobs++;
      if (this.state === 'closed') return;
      this.state = 'idle';
      this.park();
    } else if (message === 'P' && this.state === 'parking') {
      this.state = 'parked';
      this.settle();
      this.onChange(this);
    }
  }

  /** Give PID 1 the next job's cgroup, so it forks that job's process into it now, between jobs. */
  private park(): void {
    const procs: number[] = [];
    try {
      const wanted = this.limitPlan.wanted;
      if (wanted) {
        this.nextCgroup = cgroupManager().create({ ...wanted, initProcesses: 0, withoutFreezer: true });
        procs.push(...this.nextCgroup.procsPaths().map(openWriteOnly));
      }
      sendFds(this.control, procs, 'p');
      this.state = 'parking';
    } catch (error) {
      this.settle(error instanceof Error ? error : new SandboxError(String(error)));
      this.closeNow();
    } finally {
      procs.forEach(closeFd);
    }
  }

  /** Run one job in the parked process. Throws PolicyError for a job this sandbox cannot serve. */
  spawn(command: string, args: readonly string[] = [], options: SpawnOptions = {}): SandboxChild {
    if (this.state !== 'parked') throw new SandboxError(`warm sandbox is ${this.state}, not ready for a job`, 'EBUSY');
    checkCommand(command, args);
    const policy = withOverrides(this.limitPlan.policy, options);
    const stdio: [StdioOption, StdioOption, StdioOption] = [options.stdin ?? 'ignore', options.stdout ?? 'pipe', options.stderr ?? 'pipe'];
    checkOutputLimit(policy.limits, stdio[1], stdio[2]);
    const wanted = this.jobLimits(policy, options);
    const cgroup = this.nextCgroup;
    const hostFds: number[] = [];
    const slot = (fd: number) => FD_FIRST_EXTRA + hostFds.push(fd) - 1;
    let slots: InitCgroupSlots | undefined;
    try {
      if (cgroup && wanted) {
        if (options.limits !== undefined) cgroup.arm({ ...wanted, initProcesses: 0, withoutFreezer: true });
        const fds = cgroup.initFds({ join: false });
        slots = {
          procsFds: [],
          cpuUsage: { fd: slot(fds.cpuUsage.fd), format: fds.cpuUsage.format },
          oom: fds.oom ? { fd: slot(fds.oom.fd), kind: fds.oom.kind } : undefined,
        };
      }
      const compiled = compilePlan(policy, command, args, host(), {
        cgroup: slots,
        enforcedCgroup: cgroup && wanted ? enforcedCgroup(cgroup, wanted) : false,
        downgrades: this.limitPlan.downgrades,
      });
      const startNs = process.hrtime.bigint();
      const launched = launchInit(compiled.bytes, stdio, hostFds, { kind: 'warm', socket: this.control });
      cgroup?.closeInitFds();
      this.nextCgroup = null;
      this.state = 'busy';
      const job = ++this.currentJob;
      const child = new SandboxChild(launched, childContext(compiled, command, policy, {
        startNs,
        cgroup,
        statsIntervalMs: options.statsInterval,
        warm: { pid: this.pid, signal: (n) => this.signalJob(job, n) },
      }));
      killOnAbort(child, options.signal);
      return child;
    } catch (error) {
      cgroup?.closeInitFds();
      throw error;
    }
  }

  /** The job's cgroup limits: its own over the pool's, as long as the job needs the same kind of cgroup. */
  private jobLimits(policy: ResolvedPolicy, options: SpawnOptions): CgroupLimits | null {
    if (options.limits === undefined) return this.limitPlan.wanted;
    const wanted = planLimits(policy).wanted;
    const pool = this.limitPlan.wanted;
    const mismatch = (wanted === null) !== (pool === null) ||
      (wanted && pool && (wanted.cpus !== pool.cpus || wanted.cpuset !== pool.cpuset));
    if (mismatch) {
      throw new PolicyError('options.limits', options.limits,
        'needs a different cgroup than the pool\'s sandboxes were prepared with (cpu or cpuset limits, or cgroup limits where the pool has none)',
        'set these limits in the pool\'s policy, or run the job with Sandbox.run()');
    }
    return wanted;
  }

  private signalJob(job: number, signal: number): boolean {
    if (this.state !== 'busy' || job !== this.currentJob) return false;
    if (signal === SIGKILL) {
      // Ends the job only: PID 1 kills everything else in the sandbox and stays for the next job.
      try {
        sendFds(this.control, [], 'K');
        return true;
      } catch {
        return false;
      }
    }
    return this.pidfd >= 0 && pidfdSendSignal(this.pidfd, signal); // PID 1 forwards it to the job
  }

  /** Take the sandbox down and wait until PID 1 is reaped and the parked job's cgroup removed. */
  async close(): Promise<void> {
    const cgroup = this.nextCgroup;
    this.nextCgroup = null;
    this.closeNow();
    await this.exited;
    await cgroup?.destroy().catch(() => {});
  }

  /** Take the sandbox down now: PID 1 is killed (its namespace with it); reaped at once when `reapNow` (at exit), else by the reaper. */
  closeNow(reapNow = false): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    live.delete(this);
    this.settle(new SandboxError('the warm sandbox closed before it was ready', 'ECLOSED'));
    this.reader?.destroy();
    if (this.pidfd >= 0) {
      pidfdSendSignal(this.pidfd, SIGKILL);
      if (reapNow) {
        try {
          reapIfExited(this.pidfd, true);
        } catch {
          // exiting anyway
        }
      }
    } else if (this.pid < 0) {
      this.markExited(); // PID 1 never started
    }
    if (this.nextCgroup) {
      const cgroup = this.nextCgroup;
      this.nextCgroup = null;
      if (reapNow) cgroup.closeInitFds();
      else void cgroup.destroy().catch(() => {});
    }
    this.onChange(this);
  }
}
