// Starting the init and following processes through pidfds.
import fs from 'node:fs';
import { constants } from 'node:os';
import { errno, libc } from './libc.js';
import { SyscallError } from './errno.js';

const SYS_PIDFD_SEND_SIGNAL = 424;
const SYS_PIDFD_OPEN = 434;
const P_PID = 1;
const P_PIDFD = 3;
const WEXITED = 4;
const WNOHANG = 1;
const CLD_EXITED = 1;
const CLD_KILLED = 2;
const CLD_DUMPED = 3;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const OPAQUE_BYTES = 512; // larger than glibc's and musl's posix_spawn_file_actions_t / posix_spawnattr_t

export interface FdMapping {
  /** Descriptor in the host. */
  from: number;
  /** Descriptor number in the spawned process. */
  to: number;
}

/**
 * posix_spawn (CLONE_VM|CLONE_VFORK inside libc: the cost does not grow with the host's memory)
 * of `path` with exactly `fds` placed, signals at their defaults and unblocked, and an empty environment.
 * Sources must not collide with targets (see Spawner).
 */
export function spawnProcess(path: string, argv: string[], fds: FdMapping[]): number {
  const c = libc();
  const actions = Buffer.alloc(OPAQUE_BYTES);
  const attr = Buffer.alloc(OPAQUE_BYTES);
  const sigset = Buffer.alloc(128);
  c.fileActionsInit(actions);
  c.attrInit(attr);
  try {
    for (const { from, to } of fds) {
      const rc = c.fileActionsDup2(actions, from, to);
      if (rc !== 0) throw new SyscallError('posix_spawn_file_actions_adddup2', rc);
    }
    // Node ignores SIGPIPE and may block signals; the init must start from the defaults.
    c.sigfillset(sigset);
    c.attrSetSigDefault(attr, sigset);
    c.sigemptyset(sigset);
    c.attrSetSigMask(attr, sigset);
    c.attrSetFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    const pid = [0];
    const rc = c.posix_spawn(pid, path, actions, attr, [...argv, null], [null]);
    if (rc !== 0) throw new SyscallError(`posix_spawn ${path}`, rc);
    return pid[0];
  } finally {
    c.fileActionsDestroy(actions);
    c.attrDestroy(attr);
  }
}

/** Kill and reap a child we could not take a pidfd of, so it is not left a zombie. */
export function killAndReap(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already; still reap it below
  }
  libc().waitid(P_PID, pid, Buffer.alloc(128), WEXITED);
}

/**
 * A descriptor held back for pidfds: a child nsbox spawned must be reapable even when the host has run out
 * of descriptors (EMFILE), or it would stay a zombie (and a sandbox's PID 1, our child too, with it).
 */
let reserve = -1;

function openPidfd(pid: number): number {
  return Number(libc().syscall(SYS_PIDFD_OPEN, 'long', pid, 'long', 0));
}

export function pidfdOpen(pid: number): number {
  let fd = openPidfd(pid);
  let error = fd < 0 ? errno() : 0;
  if (fd < 0 && error === constants.errno.EMFILE && reserve >= 0) {
    fs.closeSync(reserve);
    reserve = -1;
    fd = openPidfd(pid);
    error = fd < 0 ? errno() : 0;
  }
  if (fd < 0) throw new SyscallError('pidfd_open', error);
  if (reserve < 0) {
    try {
      reserve = fs.openSync('/dev/null', 'r');
    } catch {
      // still short of descriptors: reserve again next time
    }
  }
  return fd;
}

/** Returns false when the process is already gone. */
export function pidfdSendSignal(pidfd: number, signal: number): boolean {
  const rc = Number(libc().syscall(SYS_PIDFD_SEND_SIGNAL, 'long', pidfd, 'long', signal, 'void *', null, 'long', 0));
  if (rc === 0) return true;
  const e = errno();
  if (e === constants.errno.ESRCH) return false;
  throw new SyscallError('pidfd_send_signal', e);
}

export type ExitInfo = { exitCode: number; signal: null } | { exitCode: null; signal: number };

/** Reap the process behind `pidfd` if it has ended; null while it runs. `block` waits for it instead. */
export function reapIfExited(pidfd: number, block = false): ExitInfo | null {
  const info = Buffer.alloc(128);
  const rc = libc().waitid(P_PIDFD, pidfd, info, WEXITED | (block ? 0 : WNOHANG));
  if (rc < 0) throw new SyscallError('waitid', errno());
  if (info.readInt32LE(16) === 0) return null; // si_pid stays 0 while the child runs
  const code = info.readInt32LE(8);
  const status = info.readInt32LE(24);
  if (code === CLD_EXITED) return { exitCode: status, signal: null };
  if (code === CLD_KILLED || code === CLD_DUMPED) return { exitCode: null, signal: status };
  return null;
}
