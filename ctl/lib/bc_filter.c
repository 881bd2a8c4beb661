/* Container list filters (see bc_filter.h). */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bc_filter.h"
#include "common/cleanup.h"
#include "common/xalloc.h"

static const char *const keys[] = {"status", "name", "label", "ancestor", "id", "exited"};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
#define KEY_LABEL 2

static const char *sget(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k)) ?: "";
}

static int key_index(const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t n = eq ? (size_t)(eq - kv) : 0;

	for (size_t i = 0; eq && i < NKEYS; i++)
		if (strlen(keys[i]) == n && !strncmp(kv, keys[i], n))
			return (int)i;
	return -1;
}

int bc_filter_add(struct bc_filters *fs, const char *kv, struct err *err)
{
	int k = key_index(kv);

	if (!strchr(kv, '='))
		return err_set(err, EINVAL, "invalid filter '%s': expected KEY=VALUE", kv);
	if (k < 0)
		return err_set(
		    err, EINVAL,
		    "invalid filter '%s': use status, name, label, ancestor, id or exited", kv);
	if (fs->n == BC_FILTER_MAX)
		return err_set(err, EINVAL, "too many filters (at most %d)", BC_FILTER_MAX);
	fs->f[fs->n++] = kv;
	if (k == 0 || k == 5)
		fs->has_status = true;
	return 0;
}

static bool label_match(const cJSON *c, const char *v)
{
	cleanup_free char *key = xstrdup(v);
	char *veq = strchr(key, '=');
	const cJSON *l;

	if (veq)
		*veq++ = '\0';
	l = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "Labels"), key);
	return l && (!veq || !strcmp(cJSON_GetStringValue(l) ?: "", veq));
}

static bool ancestor_match(const cJSON *c, const char *v)
{
	const char *img = sget(c, "Image"), *iid = sget(c, "ImageID");
	size_t n = strlen(v);

	if (!strncmp(iid, "sha256:", 7))
		iid += 7;
	if (!strncmp(v, "sha256:", 7))
		v += 7, n -= 7;
	return !strcmp(img, v) || (!strncmp(img, v, n) && img[n] == ':') ||
	       (n >= 4 && !strncmp(iid, v, n));
}

static bool one_match(const cJSON *c, int k, const char *v)
{
	const char *name = cJSON_GetStringValue(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "Names"), 0));
	char *end;
	long code;

	switch (k) {
	case 0:
		return !strcmp(sget(c, "State"), v);
	case 1:
		if (name && *name == '/')
			name++;
		return name && strstr(name, *v == '/' ? v + 1 : v);
	case 2:
		return label_match(c, v);
	case 3:
		return ancestor_match(c, v);
	case 4:
		return *v && !strncmp(sget(c, "Id"), v, strlen(v));
	case 5:
		code = strtol(v, &end, 10);
		return *v && !*end && !strcmp(sget(c, "State"), "exited") &&
		       (long)cJSON_GetNumberValue(
			   cJSON_GetObjectItemCaseSensitive(c, "ExitCode")) == code;
	}
	return false;
}

bool bc_filter_match(const struct bc_filters *fs, const cJSON *ctr)
{
	for (size_t k = 0; k < NKEYS; k++) {
		bool given = false, any = false;

		for (unsigned i = 0; i < fs->n; i++) {
			bool m;

			if (key_index(fs->f[i]) != (int)k)
				continue;
			given = true;
			m = one_match(ctr, (int)k, strchr(fs->f[i], '=') + 1);
			/* labels are all required, as Docker's are */
			if (k == KEY_LABEL && !m)
				return false;
			any = any || m;
		}
		if (given && !any)
			return false;
	}
	return true;
}

bool bc_image_ref_match(const char *pattern, const char *tag)
{
	const char *colon = strrchr(tag, ':');
	char repo[512];

	if (!fnmatch(pattern, tag, 0))
		return true;
	if (!colon || strchr(colon, '/'))
		return false;
	snprintf(repo, sizeof(repo), "%.*s", (int)(colon - tag), tag);
	return !fnmatch(pattern, repo, 0);
}
