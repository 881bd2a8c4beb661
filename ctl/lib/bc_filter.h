/*
 * libberthclient: container list filters as Docker has them. A filter is
 * "key=value"; filters of one key match when any of them does (labels: when
 * all do), and every key given must match (docker ps --filter, GET
 * /containers/json?filters=).
 */
#ifndef BERTH_BC_FILTER_H
#define BERTH_BC_FILTER_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/err.h"

#define BC_FILTER_MAX 64

struct bc_filters {
	const char *f[BC_FILTER_MAX];
	unsigned n;
	bool has_status;	    /* a status filter shows stopped containers too */
	char before[40], since[40]; /* Created of the containers before= and since= name */
};

/* Adds "key=value" (kept by reference) after checking the key; -1 with err naming it. */
int bc_filter_add(struct bc_filters *fs, const char *kv, struct err *err);
/* Finds the containers before= and since= name among all (the whole list); -1 when one is
 * not there. Call it before bc_filter_match when either is given. */
int bc_filter_resolve(struct bc_filters *fs, const cJSON *all, struct err *err);
/* Whether a container summary (a MSG_CONTAINER_LIST entry) passes every key. */
bool bc_filter_match(const struct bc_filters *fs, const cJSON *ctr);

/* A filter's boolean as Docker reads it (true, 1, false, 0): 1, 0, or -1 when it is neither. */
int bc_filter_bool(const char *v);

/* label=KEY or label=KEY=VALUE's value against an object's Labels. */
bool bc_labels_match(const cJSON *labels, const char *v);

/* An image's tag ("repo:tag") against a reference= pattern (glob on the whole, or on the
 * repository). */
bool bc_image_ref_match(const char *pattern, const char *tag);

#endif
