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

#endif
