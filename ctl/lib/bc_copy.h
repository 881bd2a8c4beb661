/*
 * libberthclient: files between a container and its client, as a tar on an
 * fd. imaged's worker reads or writes the tar chrooted in the container's
 * root (SNAPSHOT_COPY); a container that does not run has its root mounted by
 * containerd (CONTAINER_MOUNT) for as long as a connection holds it. What the
 * tar is made from, or unpacked to, on the client's side is the client's
 * (berth cp: the user's files; berth-apid: the HTTP body).
 */
#ifndef BERTH_BC_COPY_H
#define BERTH_BC_COPY_H

#include <stdbool.h>

#include "bclient.h"

/*
 * A container's root, mounted for us while it does not run, and
 * containerd's leave to copy (a grant imaged checks for members who are not
 * unrestricted: berth-policy(5)).
 */
struct bc_root_hold {
	struct client c;
	bool held;
	char id[65];
	char grant[65];
};
void bc_hold_release(struct bc_root_hold *h);
#define cleanup_hold __attribute__((cleanup(bc_hold_release)))

/* The container's full id (and its inspect into *rec when rec is not NULL); its root held on h. */
int bc_container_root(const struct berth_paths *p, const char *ref, char id[65],
		      struct bc_root_hold *h, cJSON **rec, struct err *err);

/* Run on our end of the tar while the worker works. */
typedef int (*bc_consume_fn)(int fd, void *arg, struct err *err);
/*
 * imaged's copy job for the container h holds: put, the tar read from fd goes into
 * the directory path; else path (mounts: through the container's volumes and
 * binds; export: not) is written as a tar to fd. fd and our_end are taken.
 * The worker's own error says best what went wrong: it wins over consume's.
 */
int bc_copy_job(const struct berth_paths *p, const struct bc_root_hold *h, const char *path,
		bool put, bool mounts, int fd, bc_consume_fn consume, int our_end, void *arg,
		struct err *err);
/* path of a held container as a tar written to out (not taken). */
int bc_copy_out(const struct berth_paths *p, const struct bc_root_hold *h, const char *path,
		bool mounts, int out, struct err *err);

#endif
