/*
 * libberthclient: image list filters as Docker has them (docker images
 * --filter, GET /images/json?filters=): reference=PATTERN (any of them; a
 * glob on repo:tag or on the repository), dangling=BOOL, label=KEY[=VALUE]
 * (all of them), before=IMAGE and since=IMAGE (created before or after it),
 * until=TIME (created before it: RFC 3339, Unix seconds or a duration).
 */
#ifndef BERTH_BC_IMGFILTER_H
#define BERTH_BC_IMGFILTER_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/err.h"

#define BC_IMGFILTER_MAX 32

struct bc_img_filters {
	const char *refs[BC_IMGFILTER_MAX], *labels[BC_IMGFILTER_MAX];
	unsigned nrefs, nlabels;
	int dangling;				 /* -1: either */
	const char *before_ref, *since_ref;	 /* as given, until resolved */
	long long before_ns, since_ns, until_ns; /* 0: no bound */
};

void bc_img_filters_init(struct bc_img_filters *fs);
/* Adds "key=value" (kept by reference) after checking it; -1 with err naming it. */
int bc_img_filter_add(struct bc_img_filters *fs, const char *kv, struct err *err);
/* Finds the images before= and since= name in list (MSG_IMAGE_LIST); -1 when one is not there. */
int bc_img_filter_resolve(struct bc_img_filters *fs, const cJSON *list, struct err *err);
/* Whether an image (a MSG_IMAGE_LIST entry) passes dangling, label, before, since and until. */
bool bc_img_filter_image(const struct bc_img_filters *fs, const cJSON *img);
/* Whether one of its tags ("repo:tag") passes reference= (any tag passes without one). */
bool bc_img_filter_tag(const struct bc_img_filters *fs, const char *tag);

#endif
