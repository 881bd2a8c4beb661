/*
 * A bind as HostConfig.Binds has it (docker run -v): SRC:DST[:OPTS], SRC a
 * host path (absolute) or a volume name, OPTS a comma list: ro or rw,
 * nocopy (a new volume is not filled from the image), z or Z (SELinux
 * relabelling: no-ops here), rprivate or private (berth's only propagation),
 * consistent, cached, delegated (Docker Desktop's: no-ops). One parser for
 * every reader of Binds.
 */
#ifndef BERTH_BINDSPEC_H
#define BERTH_BINDSPEC_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "err.h"

struct bind_spec {
	char *buf; /* a copy of the spec, split in place: src, dst and opts point into it */
	const char *src, *dst, *opts;
	bool ro, nocopy;
	bool volume; /* src names a volume, not a host path */
};

/* -1 with err naming what is wrong when spec is not SRC:DST[:OPTS] with known options. */
int bind_spec_parse(const char *spec, struct bind_spec *b, struct err *err);
void bind_spec_free(struct bind_spec *b);
/* Whether spec binds something at dst (a -v or --mount target). */
bool bind_spec_at(const char *spec, const char *dst);

/* Whether any entry of binds (a HostConfig.Binds array) binds something at dst. */
bool binds_at(const cJSON *binds, const char *dst);

#endif
