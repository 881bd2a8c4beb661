/* OCI hooks: checked with the spec, run by kind at the points of the lifecycle. */
#ifndef BERTH_HOOKS_H
#define BERTH_HOOKS_H

#include <stdbool.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/err.h"

/* Check the "hooks" object: known kinds, absolute paths, string args/env, timeouts. */
int hooks_check(const cJSON *hooks, struct err *err);
bool hooks_have(const cJSON *hooks, const char *kind);
/*
 * Run the hooks of one kind in order, each with `state` on stdin; the first
 * that fails, is killed or outlives its timeout stops them, with an error
 * naming it ("hook prestart[1] (/usr/bin/x) failed with exit status 3").
 */
int hooks_run(const cJSON *hooks, const char *kind, const char *state, struct err *err);
/* The state JSON the hooks read (heap string). */
char *hooks_state(const char *id, const char *status, pid_t pid, const char *bundle,
		  const cJSON *annotations);

#endif
