#include "zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol.h"
#include "sys.h"

#define ZYGOTE_SOCKET 3
#define ZYGOTE_READY 4
#define MAX_PASSED 64
#define PARK_FD_BASE 200

__attribute__((noreturn)) static void give_up(void)
{
	_exit(126); /* the host sees a dead zygote and builds that run the ordinary way */
}

static void join_cgroups(unsigned n_procs)
{
	char pid_text[16];
	int n = snprintf(pid_text, sizeof(pid_text), "%d", (int)getpid());
	for (unsigned i = 0; i < n_procs; i++) {
		int fd = NSBOX_FD_FIRST_EXTRA + (int)i;
		if (n <= 0 || write(fd, pid_text, (size_t)n) != n)
			give_up();
		close(fd);
	}
}

/* Receive the run's descriptors; returns how many arrived. */
static int receive_fds(int *fds)
{
	char byte;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * MAX_PASSED)];
	} control;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	ssize_t got;
	while ((got = recvmsg(ZYGOTE_SOCKET, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
	}
	if (got != 1 || (msg.msg_flags & MSG_CTRUNC))
		give_up();
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		give_up();
	int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	if (count < NSBOX_FD_FIRST_EXTRA || count > MAX_PASSED)
		give_up();
	memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)count);
	return count;
}

void zygote_wait(unsigned n_procs)
{
	/* Parked for a while: it must not outlive the host in the meantime. */
	if (prctl(NSB_PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() == 1)
		give_up();
	join_cgroups(n_procs);
	if (write(ZYGOTE_READY, "R", 1) != 1)
		give_up();
	close(ZYGOTE_READY);

	int fds[MAX_PASSED];
	int count = receive_fds(fds);
	/* Park every received fd above the targets first, so the moves below cannot collide. */
	for (int i = 0; i < count; i++) {
		int parked = fcntl(fds[i], F_DUPFD_CLOEXEC, PARK_FD_BASE);
		if (parked < 0)
			give_up();
		close(fds[i]);
		fds[i] = parked;
	}
	close(ZYGOTE_SOCKET);
	for (int i = 0; i < count; i++) {
		if (dup2(fds[i], i) < 0)
			give_up();
		close(fds[i]);
	}
}
