import { constants } from 'node:os';

const NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) if (!NAMES.has(value)) NAMES.set(value, name);

/** 'ENOENT' for 2, and so on; 'E<n>' for numbers Node does not name. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

/** A libc call made by the host failed. */
export class SyscallError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  constructor(syscall: string, errno: number) {
    super(`${syscall}: ${errnoName(errno)}`);
    this.name = 'SyscallError';
    this.errno = errno;
    this.code = errnoName(errno);
    this.syscall = syscall;
  }
}
