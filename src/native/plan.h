/* The parsed plan: what the host decided, in a shape the setup steps can execute. */
#ifndef NSBOX_PLAN_H
#define NSBOX_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

#define PLAN_MAX_MAPS 8
#define PLAN_MAX_RLIMITS 16
#define PLAN_MAX_FDS 64

struct id_map {
	uint32_t inside, outside, count;
};

/* One filesystem step (bind, tmpfs, proc, devpts, dir, symlink, file), in plan order. */
struct fs_op {
	uint16_t op;
	uint32_t flags;
	int index; /* record index in the plan, echoed in failure reports */
	const char *source;
	const char *target;
	const char *link_to;
	uint64_t size;
	uint32_t mode;
	const uint8_t *content;
	uint32_t content_len;
	int tree_fd; /* bind: the cloned source tree, once opened; -1 before */
	int skipped; /* bind: optional source that does not exist */
};

struct rlimit_op {
	int index;
	uint32_t resource;
	uint64_t soft, hard;
};

struct fd_op {
	uint32_t from, to;
};

struct plan {
	uint64_t ns_flags;
	struct id_map uid_maps[PLAN_MAX_MAPS];
	struct id_map gid_maps[PLAN_MAX_MAPS];
	unsigned n_uid_maps, n_gid_maps;
	int has_identity;
	uint32_t uid, gid;
	const char *hostname;
	int has_rootfs;
	uint64_t root_size;
	uint32_t root_flags;
	struct fs_op *fs_ops;
	unsigned n_fs_ops;
	struct rlimit_op rlimits[PLAN_MAX_RLIMITS];
	unsigned n_rlimits;
	uint64_t caps_keep;
	int loopback;
	char **argv; /* NULL-terminated */
	char **envp; /* NULL-terminated */
	unsigned argc, envc;
	const char *exec_file;
	const char *exec_path;
	const char *cwd;
	struct fd_op fds[PLAN_MAX_FDS];
	unsigned n_fds;
	int host_pid;
	int privileged;
	int clear_groups;
	int cgroup_into_fd; /* -1: none */
	int cgroup_procs_fds[8];
	unsigned n_cgroup_procs;
	int cpu_usage_fd; /* -1: none */
	uint32_t cpu_usage_format;
	int oom_fd; /* -1: none */
	uint32_t oom_kind;
	uint64_t cpu_limit_ns, wall_limit_ns; /* 0: none */
	unsigned highest_fd; /* largest descriptor the plan names */
	uint8_t *seccomp_prog; /* points into the plan buffer (the payload may rewrite its own copy) */
	uint32_t seccomp_len;  /* instructions */
	uint32_t seccomp_flags;
	int has_landlock, landlock_index;
	uint64_t landlock_fs, landlock_net, landlock_scoped;
	struct landlock_path {
		int index;
		uint32_t flags;
		uint64_t allowed;
		const char *path;
	} *landlock_paths;
	unsigned n_landlock_paths;
	struct landlock_port {
		uint64_t allowed, port;
	} landlock_ports[64];
	unsigned n_landlock_ports;
	int warm_fd;   /* -1, or the socket a warm sandbox's PID 1 serves jobs on */
	int fresh_ipc; /* not in the plan: set for a warm job, whose payload gets its own IPC namespace */
};

/*
 * Parse `len` bytes at `buf` into `plan`. Pointers in the plan point into `buf`,
 * which must outlive it. Returns 0, or -1 with a reason in `why` (and the index
 * of the offending record in *bad_record, -1 for the header).
 */
int plan_parse(const uint8_t *buf, size_t len, struct plan *plan, const char **why, int *bad_record);
void plan_free(struct plan *plan);

/* Read a whole plan from a memfd (from offset 0, at most NSBOX_PLAN_MAX_BYTES) into a new buffer; NULL with errno. */
uint8_t *plan_load(int fd, size_t *len);

#endif
