// File descriptors the host creates for a sandbox: pipes, the plan memfd, stdio files.
import { errno, libc } from './libc.js';
import { SyscallError } from './errno.js';

const O_CLOEXEC = 0o2000000;
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const F_DUPFD_CLOEXEC = 1030;
const F_ADD_SEALS = 1033;
const SEAL_ALL = 0x1 | 0x2 | 0x4 | 0x8; // F_SEAL_SEAL | SHRINK | GROW | WRITE
const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
const MFD_EXEC = 0x10;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = O_CLOEXEC;

function check(name: string, result: number): number {
  if (result < 0) throw new SyscallError(name, errno());
  return result;
}

/** A close-on-exec pipe: [read end, write end]. */
export function pipe(): [number, number] {
  const fds = [0, 0];
  check('pipe2', libc().pipe2(fds, O_CLOEXEC));
  return [fds[0], fds[1]];
}

/** A close-on-exec AF_UNIX stream socket pair. */
export function socketPair(): [number, number] {
  const fds = [0, 0];
  check('socketpair', libc().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
  return [fds[0], fds[1]];
}

export function closeFd(fd: number): void {
  if (fd >= 0) libc().close(fd);
}

export function openForChild(path: string, mode: 'read' | 'write' | 'append'): number {
  const flags = mode === 'read' ? O_RDONLY : O_WRONLY | O_CREAT | (mode === 'append' ? O_APPEND : O_TRUNC);
  return check(`open ${path}`, libc().open(path, flags | O_CLOEXEC, 0o644));
}

/** O_WRONLY|O_CLOEXEC, nothing created: for kernel files such as cgroup.procs. */
export function openWriteOnly(path: string): number {
  return check(`open ${path}`, libc().open(path, O_WRONLY | O_CLOEXEC, 0));
}

/** A close-on-exec copy of `fd` numbered at least `min`. */
export function dupAbove(fd: number, min: number): number {
  return check('fcntl(F_DUPFD_CLOEXEC)', libc().fcntl(fd, F_DUPFD_CLOEXEC, min));
}

function writeAll(fd: number, data: Uint8Array, what: string): void {
  let done = 0;
  while (done < data.length) {
    const chunk = done === 0 ? data : data.subarray(done);
    const n = Number(libc().write(fd, chunk, chunk.length));
    if (n <= 0) throw new SyscallError(`write ${what}`, n < 0 ? errno() : 5);
    done += n;
  }
}

/**
 * A sealed, close-on-exec memfd holding `data`: nothing can change it once made.
 * `executable` asks for exec permission (MFD_EXEC) where the kernel distinguishes it.
 */
export function sealedMemfd(name: string, data: Uint8Array, executable: boolean): number {
  const base = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  let fd = libc().memfd_create(name, base | (executable ? MFD_EXEC : 0));
  if (fd < 0 && executable) fd = libc().memfd_create(name, base); // kernels before 6.3 know no MFD_EXEC
  check('memfd_create', fd);
  try {
    writeAll(fd, data, name);
    check('fcntl(F_ADD_SEALS)', libc().fcntl(fd, F_ADD_SEALS, SEAL_ALL));
  } catch (error) {
    closeFd(fd);
    throw error;
  }
  return fd;
}
