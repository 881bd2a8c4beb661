/* What the save worker is asked to write. */
#ifndef BERTH_SAVE_H
#define BERTH_SAVE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/digest.h"

struct save_args {
	bool oci;
	size_t n;
	char (*manifests)[DIGEST_STR_LEN + 1];
	char **names; /* the full name asked for, or NULL when given by id */
};

/* The arguments as JSON for berth-imaged-worker, and back (0, or -1 when malformed). */
char *save_args_json(const struct save_args *sa);
int save_args_parse(const char *text, struct save_args *sa);

#endif
