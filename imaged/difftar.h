/* A container's upper directory written out as an OCI layer (tar+gzip). */
#ifndef BERTH_DIFFTAR_H
#define BERTH_DIFFTAR_H

#include <stdbool.h>
#include <sys/stat.h>

#include "common/err.h"
#include "store.h"

struct difftar_sink {
	struct blob_writer *w;
	struct err *err;
};

/* Write the layer for the overlay upper directory `upper` into bw. */
int difftar_write(const char *upper, struct blob_writer *bw, struct err *err);

/*
 * A plain tar of dfd/name (not followed if a symlink; a directory with all it
 * holds) to fd, its top entry named entry and the rest below it.
 */
int tar_path_to_fd(int dfd, const char *name, const char *entry, int fd, struct err *err);

/* PATH (resolved from the current root) as a tar whose top entry is its base name ("." for /). */
int tar_send_path(const char *path, int fd, struct err *err);
/* An empty file or directory the runtime made only to mount over (rel: "etc/hosts"). */
bool difftar_mount_stub(int dfd, const char *name, const char *rel, const struct stat *st);

#endif
