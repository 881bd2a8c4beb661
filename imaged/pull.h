/* Pulling from a registry (berth-imaged-worker). */
#ifndef BERTH_PULL_H
#define BERTH_PULL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "store.h"

/* The worker's jobs; their arguments ({"ref"|"registry", "auth"}) come as JSON on fd. */
void pull_run(const struct store *s, int fd, int out, void *arg);
void login_run(const struct store *s, int fd, int out, void *arg);
void push_run(const struct store *s, int fd, int out, void *arg);
/* load.c: unpack, then record an image with its names (progress lines on out). */
int load_finish_image(const struct store *s, int out, const char *manifest_digest, char **names,
		      size_t nnames, cJSON *loaded, struct err *err);

#endif
