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
#include "sys.h"
#include "zygote.h"

static volatile sig_atomic_t payload_pid;
/* A signal that arrived before the payload existed; delivered to it once forked. */
static volatile sig_atomic_t pending_signal;

/*
 * Every signal the host may send on to the payload (src/child.ts keeps the same list). Signals the
 * kernel raises for faults (SEGV, BUS, ILL, FPE, TRAP, SYS) are left at their defaults so a real
 * fault in the init still ends it.
 */
static const int forwarded_signals[] = { SIGHUP, SIGINT,  SIGQUIT, SIGABRT,   SIGUSR1, SIGUSR2,  SIGALRM,
					 SIGTERM, SIGCONT, SIGURG,  SIGXCPU,   SIGXFSZ, SIGVTALRM, SIGPROF,
					 SIGWINCH, SIGIO,  SIGPWR };
#define N_FORWARDED (sizeof(forwarded_signals) / sizeof(forwarded_signals[0]))

static void forward_signal(int sig)
{
	if (payload_pid > 0)
		kill(payload_pid, sig);
	else
		pending_signal = sig;
}

static uint8_t *read_plan(size_t *len)
{
	struct stat st;
	if (fstat(NSBOX_FD_PLAN, &st) < 0)
		fail(STEP_PLAN_READ, -1, 0, errno);
	if (st.st_size <= 0 || (uint64_t)st.st_size > NSBOX_PLAN_MAX_BYTES)
		fail(STEP_PLAN_READ, -1, 0, EFBIG);
	uint8_t *buf = malloc((size_t)st.st_size);
	if (!buf)
		fail(STEP_PLAN_READ, -1, 0, ENOMEM);
	size_t done = 0;
	while (done < (size_t)st.st_size) {
		ssize_t n = pread(NSBOX_FD_PLAN, buf + done, (size_t)st.st_size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail(STEP_PLAN_READ, -1, 0, n < 0 ? errno : EIO);
		done += (size_t)n;
	}
	*len = done;
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

/*
 * Installed in the first stage, before clone, so PID 1 is born with them: the kernel drops
 * signals from the host to a PID namespace's init that has no handler.
 */
static void install_forwarders(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < N_FORWARDED; i++)
		if (sigaction(forwarded_signals[i], &sa, NULL) < 0)
			fail(STEP_SIGNALS, -1, 0, errno);
	/* The host may close the status pipe first; PID 1 must still reap and exit cleanly. */
	signal(SIGPIPE, SIG_IGN);
}

static void block_forwarded(int how)
{
	sigset_t set;
	sigemptyset(&set);
	for (unsigned i = 0; i < N_FORWARDED; i++)
		sigaddset(&set, forwarded_signals[i]);
	sigprocmask(how, &set, NULL);
}

enum exec_outcome { EXEC_STARTED, EXEC_FAILED, EXEC_VANISHED };

/*
 * Read what the payload wrote to the exec pipe before exec: an 8-byte timestamp and, if a
 * step failed, a status record. EOF after the timestamp alone means execve succeeded; EOF
 * with nothing at all means the payload died before exec (a signal from the host).
 */
static enum exec_outcome await_exec(int fd, int listener, pid_t payload, uint64_t *t_ns, struct nsbox_status *failure)
{
	uint8_t buf[sizeof(uint64_t) + sizeof(struct nsbox_status)];
	size_t got = 0;
	int refused = 0;
	while (got < sizeof(buf)) {
		/* A filter that refuses something the payload does before execve (execve itself, say) must end the run, not hang it. */
		if (listener >= 0) {
			struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = listener, .events = POLLIN } };
			if (poll(p, 2, -1) < 0 && errno == EINTR)
				continue;
			int32_t nr;
			uint32_t arch;
			if ((p[1].revents & POLLIN) && confine_receive(listener, &nr, &arch) == 0) {
				status_event(ST_VIOLATION, nr, arch, 0);
				kill(payload, SIGKILL);
				listener = -1;
				refused = 1; /* whatever the payload wrote, its execve did not happen */
				continue;
			}
			if (p[1].revents && !(p[1].revents & POLLIN))
				listener = -1;
		}
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == 0 || refused)
		return EXEC_VANISHED;
	if (got == sizeof(uint64_t)) {
		memcpy(t_ns, buf, sizeof(*t_ns));
		return EXEC_STARTED;
	}
	if (got >= sizeof(struct nsbox_status)) {
		memcpy(failure, buf + got - sizeof(*failure), sizeof(*failure));
		return EXEC_FAILED;
	}
	/* A timestamp and a torn record: the payload was killed while reporting a failure. */
	return EXEC_VANISHED;
}

static int exit_code_for(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void on_sigchld(int sig)
{
	(void)sig; /* only interrupts ppoll; children are reaped in the loop */
}

/* Reap every child that has ended; true once the payload is among them. */
static int reap(pid_t payload, int *payload_status)
{
	int status, found = 0;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == payload) {
			*payload_status = status;
			found = 1;
		}
	}
	return found;
}

/* PID 1's life after setup: start the payload, enforce limits, reap every child, report the payload's end. */
__attribute__((noreturn)) static void supervise(const struct plan *plan)
{
	int exec_pipe[2];
	sigset_t chld, wait_mask;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	/* SIGCHLD stays blocked except inside ppoll, so no exit can slip between a reap and the wait. */
	if (sigaction(SIGCHLD, &sa, NULL) < 0 || sigprocmask(SIG_BLOCK, &chld, &wait_mask) < 0)
		fail(STEP_SIGNALS, -1, 0, errno);
	sigdelset(&wait_mask, SIGCHLD);
	/* A socket, not a pipe: the seccomp listener handshake goes both ways (src/native/confine.c). */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, exec_pipe) < 0)
		fail(STEP_FORK, -1, 0, errno);
	block_forwarded(SIG_BLOCK);
	pid_t pid = fork();
	if (pid < 0)
		fail(STEP_FORK, -1, 0, errno);
	if (pid == 0) {
		close(exec_pipe[0]);
		payload_run((struct plan *)plan, exec_pipe[1]);
	}
	payload_pid = pid;
	if (pending_signal)
		kill(pid, pending_signal);
	block_forwarded(SIG_UNBLOCK);
	close(exec_pipe[1]);

	int listener = confine_take_listener(plan, exec_pipe[0], pid);
	uint64_t exec_ns = 0;
	struct nsbox_status failure;
	enum exec_outcome outcome = await_exec(exec_pipe[0], listener, pid, &exec_ns, &failure);
	close(exec_pipe[0]);
	uint64_t cpu_at_exec = enforce_cpu_ns(plan);
	if (outcome == EXEC_STARTED)
		status_execed(exec_ns, cpu_at_exec);
	else if (outcome == EXEC_FAILED)
		status_send(&failure);

	struct enforcer enforcer;
	enforce_start(&enforcer, plan, pid, outcome == EXEC_STARTED ? exec_ns : monotonic_ns(), cpu_at_exec);
	enforcer.listener = listener;
	int status = 0;
	while (!reap(pid, &status))
		enforce_wait(&enforcer, &wait_mask);
	uint64_t end_ns = monotonic_ns();
	if (outcome == EXEC_FAILED)
		_exit(125);
	struct rusage usage;
	getrusage(RUSAGE_CHILDREN, &usage);
	status_exited(status, end_ns, &usage);
	/* Leaving takes the whole PID namespace with us: nothing the payload started survives. */
	_exit(exit_code_for(status));
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
	install_forwarders();
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
