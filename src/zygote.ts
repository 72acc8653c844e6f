// Zygotes keep cgroup v1 migration off the hot path (src/native/zygote.h). Moving a process into
// a v1 cgroup costs 6-8 ms when no other move happened in the last ~50 ms (the kernel waits out an
// RCU grace period). A zygote pays that ahead of time, parked in a fresh run cgroup; a run takes
// it, arms the limits, and hands it the descriptors, so PID 1 is born inside with no migration.
import { Socket } from 'node:net';
import { cgroupManager, type V1Run } from './cgroup/index.js';
import { placeWithoutCollisions, spawnInit } from './launch.js';
import { closeFd, openForChild, openWriteOnly, pipe, socketPair } from './syscalls/fds.js';
import { pidfdOpen, pidfdSendSignal, reapIfExited } from './syscalls/process.js';

export interface Zygote {
  pid: number;
  pidfd: number;
  /** Host end of the socket the zygote receives the run's descriptors on. */
  socket: number;
  slot: V1Run;
}

interface Parked extends Zygote {
  ready: boolean;
}

/** Two parked zygotes cover back-to-back runs; more would only hold cgroups idle. */
const POOL_SIZE = 2;
const SIGKILL = 9;
const pool: Parked[] = [];
let started = false;
let broken = false;

function park(): Parked {
  const slot = cgroupManager().createSlot();
  const toClose: number[] = [];
  try {
    const [socket, zygoteSocket] = socketPair();
    const [readyRead, readyWrite] = pipe();
    const devNull = openForChild('/dev/null', 'read');
    const procs = slot.procsPaths().map(openWriteOnly);
    toClose.push(zygoteSocket, readyWrite, devNull, ...procs);
    const mappings = [
      { from: devNull, to: 0 }, { from: devNull, to: 1 }, { from: devNull, to: 2 },
      { from: zygoteSocket, to: 3 }, { from: readyWrite, to: 4 },
      ...procs.map((fd, i) => ({ from: fd, to: 5 + i })),
    ];
    toClose.push(...placeWithoutCollisions(mappings, 5 + procs.length));
    const pid = spawnInit(['nsbox-init', 'zygote', String(procs.length)], mappings);
    const parked: Parked = { pid, pidfd: pidfdOpen(pid), socket, slot, ready: false };
    // The zygote writes one byte once it lives in the cgroups; this must not keep the host alive.
    const ready = new Socket({ fd: readyRead, readable: true, writable: false });
    ready.unref();
    ready.once('data', () => {
      parked.ready = true;
      ready.destroy();
    });
    ready.once('end', () => ready.destroy());
    return parked;
  } catch (error) {
    void slot.destroy().catch(() => {});
    throw error;
  } finally {
    toClose.forEach(closeFd);
  }
}

function forget(z: Zygote): void {
  closeFd(z.pidfd);
  closeFd(z.socket);
  void z.slot.destroy().catch(() => {});
}

function discard(z: Zygote): void {
  pidfdSendSignal(z.pidfd, SIGKILL);
  // Reaped once it has died; the slot goes with it.
  const reap = () => {
    if (reapIfExited(z.pidfd) === null) return void setTimeout(reap, 5).unref();
    forget(z);
  };
  reap();
}

/** At exit: kill, reap (a SIGKILLed zygote dies at once) and remove every parked slot, synchronously. */
function endParkedZygotes(): void {
  for (const z of pool.splice(0)) {
    try {
      pidfdSendSignal(z.pidfd, SIGKILL);
      reapIfExited(z.pidfd, true);
      closeFd(z.pidfd);
      closeFd(z.socket);
      z.slot.removeNow();
    } catch {
      // exiting anyway: the next nsbox process's sweep removes what is left
    }
  }
}

function refill(): void {
  try {
    while (pool.length < POOL_SIZE) pool.push(park());
  } catch {
    broken = true; // the ordinary path still works; it only pays the migration
  }
}

/**
 * A parked zygote whose cgroup is ready, or null (the first call only starts the pool: a process
 * that never runs limited sandboxes twice never pays for zygotes).
 */
export function takeZygote(): Zygote | null {
  if (broken || cgroupManager().version !== 1) return null;
  if (!started) {
    started = true;
    // Before the cgroup manager's own exit handler, which removes the parent these slots live in.
    process.prependOnceListener('exit', endParkedZygotes);
    refill();
    return null;
  }
  const index = pool.findIndex((z) => z.ready);
  if (index < 0) return null;
  const [zygote] = pool.splice(index, 1);
  if (reapIfExited(zygote.pidfd) !== null) {
    forget(zygote);
    return null;
  }
  return zygote;
}

/**
 * Park replacements once a run has ended, not when it starts: while a zygote migrates, the kernel
 * holds every fork on the machine (cgroup_threadgroup_rwsem), so parking during a run would stall
 * that run's own clone and fork. Between runs the wait falls in the idle gap.
 */
export function refillZygotes(): void {
  if (started && !broken) setImmediate(refill);
}

/** A zygote that was taken but not used (the spawn failed before it got its descriptors). */
export function releaseZygote(zygote: Zygote): void {
  discard(zygote);
}
