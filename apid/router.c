/* The one table of endpoints: method, path pattern ("*" is one segment), handler. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apid.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"

struct route {
	const char *method;
	const char *pattern;
	handler_fn fn;
};

static const struct route routes[] = {
    {"GET", "/_ping", h_ping},
    {"HEAD", "/_ping", h_ping},
    {"GET", "/version", h_version},
    {"GET", "/info", h_info},
    {"GET", "/events", h_events},
    {"POST", "/auth", h_auth},
    {"POST", "/commit", h_commit},
    {"GET", "/system/df", h_system_df},

    {"POST", "/containers/create", h_ctr_create},
    {"GET", "/containers/json", h_ctr_list},
    {"POST", "/containers/prune", h_ctr_prune},
    {"GET", "/containers/*/json", h_ctr_inspect},
    {"POST", "/containers/*/start", h_ctr_start},
    {"POST", "/containers/*/stop", h_ctr_stop},
    {"POST", "/containers/*/restart", h_ctr_restart},
    {"POST", "/containers/*/kill", h_ctr_kill},
    {"POST", "/containers/*/wait", h_ctr_wait},
    {"DELETE", "/containers/*", h_ctr_remove},
    {"POST", "/containers/*/rename", h_ctr_rename},
    {"POST", "/containers/*/pause", h_ctr_pause},
    {"POST", "/containers/*/unpause", h_ctr_unpause},
    {"GET", "/containers/*/top", h_ctr_top},
    {"GET", "/containers/*/logs", h_ctr_logs},
    {"GET", "/containers/*/stats", h_ctr_stats},
    {"POST", "/containers/*/update", h_ctr_update},
    {"GET", "/containers/*/changes", h_ctr_changes},
    {"GET", "/containers/*/archive", h_ctr_archive_get},
    {"HEAD", "/containers/*/archive", h_ctr_archive_get},
    {"PUT", "/containers/*/archive", h_ctr_archive_put},
    {"GET", "/containers/*/export", h_ctr_export},
    {"POST", "/containers/*/attach", h_ctr_attach},
    {"POST", "/containers/*/resize", h_ctr_resize},
    {"POST", "/containers/*/exec", h_exec_create},
    {"POST", "/exec/*/start", h_exec_start},
    {"GET", "/exec/*/json", h_exec_inspect},
    {"POST", "/exec/*/resize", h_exec_resize},

    {"GET", "/images/json", h_img_list},
    {"GET", "/images/search", h_img_search},
    {"POST", "/images/prune", h_img_prune},
    {"POST", "/build", h_build},
    {"POST", "/build/prune", h_build_prune},
    {"POST", "/images/create", h_img_create},
    {"GET", "/images/*/json", h_img_inspect},
    {"GET", "/images/*/history", h_img_history},
    {"POST", "/images/*/tag", h_img_tag},
    {"POST", "/images/*/push", h_img_push},
    {"GET", "/images/get", h_img_get},
    {"GET", "/images/*/get", h_img_get_one},
    {"POST", "/images/load", h_img_load},
    {"DELETE", "/images/*", h_img_remove},

    {"GET", "/networks", h_net_list},
    {"POST", "/networks/prune", h_net_prune},
    {"GET", "/networks/*", h_net_inspect},
    {"POST", "/networks/create", h_net_create},
    {"DELETE", "/networks/*", h_net_remove},
    {"POST", "/networks/*/connect", h_net_connect},
    {"POST", "/networks/*/disconnect", h_net_disconnect},
    {"GET", "/volumes", h_vol_list},
    {"POST", "/volumes/prune", h_vol_prune},
    {"GET", "/volumes/*", h_vol_inspect},
    {"POST", "/volumes/create", h_vol_create},
    {"DELETE", "/volumes/*", h_vol_remove},
};

#define MAX_ARGS 2

/*
 * Match path against pattern; the star takes what is between the fixed
 * ends: one segment, or for images (whose names have slashes) several.
 */
static bool match(const char *pattern, const char *path, char **args)
{
	const char *star = strchr(pattern, '*');
	size_t pre, post, plen = strlen(path);

	if (!star)
		return !strcmp(pattern, path);
	pre = (size_t)(star - pattern);
	post = strlen(star + 1);
	if (plen <= pre + post || strncmp(path, pattern, pre) ||
	    strcmp(path + plen - post, star + 1))
		return false;
	args[0] = xstrndup(path + pre, plen - pre - post);
	/* a name in the middle may hold slashes only for images */
	if (strncmp(pattern, "/images/", 8) && strchr(args[0], '/')) {
		free(args[0]);
		args[0] = NULL;
		return false;
	}
	return true;
}

static bool version_ok(struct resp *rs, const struct request *rq)
{
	double v, min = strtod(APID_API_MIN, NULL), max = strtod(APID_API_VERSION, NULL);
	char *end;

	if (!rq->version)
		return true;
	v = strtod(rq->version, &end);
	if (*end || end == rq->version) {
		resp_error(rs, 400, "malformed API version '%s'", rq->version);
		return false;
	}
	if (v > max + 1e-9) {
		resp_error(rs, 400,
			   "client version %s is too new. Maximum supported API version is %s",
			   rq->version, APID_API_VERSION);
		return false;
	}
	if (v < min - 1e-9) {
		resp_error(rs, 400,
			   "client version %s is too old. Minimum supported API version is %s, "
			   "please upgrade your client to a newer version",
			   rq->version, APID_API_MIN);
		return false;
	}
	return true;
}

void route(struct apid *a, struct resp *rs, const struct request *rq)
{
	char *args[MAX_ARGS] = {0};
	bool path_known = false;

	log_debug("%s %s", rq->method, rq->url);
	if (!version_ok(rs, rq))
		return;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!match(routes[i].pattern, rq->path, args))
			continue;
		if (strcmp(routes[i].method, rq->method)) {
			path_known = true;
			free(args[0]);
			args[0] = NULL;
			continue;
		}
		routes[i].fn(a, rs, rq, args);
		free(args[0]);
		return;
	}
	if (path_known)
		resp_error(rs, 405, "%s is not allowed on %s", rq->method, rq->path);
	else
		resp_error(rs, 404, "page not found");
}

cJSON *body_json(struct resp *rs, const struct request *rq)
{
	const char *type = req_header(rq, "Content-Type");
	const char *end = NULL;
	cJSON *doc;

	if (!rq->body_len)
		return cJSON_CreateObject();
	if (rq->body_len > APID_MAX_JSON_BODY) {
		resp_error(rs, 413, "the JSON body is over 1 MiB");
		return NULL;
	}
	if (type && strncmp(type, "application/json", 16)) {
		resp_error(rs, 400, "Content-Type %s is not supported; send application/json",
			   type);
		return NULL;
	}
	doc = cJSON_ParseWithLengthOpts(rq->body, rq->body_len, &end, false);
	if (!doc || !cJSON_IsObject(doc)) {
		size_t at = doc ? rq->body_len : (size_t)(end ? end - rq->body : 0);

		cJSON_Delete(doc);
		resp_error(rs, 400, "invalid JSON in the request body (at byte %zu)", at);
		return NULL;
	}
	return doc;
}

static void filters_add(struct filters *fs, const char *key, const char *value)
{
	fs->kv = xreallocarray(fs->kv, fs->n + 1, sizeof(*fs->kv));
	fs->kv[fs->n++] = xasprintf("%s=%s", key, value);
}

int req_filters(struct resp *rs, const struct request *rq, struct filters *fs)
{
	cleanup_free char *text = req_query(rq, "filters");
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *key, *v;

	memset(fs, 0, sizeof(*fs));
	if (!text || !*text)
		return 0;
	doc = cJSON_Parse(text);
	if (!cJSON_IsObject(doc)) {
		resp_error(rs, 400, "invalid filters '%s': expected a JSON object of lists", text);
		return -1;
	}
	cJSON_ArrayForEach (key, doc) {
		/* {"label": ["a=b"]}, or the older {"label": {"a=b": true}} */
		if (!cJSON_IsArray(key) && !cJSON_IsObject(key)) {
			filters_free(fs);
			resp_error(rs, 400, "invalid filters: '%s' is not a list", key->string);
			return -1;
		}
		cJSON_ArrayForEach (v, key) {
			if (cJSON_IsString(v))
				filters_add(fs, key->string, v->valuestring);
			else if (v->string && cJSON_IsTrue(v))
				filters_add(fs, key->string, v->string);
		}
	}
	return 0;
}

void filters_free(struct filters *fs)
{
	for (unsigned i = 0; i < fs->n; i++)
		free(fs->kv[i]);
	free(fs->kv);
	memset(fs, 0, sizeof(*fs));
}
