/*
 * The wire contract between the TypeScript host and nsbox-init.
 * src/plan/protocol.ts mirrors every number here; change both together.
 *
 * File descriptors the host hands to the init:
 *   0, 1, 2  the payload's stdio
 *   3        the plan: a memfd, read from offset 0 to its end
 *   4        the status pipe (write end): fixed-size records, see below
 *   5..      extra descriptors named by OP_FD records
 *
 * The plan is a header followed by records, all little-endian, unaligned:
 *   header: u32 magic, u32 version, u32 record_count
 *   record: u16 op, u16 flags, u32 length, then `length` bytes of payload
 * Strings in a payload are NUL-terminated; a payload holding several fields
 * stores the fixed-size integers first, then the strings in order.
 */
#ifndef NSBOX_PROTOCOL_H
#define NSBOX_PROTOCOL_H

#include <stdint.h>

#define NSBOX_PLAN_MAGIC 0x3142534eu /* "NSB1" */
#define NSBOX_PLAN_VERSION 1u
#define NSBOX_PLAN_MAX_BYTES (16u << 20)
#define NSBOX_PLAN_MAX_RECORDS 65536u

#define NSBOX_FD_PLAN 3
#define NSBOX_FD_STATUS 4
#define NSBOX_FD_FIRST_EXTRA 5

enum nsbox_op {
	OP_NAMESPACES = 1, /* u32 clone flags (CLONE_NEW*) */
	OP_UID_MAP = 2,    /* u32 inside, u32 outside, u32 count */
	OP_GID_MAP = 3,    /* u32 inside, u32 outside, u32 count */
	OP_IDENTITY = 4,   /* u32 uid, u32 gid: the ids the payload runs as inside */
	OP_HOSTNAME = 5,   /* str */
	OP_ROOTFS = 6,     /* u64 size in bytes (0: kernel default); flag ROOT_READONLY */
	OP_BIND = 7,       /* str source (host path), str target; flags MNT_* */
	OP_TMPFS = 8,      /* u64 size (0: default), u32 mode, str target; flags MNT_* */
	OP_PROC = 9,       /* str target */
	OP_DEVPTS = 10,    /* str target: a new devpts instance (ptmxmode=0666) */
	OP_DIR = 11,       /* u32 mode, str target */
	OP_SYMLINK = 12,   /* str link path (inside), str where it points */
	OP_FILE = 13,      /* u32 mode, u32 content length, str target, bytes content */
	OP_RLIMIT = 14,    /* u32 resource, u64 soft, u64 hard (UINT64_MAX: unlimited) */
	OP_CAPS = 15,      /* u64 capability mask the payload keeps (0: none) */
	OP_LOOPBACK = 16,  /* no payload: bring lo up in the new network namespace */
	OP_ENV = 17,       /* str "NAME=value" */
	OP_ARG = 18,       /* str: one argv element, argv[0] first */
	OP_EXEC = 19,      /* str file (a path, or a name looked up in the PATH that follows), str PATH */
	OP_CWD = 20,       /* str */
	OP_FD = 21,        /* u32 fd in the init, u32 fd number in the payload */
	OP_HOST_PID = 22,  /* u32 the host's pid: the init dies with it */
	OP_PRIVILEGED = 23, /* no payload: the host holds CAP_SYS_ADMIN, so the first stage opens bind sources */
	OP_CLEAR_GROUPS = 24, /* no payload: the host runs as root; drop its supplementary groups or fail */
	OP_CGROUP_INTO = 25,  /* u32 fd: clone3(CLONE_INTO_CGROUP) into this cgroup v2 directory */
	OP_CGROUP_PROCS = 26, /* u32 fd: a cgroup v1 cgroup.procs; the first stage writes its pid there before clone3 */
	OP_CPU_USAGE = 27,    /* u32 fd, u32 format (CPU_FORMAT_*): the run's CPU time, re-read with pread */
	OP_OOM_WATCH = 28,    /* u32 fd, u32 kind (OOM_WATCH_*): where PID 1 learns of OOM kills */
	OP_LIMIT = 29,        /* u32 kind (LIMIT_*), u64 nanoseconds: enforced by PID 1 */
	OP_SECCOMP = 30,      /* bytes: a classic BPF program (struct sock_filter[]); flag SECCOMP_NOTIFY_KILLS */
	OP_LANDLOCK = 31,     /* u64 handled fs rights, u64 handled net rights, u64 scopes: the ruleset */
	OP_LANDLOCK_PATH = 32, /* u64 allowed fs rights, str path inside; flag LANDLOCK_OPTIONAL */
	OP_LANDLOCK_PORT = 33, /* u64 allowed net rights, u64 TCP port */
	OP_WARM = 34,         /* u32 fd: a unix socket to the host; PID 1 serves jobs on it (src/native/warm.h) */
	OP__COUNT
};

/* flags on OP_BIND / OP_TMPFS */
#define MNT_READONLY 0x1u
#define MNT_OPTIONAL 0x2u /* a missing bind source is skipped, not an error */
#define MNT_DEVICES 0x4u  /* keep device nodes usable (no MS_NODEV); only for /dev binds */
#define MNT_EXEC_OFF 0x8u /* noexec */
#define MNT_SEAL 0x10u    /* tmpfs: made read-only once everything beneath it is mounted */
#define CPU_FORMAT_CPU_STAT 1      /* cgroup v2 cpu.stat: "usage_usec N" */
#define CPU_FORMAT_CPUACCT_USAGE 2 /* cgroup v1 cpuacct.usage: nanoseconds */
#define OOM_WATCH_MEMORY_EVENTS 1  /* cgroup v2 memory.events: POLLPRI, "oom_kill N" */
#define OOM_WATCH_EVENTFD 2        /* cgroup v1 eventfd registered on memory.oom_control: POLLIN */
#define LIMIT_CPU 1                /* CPU time of the whole run (needs OP_CPU_USAGE) */
#define LIMIT_WALL 2               /* time from the payload's execve */

/* flags on OP_SECCOMP: report kills to PID 1 (seccomp user notification) so the run names the syscall */
#define SECCOMP_NOTIFY_KILLS 0x1u
/* flags on OP_LANDLOCK_PATH: skip a path that does not exist */
#define LANDLOCK_OPTIONAL 0x1u

/* flags on OP_ROOTFS */
#define ROOT_READONLY 0x1u

/*
 * Status records: 64 bytes each (below PIPE_BUF, so writes never interleave).
 */
enum nsbox_status_kind {
	ST_STAGE1 = 1,  /* value: host pid of the sandbox's PID 1 */
	ST_FAILED = 2,  /* step, op, detail, err: a setup step failed; nothing was executed */
	ST_EXECED = 3,  /* t_ns: CLOCK_MONOTONIC just before the payload's execve */
	ST_EXITED = 4,  /* value: wait status; t_ns: exit time; utime/stime/maxrss of the whole reaped tree */
	ST_LIMIT = 5,   /* value: LIMIT_* that PID 1 enforced; t_ns: when; reserved: CPU ns used since exec */
	ST_OOM = 6,     /* value: OOM kills seen in the run's cgroup so far; t_ns: when PID 1 saw it */
	ST_VIOLATION = 7, /* value: syscall number the filter refused with kill; detail: its audit arch; t_ns: when */
};
/* ST_EXECED carries in `reserved` the run's CPU ns at exec (0 without OP_CPU_USAGE), the baseline for LIMIT_CPU. */

/* Steps, for ST_FAILED. A step tied to a plan record also carries its index in `op`. */
enum nsbox_step {
	STEP_PLAN_READ = 1,
	STEP_PLAN_PARSE = 2,
	STEP_PARENT = 3,       /* the host is gone, or PR_SET_PDEATHSIG failed */
	STEP_CLONE = 4,        /* clone3 with the namespace flags */
	STEP_SETGROUPS = 5,
	STEP_UID_MAP = 6,
	STEP_GID_MAP = 7,
	STEP_SYNC = 8,         /* the first stage could not release PID 1 (write to the sync pipe) */
	STEP_SETID = 9,        /* setresuid/setresgid inside */
	STEP_HOSTNAME = 10,
	STEP_LOOPBACK = 11,
	STEP_MOUNT_PRIVATE = 12,
	STEP_ROOTFS = 13,
	STEP_MOUNT = 14,       /* op = the mount record; detail = MNT_STEP_* */
	STEP_PIVOT = 15,
	STEP_ROOT_READONLY = 16,
	STEP_FORK = 17,
	STEP_SETSID = 18,
	STEP_FDS = 19,         /* moving passed fds / closing the rest */
	STEP_RLIMIT = 20,      /* op = the rlimit record */
	STEP_CAPS = 21,
	STEP_NO_NEW_PRIVS = 22,
	STEP_CWD = 23,
	STEP_EXEC = 24,        /* err ENOENT: not found in PATH; EACCES: not executable */
	STEP_DUMPABLE = 25,
	STEP_SIGNALS = 26,
	STEP_CGROUP = 27,      /* joining the run's cgroup */
	STEP_CLEAR_GROUPS = 28, /* dropping a root host's supplementary groups */
	STEP_LANDLOCK = 29,    /* op = the ruleset or path record */
	STEP_SECCOMP = 30,
	STEP_JOB = 31,         /* a warm sandbox preparing a job (a fresh IPC namespace) */
};

/* detail for STEP_MOUNT */
enum nsbox_mount_step {
	MNT_STEP_SOURCE = 1,   /* opening the bind source */
	MNT_STEP_TARGET = 2,   /* resolving or creating the target beneath the new root */
	MNT_STEP_CREATE = 3,   /* making the filesystem (tmpfs, proc, devpts) */
	MNT_STEP_ATTACH = 4,   /* move_mount onto the target */
	MNT_STEP_FLAGS = 5,    /* read-only / nosuid / nodev */
	MNT_STEP_WRITE = 6,    /* writing a file's content */
};

struct nsbox_status {
	uint32_t kind;
	uint32_t step;
	int32_t op;
	uint32_t detail;
	int32_t err;
	int32_t value;
	uint64_t t_ns;
	uint64_t utime_us;
	uint64_t stime_us;
	uint64_t maxrss_kb;
	uint64_t reserved;
};

#endif
