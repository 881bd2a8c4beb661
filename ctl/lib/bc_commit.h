/*
 * libberthclient: a container's changes, as an image (commit: imaged makes
 * a layer of the container's upper directory, paused while it runs unless
 * asked otherwise) or as a list (diff: "C /etc", "A /new", "D /gone").
 */
#ifndef BERTH_BC_COMMIT_H
#define BERTH_BC_COMMIT_H

#include "bclient.h"

struct bc_commit {
	const char *ref;	/* the container */
	const char *name;	/* repo[:tag] for the image, or NULL */
	const char *author;	/* or NULL */
	const char *comment;	/* or NULL */
	const cJSON *changes;	/* Dockerfile instructions (CMD, ENV...), or NULL */
	bool no_pause;		/* commit a running container without freezing it */
	const char *created_by; /* the history entry's text */
};
/* The new image's id into *id (the caller's). */
int bc_commit(const struct berth_paths *p, const struct bc_commit *o, char **id, struct err *err);
/* Each change as a line "C /path", "A /path" or "D /path" to on_line. */
int bc_diff(const struct berth_paths *p, const char *ref, bc_line_fn on_line, void *arg,
	    struct err *err);

#endif
