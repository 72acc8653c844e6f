/*
 * PID 1's watch over one payload: signals forwarded to it, its execve awaited, limits enforced
 * until it ends. Shared by the one-shot sandbox (init.c) and the warm sandbox's jobs (warm.c).
 */
#ifndef NSBOX_SUPERVISE_H
#define NSBOX_SUPERVISE_H

#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "plan.h"

/* Installed before clone, so PID 1 is born with them (the kernel drops unhandled signals to a namespace's init). */
void forward_install(void);
/* Block or unblock the forwarded signals (SIG_BLOCK / SIG_UNBLOCK). */
void forward_block(int how);
/*
 * Where forwarded signals go from now on. 0: nowhere yet; a signal that arrives meanwhile is kept and delivered
 * once a pid is given.
 */
void forward_to(pid_t pid);
/* Drop a kept signal: a warm sandbox's new job must not get one that was meant for the job before. */
void forward_forget(void);

/* SIGCHLD only interrupts ppoll; fills the mask to wait with (SIGCHLD unblocked). */
void supervise_sigchld(sigset_t *wait_mask);

enum exec_outcome { EXEC_STARTED, EXEC_FAILED, EXEC_VANISHED };

struct payload_end {
	enum exec_outcome outcome;
	int status;          /* wait status of the payload */
	uint64_t end_ns;     /* when it was reaped */
	long max_rss_kb;     /* largest ru_maxrss among the processes reaped while it ran */
};

/*
 * Watch `pid` (already forked, talking on `channel`) from its execve to its end: report the exec
 * or its failure, enforce the plan's limits, reap every child. `control` (or -1) is polled too:
 * the host's 'K' kills the run. Closes `channel`.
 */
void supervise_payload(const struct plan *plan, pid_t pid, int channel, int control, const sigset_t *wait_mask,
		       struct payload_end *end);

/*
 * A message on a warm sandbox's control socket while a job runs: true when the host asked to end the job ('K').
 * At EOF the host is gone, and so is PID 1.
 */
int control_says_kill(int control);

/* Exit code PID 1 leaves with for a payload's wait status. */
int exit_code_for(int status);

#endif
