/* What the import worker is asked to do. */
#ifndef BERTH_IMPORT_H
#define BERTH_IMPORT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "common/err.h"

struct import_args {
	char name[512]; /* full reference, or "" */
	char url[2048]; /* fetch the tarball from here instead of the fd */
	char message[512];
	size_t nchanges;
	char **changes;
};

/* The arguments as JSON for berth-imaged-worker, and back (0, or -1 when malformed). */
char *import_args_json(const struct import_args *ia);
int import_args_parse(const char *text, struct import_args *ia);

/* One Dockerfile-like change (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE) to a container
 * config. */
int config_apply_change(cJSON *cfg, const char *change, struct err *err);

#endif
