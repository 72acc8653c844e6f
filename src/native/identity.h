#ifndef NSBOX_IDENTITY_H
#define NSBOX_IDENTITY_H

#include <sys/types.h>

#include "plan.h"

/* First stage, host side: write the child's uid/gid maps (setgroups denied first). */
void identity_write_maps(pid_t child, const struct plan *plan);

/* Sandbox PID 1: become the mapped inside ids while keeping the namespace's capabilities. */
void identity_enter(const struct plan *plan);

/* Payload, last step before exec: final ids, every capability set reduced to the allowlist, no_new_privs. */
void identity_drop(const struct plan *plan, void (*fail_fn)(uint32_t step, int op, int err));

#endif
