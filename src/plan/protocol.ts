// Mirrors src/native/protocol.h: the plan records and status records shared with nsbox-init.
export const PLAN_MAGIC = 0x3142534e;
export const PLAN_VERSION = 1;
export const FD_PLAN = 3;
export const FD_STATUS = 4;
export const FD_FIRST_EXTRA = 5;

export const Op = {
  NAMESPACES: 1,
  UID_MAP: 2,
  GID_MAP: 3,
  IDENTITY: 4,
  HOSTNAME: 5,
  ROOTFS: 6,
  BIND: 7,
  TMPFS: 8,
  PROC: 9,
  DEVPTS: 10,
  DIR: 11,
  SYMLINK: 12,
  FILE: 13,
  RLIMIT: 14,
  CAPS: 15,
  LOOPBACK: 16,
  ENV: 17,
  ARG: 18,
  EXEC: 19,
  CWD: 20,
  FD: 21,
  HOST_PID: 22,
  PRIVILEGED: 23,
  CLEAR_GROUPS: 24,
  CGROUP_INTO: 25,
  CGROUP_PROCS: 26,
  CPU_USAGE: 27,
  OOM_WATCH: 28,
  LIMIT: 29,
  SECCOMP: 30,
  LANDLOCK: 31,
  LANDLOCK_PATH: 32,
  LANDLOCK_PORT: 33,
  WARM: 34,
} as const;

export const MountFlag = { READONLY: 0x1, OPTIONAL: 0x2, DEVICES: 0x4, NOEXEC: 0x8, SEAL: 0x10 } as const;
export const ROOT_READONLY = 0x1;

export const CloneFlag = {
  mount: 0x00020000,
  cgroup: 0x02000000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  net: 0x40000000,
} as const;

export const StatusKind = { STAGE1: 1, FAILED: 2, EXECED: 3, EXITED: 4, LIMIT: 5, OOM: 6, VIOLATION: 7 } as const;
export const SECCOMP_NOTIFY_KILLS = 0x1;
export const LANDLOCK_OPTIONAL = 0x1;
export const CpuFormat = { CPU_STAT: 1, CPUACCT_USAGE: 2 } as const;
export const OomWatch = { MEMORY_EVENTS: 1, EVENTFD: 2 } as const;
export const LimitKind = { CPU: 1, WALL: 2 } as const;
export const STATUS_RECORD_BYTES = 64;

export const Step = {
  PLAN_READ: 1,
  PLAN_PARSE: 2,
  PARENT: 3,
  CLONE: 4,
  SETGROUPS: 5,
  UID_MAP: 6,
  GID_MAP: 7,
  SYNC: 8,
  SETID: 9,
  HOSTNAME: 10,
  LOOPBACK: 11,
  MOUNT_PRIVATE: 12,
  ROOTFS: 13,
  MOUNT: 14,
  PIVOT: 15,
  ROOT_READONLY: 16,
  FORK: 17,
  SETSID: 18,
  FDS: 19,
  RLIMIT: 20,
  CAPS: 21,
  NO_NEW_PRIVS: 22,
  CWD: 23,
  EXEC: 24,
  DUMPABLE: 25,
  SIGNALS: 26,
  CGROUP: 27,
  CLEAR_GROUPS: 28,
  LANDLOCK: 29,
  SECCOMP: 30,
  JOB: 31,
} as const;

export const MountStep = { SOURCE: 1, TARGET: 2, CREATE: 3, ATTACH: 4, FLAGS: 5, WRITE: 6 } as const;

export const Rlimit = { cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8, as: 9 } as const;
