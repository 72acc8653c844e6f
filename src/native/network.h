#ifndef NSBOX_NETWORK_H
#define NSBOX_NETWORK_H

/* Bring the loopback interface of the current network namespace up. Returns 0 or -1 with errno. */
int network_loopback_up(void);

#endif
