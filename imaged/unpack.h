/* Untrusted layers unpacked by a worker confined to the target directory. */
#ifndef BERTH_UNPACK_H
#define BERTH_UNPACK_H

#include <stdint.h>

#include "common/err.h"

/*
 * Unpack the layer blob at `blob` (tar, tar+gzip or tar+zstd) into the empty
 * directory `dir`, turning OCI whiteouts into overlayfs ones, in a forked
 * worker chrooted into `dir`. The uncompressed stream must hash to diff_id
 * (NULL: accept any, and return it in diff_out when not NULL).
 */
int unpack_layer(const char *blob, const char *dir, const char *diff_id, char *diff_out,
		 uint64_t *size, struct err *err);
/* Remove a directory tree without following symlinks. */
int rm_tree(const char *path, struct err *err);

#endif
