/*
 * Plan parser. The only code in the init that reads structured input, so it is
 * written to be fuzzed: every length is checked before use, every string must
 * end inside its record, and nothing is trusted about record order or counts.
 */
#include "plan.h"
#include "sys.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cursor {
	const uint8_t *p;
	size_t left;
};

static int take_u32(struct cursor *c, uint32_t *out)
{
	if (c->left < 4)
		return -1;
	*out = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
	c->p += 4;
	c->left -= 4;
	return 0;
}

static int take_u16(struct cursor *c, uint16_t *out)
{
	if (c->left < 2)
		return -1;
	*out = (uint16_t)(c->p[0] | c->p[1] << 8);
	c->p += 2;
	c->left -= 2;
	return 0;
}

static int take_u64(struct cursor *c, uint64_t *out)
{
	uint32_t lo, hi;
	if (take_u32(c, &lo) || take_u32(c, &hi))
		return -1;
	*out = (uint64_t)hi << 32 | lo;
	return 0;
}

/* A NUL-terminated string that ends inside the record. */
static int take_str(struct cursor *c, const char **out)
{
	const uint8_t *nul = memchr(c->p, 0, c->left);
	if (!nul)
		return -1;
	*out = (const char *)c->p;
	c->left -= (size_t)(nul - c->p) + 1;
	c->p = nul + 1;
	return 0;
}

static int take_bytes(struct cursor *c, size_t n, const uint8_t **out)
{
	if (c->left < n)
		return -1;
	*out = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

/* A descriptor the host passed for the init's own use (5 and up). */
static int take_fd(struct cursor *c, struct plan *plan, int *out)
{
	uint32_t fd;
	if (take_u32(c, &fd) || fd < NSBOX_FD_FIRST_EXTRA || fd > 1024)
		return -1;
	*out = (int)fd;
	if (fd > plan->highest_fd)
		plan->highest_fd = fd;
	return 0;
}

static int add_map(struct id_map *maps, unsigned *n, struct cursor *c)
{
	struct id_map m;
	if (*n >= PLAN_MAX_MAPS || take_u32(c, &m.inside) || take_u32(c, &m.outside) || take_u32(c, &m.count))
		return -1;
	if (m.count == 0 || m.inside + (uint64_t)m.count > 0xffffffffu || m.outside + (uint64_t)m.count > 0xffffffffu)
		return -1;
	maps[(*n)++] = m;
	return 0;
}

static int absolute(const char *path)
{
	return path[0] == '/';
}

/* Decode one filesystem record into `op`; -1 when its payload does not match its type. */
static int parse_fs_op(uint16_t type, uint16_t flags, struct cursor *c, struct fs_op *op)
{
	op->op = type;
	op->flags = flags;
	op->tree_fd = -1;
	switch (type) {
	case OP_BIND:
		if (take_str(c, &op->source) || take_str(c, &op->target) || !absolute(op->source))
			return -1;
		break;
	case OP_TMPFS:
		if (take_u64(c, &op->size) || take_u32(c, &op->mode) || take_str(c, &op->target))
			return -1;
		break;
	case OP_PROC:
	case OP_DEVPTS:
		if (take_str(c, &op->target))
			return -1;
		break;
	case OP_DIR:
		if (take_u32(c, &op->mode) || take_str(c, &op->target))
			return -1;
		break;
	case OP_SYMLINK:
		if (take_str(c, &op->target) || take_str(c, &op->link_to) || !op->link_to[0])
			return -1;
		break;
	case OP_FILE:
		if (take_u32(c, &op->mode) || take_u32(c, &op->content_len) || take_str(c, &op->target) ||
		    take_bytes(c, op->content_len, &op->content))
			return -1;
		break;
	default:
		return -1;
	}
	if (op->mode > 07777 || !absolute(op->target) || op->target[1] == 0)
		return -1;
	return 0;
}

static int is_fs_op(uint16_t op)
{
	return op == OP_BIND || op == OP_TMPFS || op == OP_PROC || op == OP_DEVPTS || op == OP_DIR ||
	       op == OP_SYMLINK || op == OP_FILE;
}

/* First pass: check the framing and count what needs arrays. */
static int count_records(struct cursor c, uint32_t n_records, unsigned *n_fs, unsigned *n_args, unsigned *n_env,
			 unsigned *n_landlock, int *bad)
{
	for (uint32_t i = 0; i < n_records; i++) {
		uint16_t op, flags;
		uint32_t len;
		*bad = (int)i;
		if (take_u16(&c, &op) || take_u16(&c, &flags) || take_u32(&c, &len) || len > c.left)
			return -1;
		*n_fs += is_fs_op(op);
		*n_args += op == OP_ARG;
		*n_env += op == OP_ENV;
		*n_landlock += op == OP_LANDLOCK_PATH;
		c.p += len;
		c.left -= len;
	}
	*bad = -1;
	return c.left == 0 ? 0 : -1;
}

static int parse_record(struct plan *plan, uint16_t op, uint16_t flags, struct cursor *c, int index)
{
	uint32_t a, b;
	switch (op) {
	case OP_NAMESPACES:
		if (take_u32(c, &a) || (a & ~(uint32_t)NSB_CLONE_NS_MASK))
			return -1;
		plan->ns_flags = a;
		return 0;
	case OP_UID_MAP:
		return add_map(plan->uid_maps, &plan->n_uid_maps, c);
	case OP_GID_MAP:
		return add_map(plan->gid_maps, &plan->n_gid_maps, c);
	case OP_IDENTITY:
		if (take_u32(c, &plan->uid) || take_u32(c, &plan->gid))
			return -1;
		plan->has_identity = 1;
		return 0;
	case OP_HOSTNAME:
		return take_str(c, &plan->hostname) || strlen(plan->hostname) > 64 ? -1 : 0;
	case OP_ROOTFS:
		if (take_u64(c, &plan->root_size))
			return -1;
		plan->root_flags = flags;
		plan->has_rootfs = 1;
		return 0;
	case OP_RLIMIT: {
		struct rlimit_op *r = &plan->rlimits[plan->n_rlimits];
		if (plan->n_rlimits >= PLAN_MAX_RLIMITS || take_u32(c, &r->resource) || take_u64(c, &r->soft) ||
		    take_u64(c, &r->hard) || r->resource > 15 || r->soft > r->hard)
			return -1;
		r->index = index;
		plan->n_rlimits++;
		return 0;
	}
	case OP_CAPS:
		return take_u64(c, &plan->caps_keep);
	case OP_LOOPBACK:
		plan->loopback = 1;
		return 0;
	case OP_ENV: {
		const char *s;
		if (take_str(c, &s) || !strchr(s, '='))
			return -1;
		plan->envp[plan->envc++] = (char *)s;
		return 0;
	}
	case OP_ARG: {
		const char *s;
		if (take_str(c, &s))
			return -1;
		plan->argv[plan->argc++] = (char *)s;
		return 0;
	}
	case OP_EXEC:
		return take_str(c, &plan->exec_file) || take_str(c, &plan->exec_path) || !plan->exec_file[0] ? -1 : 0;
	case OP_CWD:
		return take_str(c, &plan->cwd) || !absolute(plan->cwd) ? -1 : 0;
	case OP_FD:
		if (plan->n_fds >= PLAN_MAX_FDS || take_u32(c, &a) || take_u32(c, &b) || a < NSBOX_FD_FIRST_EXTRA ||
		    a > 1024 || b > 1024)
			return -1;
		plan->fds[plan->n_fds].from = a;
		plan->fds[plan->n_fds].to = b;
		plan->n_fds++;
		if (a > plan->highest_fd)
			plan->highest_fd = a;
		return 0;
	case OP_HOST_PID:
		if (take_u32(c, &a) || a == 0 || a > 0x3fffffff)
			return -1;
		plan->host_pid = (int)a;
		return 0;
	case OP_PRIVILEGED:
		plan->privileged = 1;
		return 0;
	case OP_CLEAR_GROUPS:
		plan->clear_groups = 1;
		return 0;
	case OP_CGROUP_INTO:
		if (take_fd(c, plan, &plan->cgroup_into_fd))
			return -1;
		return 0;
	case OP_CGROUP_PROCS:
		if (plan->n_cgroup_procs >= sizeof(plan->cgroup_procs_fds) / sizeof(int) ||
		    take_fd(c, plan, &plan->cgroup_procs_fds[plan->n_cgroup_procs]))
			return -1;
		plan->n_cgroup_procs++;
		return 0;
	case OP_CPU_USAGE:
		if (take_fd(c, plan, &plan->cpu_usage_fd) || take_u32(c, &plan->cpu_usage_format) ||
		    (plan->cpu_usage_format != CPU_FORMAT_CPU_STAT && plan->cpu_usage_format != CPU_FORMAT_CPUACCT_USAGE))
			return -1;
		return 0;
	case OP_WARM:
		if (take_fd(c, plan, &plan->warm_fd))
			return -1;
		return 0;
	case OP_OOM_WATCH:
		if (take_fd(c, plan, &plan->oom_fd) || take_u32(c, &plan->oom_kind) ||
		    (plan->oom_kind != OOM_WATCH_MEMORY_EVENTS && plan->oom_kind != OOM_WATCH_EVENTFD))
			return -1;
		return 0;
	case OP_SECCOMP: {
		const uint8_t *prog;
		size_t len = c->left;
		if (len == 0 || len % 8 || len / 8 > 4096 || plan->seccomp_prog || take_bytes(c, len, &prog))
			return -1;
		plan->seccomp_prog = (uint8_t *)prog;
		plan->seccomp_len = (uint32_t)(len / 8);
		plan->seccomp_flags = flags;
		return 0;
	}
	case OP_LANDLOCK:
		if (plan->has_landlock || take_u64(c, &plan->landlock_fs) || take_u64(c, &plan->landlock_net) ||
		    take_u64(c, &plan->landlock_scoped))
			return -1;
		plan->has_landlock = 1;
		plan->landlock_index = index;
		return 0;
	case OP_LANDLOCK_PATH: {
		struct landlock_path *p = &plan->landlock_paths[plan->n_landlock_paths];
		if (take_u64(c, &p->allowed) || take_str(c, &p->path) || !absolute(p->path))
			return -1;
		p->flags = flags;
		p->index = index;
		plan->n_landlock_paths++;
		return 0;
	}
	case OP_LANDLOCK_PORT: {
		struct landlock_port *p = &plan->landlock_ports[plan->n_landlock_ports];
		if (plan->n_landlock_ports >= sizeof(plan->landlock_ports) / sizeof(plan->landlock_ports[0]) ||
		    take_u64(c, &p->allowed) || take_u64(c, &p->port) || p->port > 65535)
			return -1;
		plan->n_landlock_ports++;
		return 0;
	}
	case OP_LIMIT: {
		uint64_t ns;
		if (take_u32(c, &a) || take_u64(c, &ns) || ns == 0)
			return -1;
		if (a == LIMIT_CPU)
			plan->cpu_limit_ns = ns;
		else if (a == LIMIT_WALL)
			plan->wall_limit_ns = ns;
		else
			return -1;
		return 0;
	}
	default:
		if (is_fs_op(op)) {
			struct fs_op *fs = &plan->fs_ops[plan->n_fs_ops];
			if (parse_fs_op(op, flags, c, fs))
				return -1;
			fs->index = index;
			plan->n_fs_ops++;
			return 0;
		}
		return -1;
	}
}

int plan_parse(const uint8_t *buf, size_t len, struct plan *plan, const char **why, int *bad_record)
{
	struct cursor c = { buf, len };
	uint32_t magic, version, n_records;
	unsigned n_fs = 0, n_args = 0, n_env = 0, n_landlock = 0;

	memset(plan, 0, sizeof(*plan));
	plan->cgroup_into_fd = plan->cpu_usage_fd = plan->oom_fd = plan->warm_fd = -1;
	*bad_record = -1;
	if (len > NSBOX_PLAN_MAX_BYTES || take_u32(&c, &magic) || take_u32(&c, &version) || take_u32(&c, &n_records)) {
		*why = "truncated header";
		return -1;
	}
	if (magic != NSBOX_PLAN_MAGIC || version != NSBOX_PLAN_VERSION) {
		*why = "not an nsbox plan of this version";
		return -1;
	}
	if (n_records > NSBOX_PLAN_MAX_RECORDS || count_records(c, n_records, &n_fs, &n_args, &n_env, &n_landlock, bad_record)) {
		*why = "record framing is broken";
		return -1;
	}
	plan->fs_ops = calloc(n_fs + 1, sizeof(*plan->fs_ops));
	plan->argv = calloc(n_args + 1, sizeof(char *));
	plan->envp = calloc(n_env + 1, sizeof(char *));
	plan->landlock_paths = calloc(n_landlock + 1, sizeof(*plan->landlock_paths));
	if (!plan->fs_ops || !plan->argv || !plan->envp || !plan->landlock_paths) {
		*why = "out of memory";
		plan_free(plan);
		return -1;
	}
	for (uint32_t i = 0; i < n_records; i++) {
		uint16_t op = 0, flags = 0;
		uint32_t rec_len = 0;
		struct cursor rec;
		/* Framing was checked by count_records, so these cannot run short. */
		take_u16(&c, &op);
		take_u16(&c, &flags);
		take_u32(&c, &rec_len);
		rec.p = c.p;
		rec.left = rec_len;
		c.p += rec_len;
		c.left -= rec_len;
		if (parse_record(plan, op, flags, &rec, (int)i) || rec.left != 0) {
			*why = "a record does not match its type";
			*bad_record = (int)i;
			plan_free(plan);
			return -1;
		}
	}
	if (!plan->exec_file || plan->argc == 0 || !plan->has_identity || plan->host_pid == 0) {
		*why = "the plan lacks exec, argv, identity or host pid";
		plan_free(plan);
		return -1;
	}
	if ((plan->ns_flags & NSB_CLONE_NEWUSER) && (plan->n_uid_maps == 0 || plan->n_gid_maps == 0)) {
		*why = "a user namespace needs uid and gid maps";
		plan_free(plan);
		return -1;
	}
	if ((plan->n_landlock_paths || plan->n_landlock_ports) && !plan->has_landlock) {
		*why = "Landlock rules need a ruleset record";
		plan_free(plan);
		return -1;
	}
	if (plan->cpu_limit_ns && plan->cpu_usage_fd < 0) {
		*why = "a CPU time limit needs the run's CPU usage";
		plan_free(plan);
		return -1;
	}
	if (plan->n_fs_ops && !(plan->ns_flags & NSB_CLONE_NEWNS && plan->has_rootfs)) {
		*why = "mounts need a mount namespace and a root filesystem";
		plan_free(plan);
		return -1;
	}
	return 0;
}

void plan_free(struct plan *plan)
{
	free(plan->fs_ops);
	free(plan->argv);
	free(plan->envp);
	free(plan->landlock_paths);
	plan->landlock_paths = NULL;
	plan->fs_ops = NULL;
	plan->argv = plan->envp = NULL;
}

uint8_t *plan_load(int fd, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return NULL;
	if (st.st_size <= 0 || (uint64_t)st.st_size > NSBOX_PLAN_MAX_BYTES) {
		errno = EFBIG;
		return NULL;
	}
	uint8_t *buf = malloc((size_t)st.st_size);
	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	size_t done = 0;
	while (done < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + done, (size_t)st.st_size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			free(buf);
			errno = err;
			return NULL;
		}
		done += (size_t)n;
	}
	*len = done;
	return buf;
}
