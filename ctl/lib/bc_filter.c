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

enum key {
	K_STATUS,
	K_NAME,
	K_LABEL,
	K_ANCESTOR,
	K_ID,
	K_EXITED,
	K_HEALTH,
	K_NETWORK,
	K_VOLUME,
	K_PUBLISH,
	K_EXPOSE,
	K_BEFORE,
	K_SINCE,
	K_IS_TASK,
	K_ISOLATION,
	NKEYS
};

static const char *const keys[NKEYS] = {
    "status", "name",	 "label",  "ancestor", "id",	"exited",  "health",	"network",
    "volume", "publish", "expose", "before",   "since", "is-task", "isolation",
};

static const char *const statuses[] = {"created", "restarting", "running", "removing",
				       "paused",  "exited",	"dead",	   NULL};
static const char *const healths[] = {"starting", "healthy", "unhealthy", "none", NULL};

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

static bool one_of(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(v, *list))
			return true;
	return false;
}

/* PORT[/PROTO] or START-END[/PROTO], as publish= and expose= take them. */
static bool port_range(const char *v, long *lo, long *hi, char proto[8])
{
	char *end;

	*lo = strtol(v, &end, 10);
	*hi = *lo;
	if (end == v || *lo < 1 || *lo > 65535)
		return false;
	if (*end == '-') {
		const char *p = end + 1;

		*hi = strtol(p, &end, 10);
		if (end == p || *hi < *lo || *hi > 65535)
			return false;
	}
	if (*end == '\0') {
		strcpy(proto, "tcp");
		return true;
	}
	if (*end != '/' || strlen(end + 1) >= 8 || !*(end + 1))
		return false;
	strcpy(proto, end + 1);
	return !strcmp(proto, "tcp") || !strcmp(proto, "udp") || !strcmp(proto, "sctp");
}

static int check_value(int k, const char *kv, const char *v, struct err *err)
{
	long lo, hi;
	char proto[8];

	switch (k) {
	case K_STATUS:
		if (!one_of(v, statuses))
			return err_set(err, EINVAL,
				       "invalid filter '%s': a status is created, restarting, "
				       "running, removing, paused, exited or dead",
				       kv);
		break;
	case K_HEALTH:
		if (!one_of(v, healths))
			return err_set(err, EINVAL,
				       "invalid filter '%s': a health is starting, healthy, "
				       "unhealthy or none",
				       kv);
		break;
	case K_PUBLISH:
	case K_EXPOSE:
		if (!port_range(v, &lo, &hi, proto))
			return err_set(err, EINVAL,
				       "invalid filter '%s': expected PORT[/PROTO] or "
				       "START-END[/PROTO], PROTO tcp, udp or sctp",
				       kv);
		break;
	case K_IS_TASK:
		if (strcmp(v, "true") && strcmp(v, "false"))
			return err_set(err, EINVAL, "invalid filter '%s': expected true or false",
				       kv);
		break;
	case K_BEFORE:
	case K_SINCE:
	case K_EXITED:
		if (!*v)
			return err_set(err, EINVAL, "invalid filter '%s': a value is needed", kv);
		break;
	}
	return 0;
}

int bc_filter_add(struct bc_filters *fs, const char *kv, struct err *err)
{
	int k = key_index(kv);

	if (!strchr(kv, '='))
		return err_set(err, EINVAL, "invalid filter '%s': expected KEY=VALUE", kv);
	if (k < 0)
		return err_set(err, EINVAL,
			       "invalid filter '%s': use status, name, label, ancestor, id, "
			       "exited, health, network, volume, publish, expose, before, since, "
			       "is-task or isolation",
			       kv);
	if (check_value(k, kv, strchr(kv, '=') + 1, err) < 0)
		return -err->code;
	if (fs->n == BC_FILTER_MAX)
		return err_set(err, EINVAL, "too many filters (at most %d)", BC_FILTER_MAX);
	fs->f[fs->n++] = kv;
	if (k == K_STATUS || k == K_EXITED)
		fs->has_status = true;
	return 0;
}

/* The container a before= or since= names, by name or id (prefix), among all. */
static const cJSON *find_ref(const cJSON *all, const char *ref)
{
	const cJSON *c, *by_prefix = NULL;
	size_t n = strlen(ref);
	int prefixes = 0;

	cJSON_ArrayForEach (c, all) {
		const char *name = cJSON_GetStringValue(
		    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "Names"), 0));

		if (name && (!strcmp(name, ref) || (*name == '/' && !strcmp(name + 1, ref))))
			return c;
		if (!strcmp(sget(c, "Id"), ref))
			return c;
		if (!strncmp(sget(c, "Id"), ref, n))
			by_prefix = c, prefixes++;
	}
	return prefixes == 1 ? by_prefix : NULL;
}

int bc_filter_resolve(struct bc_filters *fs, const cJSON *all, struct err *err)
{
	for (unsigned i = 0; i < fs->n; i++) {
		int k = key_index(fs->f[i]);
		const char *ref = strchr(fs->f[i], '=') + 1;
		const cJSON *c;

		if (k != K_BEFORE && k != K_SINCE)
			continue;
		if (!(c = find_ref(all, ref)))
			return err_set(err, ENOENT, "invalid filter '%s': no such container: %s",
				       fs->f[i], ref);
		snprintf(k == K_BEFORE ? fs->before : fs->since, sizeof(fs->before), "%s",
			 sget(c, "Created"));
	}
	return 0;
}

int bc_filter_bool(const char *v)
{
	if (!strcmp(v, "true") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "false") || !strcmp(v, "0"))
		return 0;
	return -1;
}

bool bc_labels_match(const cJSON *labels, const char *v)
{
	cleanup_free char *key = xstrdup(v);
	char *veq = strchr(key, '=');
	const cJSON *l;

	if (veq)
		*veq++ = '\0';
	l = cJSON_GetObjectItemCaseSensitive(labels, key);
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

static bool network_match(const cJSON *c, const char *v)
{
	const cJSON *n;

	cJSON_ArrayForEach (n, cJSON_GetObjectItemCaseSensitive(c, "Networks")) {
		const char *id = sget(n, "NetworkID");

		if (!strcmp(sget(n, "Name"), v) || (*id && !strncmp(id, v, strlen(v))))
			return true;
	}
	return false;
}

static bool volume_match(const cJSON *c, const char *v)
{
	const cJSON *m;

	cJSON_ArrayForEach (m, cJSON_GetObjectItemCaseSensitive(c, "Mounts"))
		if (!strcmp(sget(m, "Name"), v) || !strcmp(sget(m, "Destination"), v) ||
		    !strcmp(sget(m, "Source"), v))
			return true;
	return false;
}

/* A port list ("80/tcp", "53/udp") against publish= or expose='s PORT[-END][/PROTO]. */
static bool port_match(const cJSON *ports, const char *v)
{
	long lo, hi;
	char proto[8];
	const cJSON *p;

	if (!port_range(v, &lo, &hi, proto))
		return false;
	cJSON_ArrayForEach (p, ports) {
		const char *s = cJSON_GetStringValue(p), *slash = s ? strchr(s, '/') : NULL;
		long port = s ? strtol(s, NULL, 10) : 0;

		if (port >= lo && port <= hi && !strcmp(slash ? slash + 1 : "tcp", proto))
			return true;
	}
	return false;
}

static bool one_match(const struct bc_filters *fs, const cJSON *c, int k, const char *v)
{
	const char *name = cJSON_GetStringValue(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "Names"), 0));
	char *end;
	long code;

	switch (k) {
	case K_STATUS:
		return !strcmp(sget(c, "State"), v);
	case K_NAME:
		if (name && *name == '/')
			name++;
		return name && strstr(name, *v == '/' ? v + 1 : v);
	case K_LABEL:
		return bc_labels_match(cJSON_GetObjectItemCaseSensitive(c, "Labels"), v);
	case K_ANCESTOR:
		return ancestor_match(c, v);
	case K_ID:
		return *v && !strncmp(sget(c, "Id"), v, strlen(v));
	case K_EXITED:
		code = strtol(v, &end, 10);
		return *v && !*end && !strcmp(sget(c, "State"), "exited") &&
		       (long)cJSON_GetNumberValue(
			   cJSON_GetObjectItemCaseSensitive(c, "ExitCode")) == code;
	case K_HEALTH:
		return !strcmp(*sget(c, "Health") ? sget(c, "Health") : "none", v);
	case K_NETWORK:
		return network_match(c, v);
	case K_VOLUME:
		return volume_match(c, v);
	case K_PUBLISH:
		return port_match(cJSON_GetObjectItemCaseSensitive(c, "PublishedPorts"), v);
	case K_EXPOSE:
		return port_match(cJSON_GetObjectItemCaseSensitive(c, "ExposedPorts"), v);
	case K_BEFORE:
		return *fs->before && strcmp(sget(c, "Created"), fs->before) < 0;
	case K_SINCE:
		return *fs->since && strcmp(sget(c, "Created"), fs->since) > 0;
	case K_IS_TASK: /* no swarm: no container is a task */
		return !strcmp(v, "false");
	case K_ISOLATION:
		return !strcmp(v, "default");
	}
	return false;
}

bool bc_filter_match(const struct bc_filters *fs, const cJSON *ctr)
{
	for (int k = 0; k < NKEYS; k++) {
		bool given = false, any = false;

		for (unsigned i = 0; i < fs->n; i++) {
			bool m;

			if (key_index(fs->f[i]) != k)
				continue;
			given = true;
			m = one_match(fs, ctr, k, strchr(fs->f[i], '=') + 1);
			/* labels are all required, as Docker's are */
			if (k == K_LABEL && !m)
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
