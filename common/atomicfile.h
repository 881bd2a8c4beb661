/* State files: write to a temporary name, fsync, rename, fsync the directory. */
#ifndef BERTH_ATOMICFILE_H
#define BERTH_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Replace dirfd/name with buf atomically; dirfd may be AT_FDCWD. */
int atomic_write_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode,
		    struct err *err);
/* Same, for a path: the directory part is opened and synced. */
int atomic_write_file(const char *path, const void *buf, size_t len, mode_t mode, struct err *err);
/* Read a whole (small) file into a NUL-terminated heap buffer; at most max bytes. */
int read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *outlen,
		 struct err *err);

#endif
