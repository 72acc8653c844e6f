#include "zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "fdpass.h"
#include "protocol.h"
#include "sys.h"

#define ZYGOTE_SOCKET 3
#define ZYGOTE_READY 4
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

void zygote_wait(unsigned n_procs)
{
	/* Parked for a while: it must not outlive the host in the meantime. */
	if (prctl(NSB_PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() == 1)
		give_up();
	join_cgroups(n_procs);
	if (write(ZYGOTE_READY, "R", 1) != 1)
		give_up();
	close(ZYGOTE_READY);

	int fds[FDPASS_MAX];
	char byte;
	int count = fdpass_recv(ZYGOTE_SOCKET, &byte, fds, FDPASS_MAX);
	if (count < NSBOX_FD_FIRST_EXTRA)
		give_up();
	close(ZYGOTE_SOCKET);
	if (fdpass_place(fds, count, PARK_FD_BASE, 0) < 0)
		give_up();
}
