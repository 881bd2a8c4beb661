/* Options of berth create and berth run. */
#ifndef BERTH_CTL_RUN_OPTS_H
#define BERTH_CTL_RUN_OPTS_H

#include <cjson/cJSON.h>
#include <stdbool.h>

struct run_opts {
	cJSON *req;	 /* the create request: Name, Config, HostConfig */
	cJSON *cfg, *hc; /* inside req */
	bool detach, interactive, tty, rm;
	const char *detach_keys;
	const char *pull;    /* always, missing (default) or never */
	const char *cidfile; /* --cidfile: where the id is written, or NULL */
};

extern const char run_options_help[];

/* 0 ok, 1 help printed, otherwise the exit code (message printed). */
int run_opts_parse(struct run_opts *ro, int argc, char **argv, const char *usage);
void run_opts_free(struct run_opts *ro);
/*
 * berth update: the limits and restart policy asked for, as HostConfig keys
 * in a new *changes (the caller frees it); containers from optind on.
 * 0 ok, 1 help printed, otherwise the exit code (message printed).
 */
int update_opts_parse(cJSON **changes, int argc, char **argv, const char *usage);
/* "512m", "2g", "1024" (bytes) or "-1"; -1 when malformed. */

#endif
