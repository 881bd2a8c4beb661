/* libberthclient: a container's processes as ps -ef shows them (docker top). */
#ifndef BERTH_BC_TOP_H
#define BERTH_BC_TOP_H

#include <cjson/cJSON.h>

#include "bclient.h"

/*
 * The processes of container ref, read from /proc: Docker's top document,
 * {"Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
 * "Processes": [[...], ...]}, into *out.
 */
int bc_top(const struct berth_paths *p, const char *ref, cJSON **out, struct err *err);

/* The pids of container ref (its cgroup's), comma separated, into *pids. */
int bc_top_pids(const struct berth_paths *p, const char *ref, char **pids, struct err *err);

#endif
