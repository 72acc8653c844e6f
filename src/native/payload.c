/*
 * The payload process: forked by the sandbox's PID 1, it narrows itself to the
 * plan (session, descriptors, limits, ids, capabilities) and executes the command.
 * A failure is written to the exec pipe as a status record; a successful execve
 * closes the pipe (O_CLOEXEC), which is how PID 1 learns the command started.
 */
#include "payload.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confine.h"
#include "identity.h"
#include "status.h"
#include "sys.h"

static int exec_pipe = -1;

__attribute__((noreturn)) static void report_and_exit(uint32_t step, int op, int err)
{
	struct nsbox_status r;
	memset(&r, 0, sizeof(r));
	r.kind = ST_FAILED;
	r.step = step;
	r.op = op;
	r.err = err;
	while (write(exec_pipe, &r, sizeof(r)) < 0 && errno == EINTR) {
	}
	_exit(127);
}

static void reset_signals(void)
{
	struct sigaction dfl;
	sigset_t none;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < 65; sig++)
		sigaction(sig, &dfl, NULL); /* fails harmlessly for SIGKILL, SIGSTOP and unused numbers */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		report_and_exit(STEP_SIGNALS, -1, errno);
}

/*
 * Put passed descriptors at their target numbers and make every other one close on
 * exec. Sources are first copied above any target so that moves cannot collide.
 */
static void arrange_fds(const struct plan *plan)
{
	int moved[PLAN_MAX_FDS];
	for (unsigned i = 0; i < plan->n_fds; i++) {
		moved[i] = fcntl((int)plan->fds[i].from, F_DUPFD_CLOEXEC, 1100);
		if (moved[i] < 0)
			report_and_exit(STEP_FDS, -1, errno);
	}
	if (nsb_close_range(3, ~0U, NSB_CLOSE_RANGE_CLOEXEC) < 0)
		report_and_exit(STEP_FDS, -1, errno);
	for (unsigned i = 0; i < plan->n_fds; i++) {
		if (dup2(moved[i], (int)plan->fds[i].to) < 0)
			report_and_exit(STEP_FDS, -1, errno);
	}
}

static void apply_rlimits(const struct plan *plan)
{
	for (unsigned i = 0; i < plan->n_rlimits; i++) {
		const struct rlimit_op *r = &plan->rlimits[i];
		struct rlimit lim = {
			.rlim_cur = r->soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)r->soft,
			.rlim_max = r->hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)r->hard,
		};
		if (setrlimit((int)r->resource, &lim) < 0)
			report_and_exit(STEP_RLIMIT, r->index, errno);
	}
}

/* execvpe without the libc: PATH comes from the plan, and errors keep the most telling errno. */
__attribute__((noreturn)) static void exec_command(const struct plan *plan)
{
	const char *file = plan->exec_file;
	if (strchr(file, '/')) {
		execve(file, plan->argv, plan->envp);
		report_and_exit(STEP_EXEC, -1, errno);
	}
	size_t file_len = strlen(file);
	int saw_eacces = 0;
	const char *dir = plan->exec_path;
	for (;;) {
		const char *end = strchr(dir, ':');
		size_t dir_len = end ? (size_t)(end - dir) : strlen(dir);
		char path[4096];
		if (dir_len + 1 + file_len < sizeof(path)) {
			if (dir_len == 0) {
				memcpy(path, file, file_len + 1); /* empty PATH entry: the current directory */
			} else {
				memcpy(path, dir, dir_len);
				path[dir_len] = '/';
				memcpy(path + dir_len + 1, file, file_len + 1);
			}
			execve(path, plan->argv, plan->envp);
			if (errno == EACCES)
				saw_eacces = 1;
			else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP && errno != ENAMETOOLONG)
				report_and_exit(STEP_EXEC, -1, errno);
		}
		if (!end)
			break;
		dir = end + 1;
	}
	report_and_exit(STEP_EXEC, -1, saw_eacces ? EACCES : ENOENT);
}

void payload_run(struct plan *plan, int pipe_fd)
{
	exec_pipe = pipe_fd;
	reset_signals();
	/* A new session: no controlling terminal shared with the host, so no TIOCSTI into it. */
	if (setsid() < 0)
		report_and_exit(STEP_SETSID, -1, errno);
	/* A warm sandbox's job: System V IPC objects of an earlier job must not be visible. */
	if (plan->fresh_ipc && unshare((int)NSB_CLONE_NEWIPC) < 0)
		report_and_exit(STEP_JOB, -1, errno);
	arrange_fds(plan);
	apply_rlimits(plan);
	umask(022);
	identity_drop(plan, report_and_exit);
	if (plan->cwd && chdir(plan->cwd) < 0)
		report_and_exit(STEP_CWD, -1, errno);
	confine_landlock(plan, report_and_exit);
	/* Last: from here on only what the filter allows; the payload's program needs execve anyway. */
	confine_seccomp(plan, exec_pipe, report_and_exit);
	uint64_t t = monotonic_ns();
	while (write(exec_pipe, &t, sizeof(t)) < 0 && errno == EINTR) {
	}
	exec_command(plan);
}
