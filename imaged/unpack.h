/* Untrusted layers unpacked by a worker confined to the target directory. */
#ifndef BERTH_UNPACK_H
#define BERTH_UNPACK_H

#include <stdint.h>

#include "common/err.h"

/*
 * Unpack the layer blob at `blob` (tar, tar+gzip or tar+zstd) into the empty
 * directory `dir`, turning OCI whiteouts into overlayfs ones, in
 * berth-imaged-worker chrooted into `dir`. The uncompressed stream must hash to diff_id
 * (NULL: accept any, and return it in diff_out when not NULL).
 */
int unpack_layer(const char *blob, const char *dir, const char *diff_id, char *diff_out,
		 uint64_t *size, struct err *err);
/* In berth-imaged-worker: confine to dir, unpack fd, answer on out; the exit code. */
int unpack_child_run(int fd, const char *dir, const char *diff_id, int out);
/* In a child about to exec the worker: in as fd 3, out as fd 4, both kept across exec. */
int fds_to_3_4(int in, int out);
/* Remove a directory tree without following symlinks. */
int rm_tree(const char *path, struct err *err);

#endif
