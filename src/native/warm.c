#include "warm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "mounts.h"
#include "payload.h"
#include "status.h"
#include "supervise.h"
#include "sys.h"

/* PID 1's own descriptors live here, above any number a job's layout uses (5 + 64 extras). */
#define OWN_FD_BASE 100
/* Where received descriptors wait before they move to their numbers. */
#define PARK_FD_BASE 200

static int move_high(int fd)
{
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, OWN_FD_BASE);
	if (moved < 0)
		_exit(1);
	close(fd);
	return moved;
}

static void tell_host(int control, char byte)
{
	if (fdpass_send(control, byte, NULL, 0) < 0)
		_exit(1); /* the host is gone */
}

static void close_all(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* FNV-1a over one field of a mountinfo line. */
static uint64_t hash_field(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return (h ^ ' ') * 0x100000001b3ull;
}

/*
 * A mountinfo line without the numbers that change when a tmpfs is replaced (mount ids, device):
 * root, mount point, mount options, then after "-" the type, source and superblock options.
 */
static uint64_t hash_line(const char *line, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t field = 0, start = 0;
	int after_dash = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		const char *f = line + start;
		size_t flen = i - start;
		if (after_dash || field == 3 || field == 4 || field == 5)
			h = hash_field(h, f, flen);
		if (field > 5 && flen == 1 && f[0] == '-')
			after_dash = 1;
		field++;
		start = i + 1;
	}
	return h;
}

/* Order-free digest of the mount table: lines may come in another order once a tmpfs is replaced. */
static int mount_signature(int mountinfo, uint64_t *out)
{
	static char buf[4096], line[8192];
	size_t line_len = 0;
	uint64_t sum = 0, count = 0;
	if (lseek(mountinfo, 0, SEEK_SET) < 0)
		return -1;
	for (;;) {
		ssize_t n = read(mountinfo, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (line_len < sizeof(line))
					line[line_len++] = buf[i];
				continue;
			}
			sum += hash_line(line, line_len);
			count++;
			line_len = 0;
		}
	}
	*out = sum ^ (count * 0x9e3779b97f4a7c15ull);
	return 0;
}

/*
 * The next job's process, forked ahead of time: it moves itself into the job's cgroups (writing 0,
 * "this process", to cgroup.procs files the host opened; the kernel checks the opener's rights),
 * says so, then waits for the job's descriptors and becomes the payload.
 */
__attribute__((noreturn)) static void runner(int channel, const int *procs, int n_procs)
{
	for (int i = 0; i < n_procs; i++) {
		if (write(procs[i], "0", 1) != 1)
			_exit(1);
		close(procs[i]);
	}
	int high = fcntl(channel, F_DUPFD_CLOEXEC, PARK_FD_BASE + FDPASS_MAX);
	close(channel);
	channel = high;
	if (channel < 0 || write(channel, "j", 1) != 1)
		_exit(1);
	int fds[FDPASS_MAX];
	char byte;
	int count = fdpass_recv(channel, &byte, fds, FDPASS_MAX);
	if (count < NSBOX_FD_FIRST_EXTRA || byte != 'j' || fdpass_place(fds, count, PARK_FD_BASE, 0) < 0)
		_exit(1);
	size_t len;
	struct plan plan;
	const char *why;
	int bad;
	uint8_t *buf = plan_load(NSBOX_FD_PLAN, &len);
	if (!buf || plan_parse(buf, len, &plan, &why, &bad) < 0)
		_exit(1); /* PID 1 parsed the same plan first and reports it */
	plan.fresh_ipc = (plan.ns_flags & NSB_CLONE_NEWIPC) != 0;
	payload_run(&plan, channel);
}

struct parked {
	pid_t pid;
	int channel; /* PID 1's end of the socket to the runner: job descriptors out, exec report back */
};

static int park_runner(int control, int mountinfo, const int *procs, int n_procs, struct parked *p)
{
	int ch[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ch) < 0)
		return -1;
	forward_block(SIG_BLOCK);
	pid_t pid = fork();
	if (pid == 0) {
		close(ch[0]);
		close(control);
		close(mountinfo);
		runner(ch[1], procs, n_procs);
	}
	forward_block(SIG_UNBLOCK);
	close(ch[1]);
	char joined = 0;
	ssize_t n;
	while (pid > 0 && (n = read(ch[0], &joined, 1)) < 0 && errno == EINTR) {
	}
	if (pid < 0 || joined != 'j') {
		close(ch[0]);
		return -1;
	}
	p->pid = pid;
	p->channel = move_high(ch[0]); /* the job's descriptors are placed at 3.. shortly */
	return 0;
}

/* Everything the job left (daemons, orphans) dies and is reaped; the largest RSS seen is kept. */
static void end_everything(long *max_rss_kb)
{
	for (;;) {
		int status;
		struct rusage usage;
		kill(-1, SIGKILL);
		pid_t pid = wait4(-1, &status, 0, &usage);
		if (pid < 0 && errno == ECHILD)
			return;
		if (pid > 0 && usage.ru_maxrss > *max_rss_kb)
			*max_rss_kb = usage.ru_maxrss;
	}
}

static void subtract_time(struct timeval *a, const struct timeval *b)
{
	long long us = ((long long)a->tv_sec - b->tv_sec) * 1000000 + (a->tv_usec - b->tv_usec);
	if (us < 0)
		us = 0;
	a->tv_sec = (time_t)(us / 1000000);
	a->tv_usec = (suseconds_t)(us % 1000000);
}

/* One job, from its descriptors to its exit record. The runner is spent afterwards. */
static void run_job(struct parked *p, int control, int *fds, int count, const sigset_t *wait_mask)
{
	/* Signals from here on are for this job; one that arrived between jobs was for the one before. */
	forward_forget();
	if (count < NSBOX_FD_FIRST_EXTRA || fdpass_send(p->channel, 'j', fds, count) < 0) {
		close_all(fds, count);
		_exit(1);
	}
	/* PID 1 keeps the plan, the status pipe and the extra descriptors, at the numbers the plan names. */
	close_all(fds, NSBOX_FD_PLAN);
	if (fdpass_place(fds + NSBOX_FD_PLAN, count - NSBOX_FD_PLAN, PARK_FD_BASE, NSBOX_FD_PLAN) < 0)
		_exit(1);

	size_t len = 0;
	struct plan job;
	const char *why;
	int bad = -1, parsed = 0;
	uint8_t *buf = plan_load(NSBOX_FD_PLAN, &len);
	if (!buf)
		status_failed(STEP_PLAN_READ, -1, 0, errno);
	else if (plan_parse(buf, len, &job, &why, &bad) < 0)
		status_failed(STEP_PLAN_PARSE, bad, 0, EINVAL);
	else
		parsed = 1;
	struct payload_end end;
	memset(&end, 0, sizeof(end));
	end.outcome = EXEC_FAILED;
	struct rusage before, after;
	getrusage(RUSAGE_CHILDREN, &before);
	if (parsed) {
		/* As in a one-shot sandbox: descriptors passed to the payload stay with the payload only. */
		for (unsigned i = 0; i < job.n_fds; i++)
			if (job.fds[i].from < OWN_FD_BASE) /* never one of PID 1's own */
				close((int)job.fds[i].from);
		forward_to(p->pid);
		supervise_payload(&job, p->pid, p->channel, control, wait_mask, &end);
	} else {
		close(p->channel);
	}
	end_everything(&end.max_rss_kb);
	forward_to(0);
	getrusage(RUSAGE_CHILDREN, &after);
	subtract_time(&after.ru_utime, &before.ru_utime);
	subtract_time(&after.ru_stime, &before.ru_stime);
	after.ru_maxrss = end.max_rss_kb;
	if (end.outcome != EXEC_FAILED)
		status_exited(end.status, end.end_ns, &after);
	if (parsed)
		plan_free(&job);
	free(buf);
	/* The job's status pipe and cgroup descriptors close here: the host sees its end. */
	nsb_close_range(NSBOX_FD_PLAN, OWN_FD_BASE - 1, 0);
	p->pid = 0;
	p->channel = -1;
}

/* The sandbox's own /proc/self/mountinfo: the host only warms policies that mount proc. */
static int open_mountinfo(const struct plan *plan)
{
	for (unsigned i = 0; i < plan->n_fs_ops; i++) {
		const struct fs_op *op = &plan->fs_ops[i];
		char path[4096];
		if (op->op != OP_PROC || snprintf(path, sizeof(path), "%s/self/mountinfo", op->target) >= (int)sizeof(path))
			continue;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	errno = ENOENT;
	return -1;
}

void warm_serve(const struct plan *plan)
{
	int control = move_high(plan->warm_fd);
	int mountinfo = open_mountinfo(plan);
	if (mountinfo < 0)
		fail(STEP_MOUNT, -1, 0, errno);
	mountinfo = move_high(mountinfo);
	sigset_t wait_mask;
	supervise_sigchld(&wait_mask);
	uint64_t built;
	if (mount_signature(mountinfo, &built) < 0)
		fail(STEP_MOUNT, -1, 0, errno);
	/* Setup is over: the build's plan and status pipe are done with. */
	nsb_close_range(NSBOX_FD_PLAN, OWN_FD_BASE - 1, 0);
	tell_host(control, 'R');

	struct parked next = { .pid = 0, .channel = -1 };
	for (;;) {
		int fds[FDPASS_MAX];
		char cmd;
		int count = fdpass_recv(control, &cmd, fds, FDPASS_MAX);
		if (count < 0)
			_exit(0); /* the host closed the sandbox, or is gone */
		if (cmd == 'p' && next.pid == 0) {
			int parked = park_runner(control, mountinfo, fds, count, &next);
			close_all(fds, count);
			if (parked < 0)
				_exit(1);
			tell_host(control, 'P');
		} else if (cmd == 'j' && next.pid > 0) {
			run_job(&next, control, fds, count, &wait_mask);
			uint64_t now;
			/* Reused only if clean: fresh scratch filesystems and the mount table as built. */
			if (mounts_reset_scratch(plan) < 0 || mount_signature(mountinfo, &now) < 0 || now != built)
				_exit(1);
			tell_host(control, 'R');
		} else if (cmd == 'K' && count == 0) {
			/* a kill that arrived after its job had ended */
		} else {
			close_all(fds, count);
			_exit(1);
		}
	}
}
