#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int fdpass_send(int sock, char byte, const int *fds, int n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
	} control;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg;
	if (n < 0 || n > FDPASS_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	memset(&control, 0, sizeof(control));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (n > 0) {
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	ssize_t sent;
	while ((sent = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
	}
	return sent == 1 ? 0 : -1;
}

int fdpass_recv(int sock, char *byte, int *fds, int max)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
	} control;
	struct iovec iov = { .iov_base = byte, .iov_len = 1 };
	struct msghdr msg;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	ssize_t got;
	while ((got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
	}
	if (got != 1)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c)
		return (msg.msg_flags & MSG_CTRUNC) ? -1 : 0;
	if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	int received[FDPASS_MAX];
	memcpy(received, CMSG_DATA(c), sizeof(int) * (size_t)count);
	if ((msg.msg_flags & MSG_CTRUNC) || count > max) {
		for (int i = 0; i < count; i++)
			close(received[i]);
		return -1;
	}
	memcpy(fds, received, sizeof(int) * (size_t)count);
	return count;
}

int fdpass_place(int *fds, int n, int park_above, int first)
{
	for (int i = 0; i < n; i++) {
		int parked = fcntl(fds[i], F_DUPFD_CLOEXEC, park_above);
		if (parked < 0)
			return -1;
		close(fds[i]);
		fds[i] = parked;
	}
	for (int i = 0; i < n; i++) {
		if (dup2(fds[i], first + i) < 0)
			return -1;
		close(fds[i]);
		fds[i] = first + i;
	}
	return 0;
}
