// Landlock access rights (linux/landlock.h), the names nsbox gives them, and which ABI knows which.

/** Filesystem rights, as in linux/landlock.h. */
export const FS = {
  EXECUTE: 1n << 0n,
  WRITE_FILE: 1n << 1n,
  READ_FILE: 1n << 2n,
  READ_DIR: 1n << 3n,
  REMOVE_DIR: 1n << 4n,
  REMOVE_FILE: 1n << 5n,
  MAKE_CHAR: 1n << 6n,
  MAKE_DIR: 1n << 7n,
  MAKE_REG: 1n << 8n,
  MAKE_SOCK: 1n << 9n,
  MAKE_FIFO: 1n << 10n,
  MAKE_BLOCK: 1n << 11n,
  MAKE_SYM: 1n << 12n,
  /** ABI 2 */
  REFER: 1n << 13n,
  /** ABI 3 */
  TRUNCATE: 1n << 14n,
  /** ABI 5 */
  IOCTL_DEV: 1n << 15n,
} as const;

/** TCP port rights (ABI 4). */
export const NET = { BIND_TCP: 1n, CONNECT_TCP: 2n } as const;

/** Scopes (ABI 6). */
export const SCOPE = { ABSTRACT_UNIX_SOCKET: 1n, SIGNAL: 2n } as const;

/** The first ABI that has network rules, and the first with scopes. */
export const NET_ABI = 4;
export const SCOPE_ABI = 6;

/** Rights that mean something on a file that is not a directory; the init keeps only these in a rule for such a file. */
export const FILE_RIGHTS = FS.EXECUTE | FS.WRITE_FILE | FS.READ_FILE | FS.TRUNCATE | FS.IOCTL_DEV;

export type FsAccess = 'read' | 'write' | 'execute' | 'make-dir' | 'remove' | 'truncate' | 'make-file' | 'make-special' | 'ioctl-dev' | 'refer';

export interface FsAccessInfo {
  bits: bigint;
  /** The first ABI version that knows these rights. */
  abi: number;
  /** What the right allows, in words. */
  allows: string;
}

/** nsbox's names for groups of filesystem rights. */
export const FS_ACCESS: Readonly<Record<FsAccess, FsAccessInfo>> = Object.freeze({
  read: { bits: FS.READ_FILE | FS.READ_DIR, abi: 1, allows: 'open files for reading, list directories' },
  write: { bits: FS.WRITE_FILE, abi: 1, allows: 'open files for writing' },
  execute: { bits: FS.EXECUTE, abi: 1, allows: 'execve files' },
  'make-dir': { bits: FS.MAKE_DIR, abi: 1, allows: 'create directories' },
  remove: { bits: FS.REMOVE_DIR | FS.REMOVE_FILE, abi: 1, allows: 'unlink files, remove directories, rename them away' },
  'make-file': { bits: FS.MAKE_REG | FS.MAKE_SYM | FS.MAKE_SOCK | FS.MAKE_FIFO, abi: 1, allows: 'create regular files, symlinks, unix sockets and FIFOs' },
  'make-special': { bits: FS.MAKE_CHAR | FS.MAKE_BLOCK, abi: 1, allows: 'create character and block device nodes' },
  refer: { bits: FS.REFER, abi: 2, allows: 'move or hard-link files into another directory' },
  truncate: { bits: FS.TRUNCATE, abi: 3, allows: 'truncate files (truncate, ftruncate, O_TRUNC)' },
  'ioctl-dev': { bits: FS.IOCTL_DEV, abi: 5, allows: 'ioctl on character and block devices (terminals, ...)' },
});

export const FS_ACCESS_NAMES = Object.freeze(Object.keys(FS_ACCESS) as FsAccess[]);

/** Every filesystem right the given ABI version knows (what nsbox handles: anything not granted is denied). */
export function fsRightsOfAbi(abi: number): bigint {
  if (abi < 1) return 0n;
  let rights = (1n << 13n) - 1n; // ABI 1: EXECUTE .. MAKE_SYM
  if (abi >= 2) rights |= FS.REFER;
  if (abi >= 3) rights |= FS.TRUNCATE;
  if (abi >= 5) rights |= FS.IOCTL_DEV;
  return rights;
}

/** Every filesystem right nsbox knows of (the newest ABI's set). */
export const ALL_FS_RIGHTS = fsRightsOfAbi(Number.MAX_SAFE_INTEGER);

/** The rights of a list of access names, ORed. */
export function rightsOf(access: readonly FsAccess[]): bigint {
  let bits = 0n;
  for (const name of access) bits |= FS_ACCESS[name].bits;
  return bits;
}

/** The access names whose rights are all in `bits` (for messages and tests); rights of no whole name are left out. */
export function accessNames(bits: bigint): FsAccess[] {
  return FS_ACCESS_NAMES.filter((name) => (FS_ACCESS[name].bits & bits) === FS_ACCESS[name].bits);
}

// The sets derived from mounts (docs/landlock.md, "Rules from mounts").

/** '/' and read-only binds: read and execute. */
export const READ_EXECUTE = FS_ACCESS.read.bits | FS.EXECUTE;
/** Read-write binds and tmpfs: everything needed to use a scratch directory, device nodes excepted. Execute comes from '/'. */
export const READ_WRITE = rightsOf(['read', 'write', 'make-file', 'make-dir', 'remove', 'truncate', 'refer']);
/** /proc: read, and write to files such as /proc/self/oom_score_adj. */
export const PROC_RIGHTS = FS_ACCESS.read.bits | FS.WRITE_FILE;
/** /dev: read, write (/dev/null, terminals) and device ioctls (terminal ioctls). */
export const DEV_RIGHTS = FS_ACCESS.read.bits | FS.WRITE_FILE | FS.IOCTL_DEV;
/** What `readOnly` takes away from a derived rule. */
export const WRITE_RIGHTS = ALL_FS_RIGHTS & ~(READ_EXECUTE | FS.IOCTL_DEV);
