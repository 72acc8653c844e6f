/*
 * nsbox-init: executes the plan the host compiled. One pass, in this order:
 *
 * first stage (host namespaces, child of the host)
 *   read the plan -> close stray fds -> die with the host -> (privileged) open bind sources
 *   -> clone3 into new namespaces, the child reparented to the host (CLONE_PARENT)
 *   -> write its uid/gid maps -> tell the host its pid -> release it -> exit
 * sandbox PID 1
 *   die with the host -> wait for the maps -> become the inside ids -> not dumpable
 *   -> hostname -> loopback -> filesystem view and pivot_root -> fork the payload
 *   -> forward signals, reap everything, report the payload's exit, exit with it
 *
 * The host decides everything; this program only carries it out and reports which
 * step failed with which errno. It is single-threaded, so the code after each clone
 * runs in a plain copy of this process.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"
#include "enforce.h"
#include "identity.h"
#include "mounts.h"
#include "network.h"
#include "payload.h"
#include "plan.h"
#include "status.h"
#include "supervise.h"
#include "sys.h"
#include "warm.h"
#include "zygote.h"

static uint8_t *read_plan(size_t *len)
{
	uint8_t *buf = plan_load(NSBOX_FD_PLAN, len);
	if (!buf)
		fail(STEP_PLAN_READ, -1, 0, errno);
	return buf;
}

/* Only the plan, the status pipe and the descriptors the plan passes survive into the init. */
static void close_stray_fds(const struct plan *plan)
{
	unsigned highest = plan->highest_fd > NSBOX_FD_STATUS ? plan->highest_fd : NSBOX_FD_STATUS;
	if (nsb_close_range(highest + 1, ~0U, 0) < 0 || nsb_close_range(3, highest, NSB_CLOSE_RANGE_CLOEXEC) < 0)
		fail(STEP_FDS, -1, 0, errno);
}

/*
 * Arm PR_SET_PDEATHSIG, then make sure the host did not die before it was armed. Called again
 * after every uid/gid change, because the kernel clears the parent-death signal on those.
 */
static void die_with_host(int host_pidfd)
{
	if (prctl(NSB_PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		fail(STEP_PARENT, -1, 0, errno);
	struct pollfd p = { .fd = host_pidfd, .events = POLLIN };
	if (poll(&p, 1, 0) != 0)
		_exit(1);
}

/* PID 1's life after setup: start the payload, watch it, report its end, and take the namespace down with us. */
__attribute__((noreturn)) static void supervise(const struct plan *plan)
{
	int channel[2];
	sigset_t wait_mask;
	supervise_sigchld(&wait_mask);
	/* A socket, not a pipe: the seccomp listener handshake goes both ways (src/native/confine.c). */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) < 0)
		fail(STEP_FORK, -1, 0, errno);
	forward_block(SIG_BLOCK);
	pid_t pid = fork();
	if (pid < 0)
		fail(STEP_FORK, -1, 0, errno);
	if (pid == 0) {
		close(channel[0]);
		payload_run((struct plan *)plan, channel[1]);
	}
	forward_block(SIG_UNBLOCK);
	forward_to(pid);
	close(channel[1]);
	/* The payload holds its own copies of the passed descriptors; PID 1 keeps none, so a peer sees EOF when the payload closes them. */
	for (unsigned i = 0; i < plan->n_fds; i++)
		close((int)plan->fds[i].from);

	struct payload_end end;
	supervise_payload(plan, pid, channel[0], -1, &wait_mask, &end);
	if (end.outcome == EXEC_FAILED)
		_exit(125);
	struct rusage usage;
	getrusage(RUSAGE_CHILDREN, &usage);
	status_exited(end.status, end.end_ns, &usage);
	/* Leaving takes the whole PID namespace with us: nothing the payload started survives. */
	_exit(exit_code_for(end.status));
}

__attribute__((noreturn)) static void sandbox_pid1(const struct plan *plan, int sync_fd, int host_pidfd)
{
	die_with_host(host_pidfd);
	char go;
	ssize_t n;
	while ((n = read(sync_fd, &go, 1)) < 0 && errno == EINTR) {
	}
	if (n != 1)
		_exit(1); /* the first stage failed and has reported why */
	close(sync_fd);

	if (plan->ns_flags & NSB_CLONE_NEWUSER) {
		identity_enter(plan);
		die_with_host(host_pidfd);
	}
	close(host_pidfd);
	/* Keeps the payload (same uid) from ptracing PID 1 or opening its /proc files. */
	if (prctl(NSB_PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail(STEP_DUMPABLE, -1, 0, errno);
	umask(0);
	if (plan->hostname && (plan->ns_flags & NSB_CLONE_NEWUTS) && sethostname(plan->hostname, strlen(plan->hostname)) < 0)
		fail(STEP_HOSTNAME, -1, 0, errno);
	if (plan->loopback && network_loopback_up() < 0)
		fail(STEP_LOOPBACK, -1, 0, errno);
	if (plan->has_rootfs)
		mounts_build_root((struct plan *)plan);
	if (plan->warm_fd >= 0)
		warm_serve(plan);
	supervise(plan);
}

int main(int argc, char **argv)
{
	size_t len;
	struct plan plan;
	const char *why;
	int bad;

	/* Executed from /proc/self/fd/N, the kernel names us "N"; ps and /proc should say what we are. */
	prctl(PR_SET_NAME, "nsbox-init", 0, 0, 0);
	if (argc == 3 && strcmp(argv[1], "zygote") == 0)
		zygote_wait((unsigned)atoi(argv[2]));
	uint8_t *buf = read_plan(&len);
	if (plan_parse(buf, len, &plan, &why, &bad) < 0)
		fail(STEP_PLAN_PARSE, bad, 0, EINVAL);
	close_stray_fds(&plan);

	if (prctl(NSB_PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != plan.host_pid)
		fail(STEP_PARENT, -1, 0, ESRCH);
	int host_pidfd = nsb_pidfd_open(plan.host_pid);
	if (host_pidfd < 0)
		fail(STEP_PARENT, -1, 0, errno);

	/* A root host's supplementary groups (often gid 0) must not follow the payload in. */
	if (plan.clear_groups && setgroups(0, NULL) < 0)
		fail(STEP_CLEAR_GROUPS, -1, 0, errno);
	if (plan.privileged && plan.has_rootfs)
		mounts_open_sources(&plan);

	/* cgroup v1 has no CLONE_INTO_CGROUP: move this stage in, so PID 1 is born inside. */
	for (unsigned i = 0; i < plan.n_cgroup_procs; i++) {
		char pid_text[16];
		int n = snprintf(pid_text, sizeof(pid_text), "%d", (int)getpid());
		if (n <= 0 || write(plan.cgroup_procs_fds[i], pid_text, (size_t)n) != n)
			fail(STEP_CGROUP, -1, 0, errno);
		close(plan.cgroup_procs_fds[i]);
	}
	forward_install();
	int sync_pipe[2];
	if (pipe2(sync_pipe, O_CLOEXEC) < 0)
		fail(STEP_CLONE, -1, 0, errno);
	struct nsb_clone_args args;
	memset(&args, 0, sizeof(args));
	/* With CLONE_PARENT the child inherits our exit signal (SIGCHLD to the host); clone3 wants 0 here. */
	args.flags = plan.ns_flags | NSB_CLONE_PARENT;
	args.exit_signal = 0;
	if (plan.cgroup_into_fd >= 0) {
		args.flags |= NSB_CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)plan.cgroup_into_fd;
	}
	long pid = nsb_clone3(&args);
	if (pid < 0)
		fail(plan.cgroup_into_fd >= 0 && errno != EPERM && errno != ENOSPC ? STEP_CGROUP : STEP_CLONE, -1, 0, errno);
	if (pid == 0) {
		close(sync_pipe[1]);
		sandbox_pid1(&plan, sync_pipe[0], host_pidfd);
	}
	close(sync_pipe[0]);
	/* The host learns the pid first, so it can reap the child whatever happens next. */
	status_stage1((int)pid);
	if (plan.ns_flags & NSB_CLONE_NEWUSER)
		identity_write_maps((pid_t)pid, &plan);
	if (write(sync_pipe[1], "1", 1) != 1)
		fail(STEP_SYNC, -1, 0, errno);
	_exit(0);
}
