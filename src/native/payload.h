#ifndef NSBOX_PAYLOAD_H
#define NSBOX_PAYLOAD_H

#include "plan.h"

/* Narrow this process to the plan and execute the command; never returns. */
__attribute__((noreturn)) void payload_run(struct plan *plan, int exec_pipe);

#endif
