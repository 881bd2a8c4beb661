/* Terminals: a pty for the container, its master sent over a console socket or proxied. */
#ifndef BERTH_TERMINAL_H
#define BERTH_TERMINAL_H

#include <sys/types.h>

#include "common/err.h"

/* Open a new pty pair (both O_CLOEXEC); path (optional, 64 bytes) gets the slave's name. */
int pty_open(int *master, int *slave, char *path, struct err *err);
/* Send the master to a listening --console-socket (SCM_RIGHTS), as runc does. */
int console_socket_send(const char *path, int master, struct err *err);
/* Copy stdin -> master and master -> stdout until pid exits; the host tty goes raw meanwhile. */
int pty_proxy(int master, int pidfd, struct err *err);
/* Make fd the controlling terminal and stdio of the calling process. */
int pty_become_stdio(int slave, struct err *err);

#endif
