#ifndef NSBOX_ZYGOTE_H
#define NSBOX_ZYGOTE_H

/*
 * Zygote mode (cgroup v1): started ahead of time, this process moves itself into the run's
 * cgroups (the slow part: a v1 migration waits out an RCU grace period), says it is ready, and
 * waits for the run's descriptors. It then carries on as the first stage, so PID 1 is born in
 * the cgroups and no migration is left on the hot path.
 *
 * Descriptors at start: 3 a unix socket from the host, 4 the ready pipe, 5 .. 5+n-1 the
 * cgroup.procs files to join. The host then sends one byte with SCM_RIGHTS carrying, in order,
 * stdin, stdout, stderr, the plan, the status pipe, and the extra descriptors (5 and up).
 */
void zygote_wait(unsigned n_procs);

#endif
