/* One byte with descriptors attached (SCM_RIGHTS): the zygote's and the warm sandbox's messages. */
#ifndef NSBOX_FDPASS_H
#define NSBOX_FDPASS_H

#define FDPASS_MAX 72 /* stdin, stdout, stderr, plan, status, and up to 64 extra descriptors, with room */

/* Send `byte` carrying `n` descriptors (0: none). Returns 0, or -1 with errno. */
int fdpass_send(int sock, char byte, const int *fds, int n);

/*
 * Receive one message: its byte in *byte, its descriptors (O_CLOEXEC) in fds[0..]. Returns how
 * many arrived, 0 for none, or -1 at EOF or on error (a truncated list of descriptors included).
 */
int fdpass_recv(int sock, char *byte, int *fds, int max);

/*
 * Put fds[i] at descriptor first + i for every i < n (not close-on-exec), never clobbering a
 * source before it has moved: each is first parked above `park_above`. Returns 0, or -1 with errno.
 */
int fdpass_place(int *fds, int n, int park_above, int first);

#endif
