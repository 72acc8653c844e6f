// Host side of a spawn: the descriptors the init starts with, then posix_spawn of the init.
import { SandboxError, UnsupportedError } from './errors.js';
import { initExecPath } from './init-binary.js';
import { FD_FIRST_EXTRA, FD_PLAN, FD_STATUS } from './plan/protocol.js';
import { SyscallError } from './syscalls/errno.js';
import { closeFd, dupAbove, openForChild, pipe, sealedMemfd } from './syscalls/fds.js';
import { sendFds } from './syscalls/sendfds.js';
import { type FdMapping, killAndReap, pidfdOpen, spawnProcess } from './syscalls/process.js';

/** 'pipe', 'ignore', 'inherit', or a file path (read for stdin, truncated and written for stdout/stderr). */
export type StdioOption = 'pipe' | 'ignore' | 'inherit' | string;

export interface Launched {
  /** pid and pidfd of the first stage (it exits once the sandbox's PID 1 is running); -1 for a warm job. */
  pid: number;
  pidfd: number;
  /** Host ends of piped stdio, -1 where not piped. */
  stdin: number;
  stdout: number;
  stderr: number;
  /** Read end of the status pipe. */
  status: number;
}

interface ChildSide {
  mappings: FdMapping[];
  toClose: number[];
}

function stdioFd(option: StdioOption, target: 0 | 1 | 2, side: ChildSide): number {
  const reading = target === 0;
  if (option === 'pipe') {
    const [r, w] = pipe();
    side.mappings.push({ from: reading ? r : w, to: target });
    side.toClose.push(reading ? r : w);
    return reading ? w : r;
  }
  if (option === 'inherit') {
    side.mappings.push({ from: target, to: target });
    return -1;
  }
  const fd = openForChild(option === 'ignore' ? '/dev/null' : option, reading ? 'read' : 'write');
  side.mappings.push({ from: fd, to: target });
  side.toClose.push(fd);
  return -1;
}

/**
 * posix_spawn applies dup2 actions in order, so a source numbered like a later target would be
 * overwritten first. Sources below the first free number are copied above it beforehand.
 */
function avoidCollisions(side: ChildSide, firstFree: number): void {
  for (const m of side.mappings) {
    if (m.from < firstFree && m.from !== m.to) {
      m.from = dupAbove(m.from, firstFree);
      side.toClose.push(m.from);
    }
  }
}

/** Who starts the first stage: a fresh posix_spawn of the init, or a zygote already parked in the run's cgroups. */
export type Starter =
  | { kind: 'spawn' }
  | { kind: 'zygote'; pid: number; pidfd: number; socket: number }
  /** A warm sandbox's PID 1 (src/warm/): the descriptors go to it as a job; there is no first stage. */
  | { kind: 'warm'; socket: number };

export function launchInit(
  plan: Buffer,
  stdio: [StdioOption, StdioOption, StdioOption],
  extraFds: readonly number[] = [],
  starter: Starter = { kind: 'spawn' },
): Launched {
  const side: ChildSide = { mappings: [], toClose: [] };
  const hostEnds: number[] = [];
  try {
    // Each host end is kept for the cleanup below as soon as it exists (EMFILE may hit the next one).
    const stdin = stdioFd(stdio[0], 0, side);
    hostEnds.push(stdin);
    const stdout = stdioFd(stdio[1], 1, side);
    hostEnds.push(stdout);
    const stderr = stdioFd(stdio[2], 2, side);
    hostEnds.push(stderr);
    const planFd = sealedMemfd('nsbox-plan', plan, false);
    side.toClose.push(planFd);
    side.mappings.push({ from: planFd, to: FD_PLAN });
    const [statusRead, statusWrite] = pipe();
    hostEnds.push(statusRead);
    side.toClose.push(statusWrite);
    side.mappings.push({ from: statusWrite, to: FD_STATUS });
    extraFds.forEach((fd, i) => side.mappings.push({ from: fd, to: FD_FIRST_EXTRA + i }));

    if (starter.kind !== 'spawn') {
      // A zygote or a warm sandbox places what it receives at 0, 1, 2, ... in the order sent.
      const inOrder = [...side.mappings].sort((a, b) => a.to - b.to).map((m) => m.from);
      if (starter.kind === 'warm') {
        sendFds(starter.socket, inOrder, 'j');
        return { pid: -1, pidfd: -1, stdin, stdout, stderr, status: statusRead };
      }
      sendFds(starter.socket, inOrder);
      closeFd(starter.socket);
      return { pid: starter.pid, pidfd: starter.pidfd, stdin, stdout, stderr, status: statusRead };
    }
    avoidCollisions(side, FD_FIRST_EXTRA + extraFds.length);
    const pid = spawnInit(['nsbox-init'], side.mappings);
    let pidfd: number;
    try {
      pidfd = pidfdOpen(pid);
    } catch (error) {
      killAndReap(pid); // without its pidfd nobody would reap it
      throw error;
    }
    return { pid, pidfd, stdin, stdout, stderr, status: statusRead };
  } catch (error) {
    hostEnds.forEach(closeFd);
    // EMFILE, a missing stdio file...: the host could not prepare the spawn; still a SandboxError.
    if (error instanceof SyscallError) {
      throw new SandboxError(`cannot prepare the sandbox: ${error.message}`, 'EHOST', { cause: error });
    }
    throw error;
  } finally {
    side.toClose.forEach(closeFd);
  }
}

/** posix_spawn of the sealed init with `mappings` placed; refusals become typed errors. */
export function spawnInit(argv: string[], mappings: FdMapping[]): number {
  try {
    return spawnProcess(initExecPath(), argv, mappings);
  } catch (error) {
    if (error instanceof SyscallError && (error.code === 'EACCES' || error.code === 'EPERM')) {
      throw new UnsupportedError(
        'execute nsbox-init from a sealed memfd',
        error.code,
        'the host forbids executable memfds (vm.memfd_noexec=2, or a security module)',
        'Fix: `sysctl vm.memfd_noexec=0`',
      );
    }
    if (error instanceof SyscallError) {
      const why = error.code === 'ENOEXEC' ? 'the init binary is corrupt or built for another architecture' : 'posix_spawn failed';
      throw new SandboxError(`cannot start nsbox-init: ${error.code}: ${why}. Run \`nsbox doctor\``, 'EINIT', { cause: error });
    }
    throw error;
  }
}

/** Copies sources that a later dup2 would overwrite above every target (see avoidCollisions). */
export function placeWithoutCollisions(mappings: FdMapping[], firstFree: number): number[] {
  const side: ChildSide = { mappings, toClose: [] };
  avoidCollisions(side, firstFree);
  return side.toClose;
}
