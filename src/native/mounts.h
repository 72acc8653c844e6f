#ifndef NSBOX_MOUNTS_H
#define NSBOX_MOUNTS_H

#include "plan.h"

/*
 * Clone every bind source into a detached mount tree with its flags set. Runs in the
 * first stage when the host is privileged (so sources are opened with the host's
 * rights), otherwise in the sandbox's first process with the caller's own rights.
 */
void mounts_open_sources(struct plan *plan);

/* Build the new root from the plan and pivot into it. Fails the run on any error. */
void mounts_build_root(struct plan *plan);

/*
 * A warm sandbox between jobs, all its processes gone: every writable tmpfs of the plan (such as
 * /tmp) is emptied in place when that is cheap and its root is as made, otherwise unmounted and
 * replaced by a fresh one (which costs an RCU grace period), so no file of one job reaches the
 * next. The host only warms policies with nothing mounted or created beneath such a tmpfs.
 * Returns 0, or -1 with errno.
 */
int mounts_reset_scratch(const struct plan *plan);

#endif
