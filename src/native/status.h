/* Status records to the host: one write of a fixed-size record, atomic on a pipe. */
#ifndef NSBOX_STATUS_H
#define NSBOX_STATUS_H

#include <stdint.h>
#include <sys/resource.h>

#include "protocol.h"

uint64_t monotonic_ns(void);
void status_send(const struct nsbox_status *record);
/* Report a failed setup step; `err` is an errno value. */
void status_failed(uint32_t step, int op, uint32_t detail, int err);
void status_stage1(int host_pid);
void status_execed(uint64_t t_ns, uint64_t cpu_ns);
/* A record stamped with the current time: limits, OOM kills and violations (see protocol.h for the fields). */
void status_event(uint32_t kind, int32_t value, uint32_t detail, uint64_t reserved);
void status_exited(int wait_status, uint64_t t_ns, const struct rusage *usage);
/* Report and leave: used by every stage when a step fails. */
__attribute__((noreturn)) void fail(uint32_t step, int op, uint32_t detail, int err);

#endif
