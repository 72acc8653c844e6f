#include "supervise.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"
#include "enforce.h"
#include "status.h"

static volatile sig_atomic_t target_pid;
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
	if (target_pid > 0)
		kill(target_pid, sig);
	else
		pending_signal = sig;
}

void forward_install(void)
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

void forward_block(int how)
{
	sigset_t set;
	sigemptyset(&set);
	for (unsigned i = 0; i < N_FORWARDED; i++)
		sigaddset(&set, forwarded_signals[i]);
	sigprocmask(how, &set, NULL);
}

void forward_to(pid_t pid)
{
	forward_block(SIG_BLOCK);
	target_pid = pid;
	if (pid > 0 && pending_signal) {
		kill(pid, pending_signal);
		pending_signal = 0;
	}
	forward_block(SIG_UNBLOCK);
}

void forward_forget(void)
{
	pending_signal = 0;
}

static void on_sigchld(int sig)
{
	(void)sig; /* only interrupts ppoll; children are reaped in the loop */
}

void supervise_sigchld(sigset_t *wait_mask)
{
	sigset_t chld;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	/* SIGCHLD stays blocked except inside ppoll, so no exit can slip between a reap and the wait. */
	if (sigaction(SIGCHLD, &sa, NULL) < 0 || sigprocmask(SIG_BLOCK, &chld, wait_mask) < 0)
		fail(STEP_SIGNALS, -1, 0, errno);
	sigdelset(wait_mask, SIGCHLD);
}

int exit_code_for(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int control_says_kill(int control)
{
	char cmd;
	ssize_t n = recv(control, &cmd, 1, MSG_DONTWAIT);
	if (n == 0)
		_exit(1);
	return n == 1 && cmd == 'K';
}

/*
 * Read what the payload wrote to the exec channel before exec: an 8-byte timestamp and, if a
 * step failed, a status record. EOF after the timestamp alone means execve succeeded; EOF
 * with nothing at all means the payload died before exec (a signal from the host).
 * Meanwhile a seccomp listener (a filter that refuses the payload's own execve must end the run,
 * not hang it) and a warm sandbox's control socket (a kill before the job's execve) are watched.
 */
static enum exec_outcome await_exec(int fd, int listener, int control, pid_t payload, uint64_t *t_ns, struct nsbox_status *failure)
{
	uint8_t buf[sizeof(uint64_t) + sizeof(struct nsbox_status)];
	size_t got = 0;
	int refused = 0;
	while (got < sizeof(buf)) {
		if (listener >= 0 || control >= 0) {
			struct pollfd p[3] = { { .fd = fd, .events = POLLIN }, { .fd = listener, .events = POLLIN }, { .fd = control, .events = POLLIN } };
			if (poll(p, 3, -1) < 0 && errno == EINTR)
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
			if (p[2].revents && control_says_kill(control))
				kill(payload, SIGKILL); /* its channel then ends: read on to the EOF */
			if (!(p[0].revents))
				continue;
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

/* Reap every child that has ended; true once the payload is among them. */
static int reap(pid_t payload, struct payload_end *end)
{
	int status, found = 0;
	struct rusage usage;
	pid_t pid;
	while ((pid = wait4(-1, &status, WNOHANG, &usage)) > 0) {
		if (usage.ru_maxrss > end->max_rss_kb)
			end->max_rss_kb = usage.ru_maxrss;
		if (pid == payload) {
			end->status = status;
			found = 1;
		}
	}
	return found;
}

void supervise_payload(const struct plan *plan, pid_t pid, int channel, int control, const sigset_t *wait_mask,
		       struct payload_end *end)
{
	memset(end, 0, sizeof(*end));
	int listener = confine_take_listener(plan, channel, pid);
	uint64_t exec_ns = 0;
	struct nsbox_status failure;
	end->outcome = await_exec(channel, listener, control, pid, &exec_ns, &failure);
	close(channel);
	uint64_t cpu_at_exec = enforce_cpu_ns(plan);
	if (end->outcome == EXEC_STARTED)
		status_execed(exec_ns, cpu_at_exec);
	else if (end->outcome == EXEC_FAILED)
		status_send(&failure);

	struct enforcer enforcer;
	enforce_start(&enforcer, plan, pid, end->outcome == EXEC_STARTED ? exec_ns : monotonic_ns(), cpu_at_exec);
	enforcer.listener = listener;
	enforcer.control = control;
	while (!reap(pid, end))
		enforce_wait(&enforcer, wait_mask);
	end->end_ns = monotonic_ns();
	enforce_stop(&enforcer);
}
