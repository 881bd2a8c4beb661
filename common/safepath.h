/* Path resolution that can never leave a root directory. */
#ifndef BERTH_SAFEPATH_H
#define BERTH_SAFEPATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

/*
 * Open path relative to rootfd as if rootfd were "/": "..", absolute
 * symlinks and absolute paths all stay inside (openat2 RESOLVE_IN_ROOT),
 * magic links (/proc/self/fd/N) are refused.
 */
int open_in_root(int rootfd, const char *path, int flags, mode_t mode, struct err *err);

#define FDPATH_LEN 32

/*
 * Open path inside rootfd (O_PATH | flags) and put its "/proc/self/fd/N"
 * name in out: what mount(2) is given, so a symlink cannot redirect it out
 * of the root. After a mount on it, open it again: the old fd still names
 * what lies under the new mount. Returns the fd (the caller closes it).
 */
int mount_point_in_root(int rootfd, const char *path, int flags, char out[FDPATH_LEN],
			struct err *err);

/* Create directories (mode) for every component of path inside rootfd. */
int mkdir_in_root(int rootfd, const char *path, mode_t mode, struct err *err);

/*
 * Create a directory (and its parents) at an absolute host path and check
 * the leaf: a real directory, owned by us, not writable by group or others.
 */
int mkdir_secure(const char *path, mode_t mode, struct err *err);

/* An absolute path without ".", ".." or empty components. */
bool path_is_clean(const char *path);

/*
 * Create the missing directories of a clean absolute host path (mode), never
 * through a symlink: a component that is one, or not a directory, is refused.
 */
int mkdir_nofollow(const char *path, mode_t mode, struct err *err);

#endif
