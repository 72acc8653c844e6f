// Reaps nsbox's own children through their pidfds. SIGCHLD triggers a sweep; a slow
// timer sweeps too (signals coalesce, and it keeps the event loop alive while a sandbox runs).
// Children spawned by child_process are left alone: libuv reaps those by pid.
import { closeFd } from './syscalls/fds.js';
import { type ExitInfo, reapIfExited } from './syscalls/process.js';

type ExitListener = (exit: ExitInfo) => void;

const watched = new Map<number, ExitListener>();
let timer: NodeJS.Timeout | undefined;
const FALLBACK_SWEEP_MS = 100;

function sweep(): void {
  for (const [pidfd, listener] of watched) {
    const exit = reapIfExited(pidfd);
    if (!exit) continue;
    watched.delete(pidfd);
    closeFd(pidfd);
    listener(exit);
  }
  if (watched.size === 0) stop();
}

function stop(): void {
  if (timer) clearInterval(timer);
  timer = undefined;
  process.removeListener('SIGCHLD', sweep);
}

/** Call `listener` once the process behind `pidfd` has ended; the pidfd is closed then. */
export function watchExit(pidfd: number, listener: ExitListener): void {
  watched.set(pidfd, listener);
  if (!timer) {
    process.on('SIGCHLD', sweep);
    timer = setInterval(sweep, FALLBACK_SWEEP_MS);
  }
}

/** Sweep now: used when a status pipe closes, which usually means a child just ended. */
export function sweepNow(): void {
  if (watched.size > 0) sweep();
}
