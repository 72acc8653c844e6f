/*
 * CPU-time and wall-time limits, and OOM notifications, handled by the sandbox's PID 1.
 *
 * The CPU check re-arms a timer for the remaining budget divided by the CPUs the run could use
 * at once, so checks come closer together as the budget runs out, without polling at a fixed
 * rate. The overshoot is about the 1 ms check floor plus one scheduler tick per busy CPU (the
 * kernel's CPU counter of a running task advances at ticks).
 */
#include "enforce.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "confine.h"
#include "status.h"
#include "supervise.h"

#define MIN_CHECK_NS 1000000ull /* 1 ms */

static int read_file_at_start(int fd, char *buf, size_t size)
{
	ssize_t n;
	while ((n = pread(fd, buf, size - 1, 0)) < 0 && errno == EINTR) {
	}
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* The number after `key ` at the start of a line of `text`, or 0. */
static uint64_t keyed_value(const char *text, const char *key)
{
	size_t len = strlen(key);
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, len) == 0 && line[len] == ' ')
			return strtoull(line + len + 1, NULL, 10);
	}
	return 0;
}

uint64_t enforce_cpu_ns(const struct plan *plan)
{
	char buf[1024];
	if (plan->cpu_usage_fd < 0 || read_file_at_start(plan->cpu_usage_fd, buf, sizeof(buf)) < 0)
		return 0;
	if (plan->cpu_usage_format == CPU_FORMAT_CPU_STAT)
		return keyed_value(buf, "usage_usec") * 1000u;
	return strtoull(buf, NULL, 10);
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* End the whole run: PID 1 of a PID namespace can reach every other process in it with kill(-1). */
static void kill_run(struct enforcer *e)
{
	if (getpid() == 1)
		kill(-1, SIGKILL);
	else
		kill(e->payload, SIGKILL);
}

static void hit_limit(struct enforcer *e, uint32_t kind, uint64_t cpu_used)
{
	e->limit_hit = (int)kind;
	status_event(ST_LIMIT, (int32_t)kind, 0, cpu_used);
	kill_run(e);
}

void enforce_start(struct enforcer *e, const struct plan *plan, pid_t payload, uint64_t exec_ns, uint64_t cpu_at_exec_ns)
{
	memset(e, 0, sizeof(*e));
	e->plan = plan;
	e->payload = payload;
	e->exec_ns = exec_ns;
	e->cpu_at_exec_ns = cpu_at_exec_ns;
	e->timer_fd = -1;
	e->listener = -1;
	e->control = -1;
	if (plan->cpu_limit_ns || plan->wall_limit_ns) {
		e->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (e->timer_fd < 0)
			fail(STEP_FORK, -1, 0, errno);
	}
	if (plan->oom_fd >= 0 && plan->oom_kind == OOM_WATCH_MEMORY_EVENTS) {
		/* Reading once syncs the file's event counter, so POLLPRI means a new event. */
		char buf[512];
		if (read_file_at_start(plan->oom_fd, buf, sizeof(buf)) == 0)
			e->oom_kills = keyed_value(buf, "oom_kill");
	}
}

/* CPU used since exec; a failed read gives 0 rather than wrapping into a false limit hit. */
static uint64_t cpu_used(const struct enforcer *e)
{
	uint64_t now = enforce_cpu_ns(e->plan);
	return now > e->cpu_at_exec_ns ? now - e->cpu_at_exec_ns : 0;
}

/* Check the limits now; returns the absolute time of the next check, or 0 for none. */
static uint64_t check_limits(struct enforcer *e)
{
	const struct plan *plan = e->plan;
	uint64_t now = monotonic_ns(), next = 0;
	if (e->limit_hit) /* a limit or a syscall violation has ended the run already */
		return 0;
	if (plan->wall_limit_ns) {
		uint64_t deadline = e->exec_ns + plan->wall_limit_ns;
		if (now >= deadline) {
			hit_limit(e, LIMIT_WALL, cpu_used(e));
			return 0;
		}
		next = deadline;
	}
	if (plan->cpu_limit_ns) {
		uint64_t used = cpu_used(e);
		if (used >= plan->cpu_limit_ns) {
			hit_limit(e, LIMIT_CPU, used);
			return 0;
		}
		uint64_t wait = (plan->cpu_limit_ns - used) / online_cpus();
		uint64_t at = now + (wait < MIN_CHECK_NS ? MIN_CHECK_NS : wait);
		if (!next || at < next)
			next = at;
	}
	return next;
}

static void arm_timer(int fd, uint64_t at_ns)
{
	struct itimerspec spec;
	memset(&spec, 0, sizeof(spec));
	spec.it_value.tv_sec = (time_t)(at_ns / 1000000000u);
	spec.it_value.tv_nsec = (long)(at_ns % 1000000000u);
	timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

static void check_oom(struct enforcer *e)
{
	const struct plan *plan = e->plan;
	uint64_t kills = e->oom_kills;
	if (plan->oom_kind == OOM_WATCH_EVENTFD) {
		uint64_t count;
		if (read(plan->oom_fd, &count, sizeof(count)) == (ssize_t)sizeof(count))
			kills += count;
	} else {
		char buf[512];
		if (read_file_at_start(plan->oom_fd, buf, sizeof(buf)) == 0)
			kills = keyed_value(buf, "oom_kill");
	}
	if (kills > e->oom_kills) {
		e->oom_kills = kills;
		status_event(ST_OOM, (int32_t)kills, 0, 0);
	}
}

/* A process of the run made a syscall the filter forbids: name it, then end the run. */
static void check_violation(struct enforcer *e)
{
	int32_t nr;
	uint32_t arch;
	if (confine_receive(e->listener, &nr, &arch) < 0 || e->limit_hit)
		return;
	e->limit_hit = -1;
	status_event(ST_VIOLATION, nr, arch, 0);
	kill_run(e);
}

void enforce_stop(struct enforcer *e)
{
	if (e->timer_fd >= 0)
		close(e->timer_fd);
	if (e->listener >= 0)
		close(e->listener);
	e->timer_fd = e->listener = -1;
}

void enforce_wait(struct enforcer *e, const sigset_t *wait_mask)
{
	struct pollfd fds[4];
	nfds_t n = 0;
	int timer_slot = -1, oom_slot = -1, listener_slot = -1, control_slot = -1;
	uint64_t next = e->timer_fd >= 0 ? check_limits(e) : 0;
	if (next) {
		arm_timer(e->timer_fd, next);
		timer_slot = (int)n;
		fds[n++] = (struct pollfd){ .fd = e->timer_fd, .events = POLLIN };
	}
	if (e->plan->oom_fd >= 0) {
		oom_slot = (int)n;
		short events = e->plan->oom_kind == OOM_WATCH_EVENTFD ? POLLIN : POLLPRI;
		fds[n++] = (struct pollfd){ .fd = e->plan->oom_fd, .events = events };
	}
	if (e->listener >= 0) {
		listener_slot = (int)n;
		fds[n++] = (struct pollfd){ .fd = e->listener, .events = POLLIN };
	}
	if (e->control >= 0) {
		control_slot = (int)n;
		fds[n++] = (struct pollfd){ .fd = e->control, .events = POLLIN };
	}
	if (ppoll(fds, n, NULL, wait_mask) < 0)
		return; /* EINTR: SIGCHLD or a forwarded signal; the caller reaps and calls again */
	if (listener_slot >= 0 && (fds[listener_slot].revents & POLLIN))
		check_violation(e);
	else if (listener_slot >= 0 && fds[listener_slot].revents) {
		close(e->listener); /* every filtered process is gone */
		e->listener = -1;
	}
	if (oom_slot >= 0 && fds[oom_slot].revents)
		check_oom(e);
	if (control_slot >= 0 && fds[control_slot].revents && control_says_kill(e->control))
		kill_run(e);
	if (timer_slot >= 0 && (fds[timer_slot].revents & POLLIN)) {
		uint64_t expirations;
		if (read(e->timer_fd, &expirations, sizeof(expirations)) < 0) {
			/* nothing to do: the next check_limits re-arms it */
		}
	}
}
