/* Limits PID 1 enforces itself, from kernel events and a timer rather than polling the host. */
#ifndef NSBOX_ENFORCE_H
#define NSBOX_ENFORCE_H

#include <stdint.h>
#include <sys/types.h>

#include "plan.h"

struct enforcer {
	const struct plan *plan;
	pid_t payload;
	uint64_t exec_ns;
	uint64_t cpu_at_exec_ns;
	uint64_t oom_kills;
	int timer_fd;
	int listener;  /* seccomp notification listener, or -1 */
	int control;   /* a warm sandbox's socket to the host ('K': end the run), or -1 */
	int limit_hit; /* LIMIT_* once one has ended the run */
};

/* The run's CPU time in ns from the cgroup file the host passed, or 0 without one. */
uint64_t enforce_cpu_ns(const struct plan *plan);

/* Prepare after the payload's execve: timer and baselines. Fails the run on error. */
void enforce_start(struct enforcer *e, const struct plan *plan, pid_t payload, uint64_t exec_ns, uint64_t cpu_at_exec_ns);

/*
 * Wait until something happens: a child changed state (SIGCHLD, unblocked only while waiting),
 * a limit's deadline, or an OOM notification. Enforces what is due before returning.
 */
void enforce_wait(struct enforcer *e, const sigset_t *wait_mask);

/* Release what enforce_start took (the timer) and the listener: a warm sandbox runs many payloads. */
void enforce_stop(struct enforcer *e);

#endif
