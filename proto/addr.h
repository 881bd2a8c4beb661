/* Unix socket addresses, including paths longer than sun_path allows. */
#ifndef BERTH_ADDR_H
#define BERTH_ADDR_H

#include <sys/un.h>

#include "common/err.h"

/*
 * Fill sun for path. A path too long for sun_path (deep --run directories,
 * a shim's socket beside a 64-character id) is reached through an O_PATH
 * descriptor of its directory, "/proc/self/fd/N/name": *dirfd receives it
 * and must stay open while sun is used (-1 when not needed).
 */
int unix_addr(const char *path, struct sockaddr_un *sun, int *dirfd, struct err *err);

#endif
