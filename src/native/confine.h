/* The payload's last narrowing before execve: Landlock, then the seccomp filter. */
#ifndef NSBOX_CONFINE_H
#define NSBOX_CONFINE_H

#include <stdint.h>

#include "plan.h"

typedef void (*confine_fail_fn)(uint32_t step, int op, int err);

/* Create the Landlock ruleset from the plan and restrict this process (needs no_new_privs). */
void confine_landlock(const struct plan *plan, confine_fail_fn fail_fn);

/*
 * Install the seccomp filter. With SECCOMP_NOTIFY_KILLS the filter's kill actions become user
 * notifications, and PID 1 takes the listener from this process (pidfd_getfd) before anything
 * else runs under the filter; `channel` is the socket to PID 1 used for that handshake.
 */
void confine_seccomp(struct plan *plan, int channel, confine_fail_fn fail_fn);

/* Take one pending notification from the listener: the refused syscall and its audit arch. 0 or -1. */
int confine_receive(int listener, int32_t *nr, uint32_t *arch);

/* PID 1's side of that handshake; returns the listener, or -1 when kills stay plain kills. */
int confine_take_listener(const struct plan *plan, int channel, int payload_pid);

#endif
