#include "status.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void status_send(const struct nsbox_status *record)
{
	/* The host may be gone; there is nobody left to tell, so the result is not checked further. */
	while (write(NSBOX_FD_STATUS, record, sizeof(*record)) < 0 && errno == EINTR) {
	}
}

void status_failed(uint32_t step, int op, uint32_t detail, int err)
{
	struct nsbox_status r;
	memset(&r, 0, sizeof(r));
	r.kind = ST_FAILED;
	r.step = step;
	r.op = op;
	r.detail = detail;
	r.err = err;
	r.t_ns = monotonic_ns();
	status_send(&r);
}

void fail(uint32_t step, int op, uint32_t detail, int err)
{
	status_failed(step, op, detail, err);
	_exit(125);
}

void status_stage1(int host_pid)
{
	struct nsbox_status r;
	memset(&r, 0, sizeof(r));
	r.kind = ST_STAGE1;
	r.value = host_pid;
	status_send(&r);
}

void status_execed(uint64_t t_ns, uint64_t cpu_ns)
{
	struct nsbox_status r;
	memset(&r, 0, sizeof(r));
	r.kind = ST_EXECED;
	r.t_ns = t_ns;
	r.reserved = cpu_ns;
	status_send(&r);
}

void status_event(uint32_t kind, int32_t value, uint32_t detail, uint64_t reserved)
{
	struct nsbox_status r;
	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.value = value;
	r.detail = detail;
	r.t_ns = monotonic_ns();
	r.reserved = reserved;
	status_send(&r);
}

static uint64_t timeval_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

void status_exited(int wait_status, uint64_t t_ns, const struct rusage *usage)
{
	struct nsbox_status r;
	memset(&r, 0, sizeof(r));
	r.kind = ST_EXITED;
	r.value = wait_status;
	r.t_ns = t_ns;
	r.utime_us = timeval_us(usage->ru_utime);
	r.stime_us = timeval_us(usage->ru_stime);
	r.maxrss_kb = (uint64_t)usage->ru_maxrss;
	status_send(&r);
}
