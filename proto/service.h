/*
 * What every berth daemon does as a service, whatever it speaks: take the
 * socket systemd passed (LISTEN_FDS), or bind its own Unix socket root:gid
 * 0660; go to the background; tell systemd it is ready (Type=notify) —
 * all without libsystemd.
 */
#ifndef BERTH_SERVICE_H
#define BERTH_SERVICE_H

#include <sys/types.h>

#include "common/err.h"

/* 1 with *fd the listening socket systemd passed, 0 when none was, <0 on a bad one. */
int service_take_activated(int *fd, struct err *err);
/* A new listening socket at path (a stale one is replaced, a live one refused). */
int service_listen_unix(const char *path, gid_t gid, int *fd, struct err *err);
/* Fork twice, new session, stdio on /dev/null, cwd /. Returns in the daemon. */
int service_daemonize(struct err *err);
/* READY=1 to $NOTIFY_SOCKET, when set. */
void service_notify_ready(void);

#endif
