/* /images, /networks, /volumes. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "apid.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl/lib/bclient.h"
#include "proto/tags.h"

/* type on daemon d with TAG_REF ref (and TAG_NAME name, TAG_JSON json when given). */
static int call(struct apid *a, struct resp *rs, enum berth_daemon d, uint16_t type,
		const char *ref, const char *name, const cJSON *json, cJSON **out)
{
	struct err err = ERR_INIT;
	struct pbuf pb;

	pb_init(&pb);
	if (ref)
		pb_put_str(&pb, TAG_REF, ref);
	if (name)
		pb_put_str(&pb, TAG_NAME, name);
	if (json) {
		cleanup_free char *text = cJSON_PrintUnformatted(json);

		pb_put_str(&pb, TAG_JSON, text);
	}
	if (bc_call(&a->paths, d, type, &pb, out, NULL, NULL, &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return -1;
	}
	return 0;
}

/* call, then its answer as the response body */
static void call_reply(struct apid *a, struct resp *rs, enum berth_daemon d, uint16_t type,
		       const char *ref)
{
	cleanup_cjson cJSON *out = NULL;

	if (call(a, rs, d, type, ref, NULL, NULL, &out) == 0)
		resp_json(rs, 200, out);
}

/* ---- images ---- */

void h_img_list(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *all = NULL, *out = cJSON_CreateArray();
	bool show_all = req_query_bool(rq, "all", false);
	const cJSON *i;

	(void)arg;
	if (call(a, rs, DAEMON_IMAGED, MSG_IMAGE_LIST, NULL, NULL, NULL, &all) < 0)
		return;
	cJSON_ArrayForEach (i, all) {
		cJSON *o;
		struct tm tm = {0};
		const char *created = cJSON_GetStringValue(cJSON_GetObjectItem(i, "Created"));

		if (!show_all && cJSON_IsTrue(cJSON_GetObjectItem(i, "Intermediate")))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "Id", cJSON_Duplicate(cJSON_GetObjectItem(i, "Id"), true));
		cJSON_AddStringToObject(o, "ParentId", "");
		cJSON_AddItemToObject(o, "RepoTags",
				      cJSON_Duplicate(cJSON_GetObjectItem(i, "RepoTags"), true));
		cJSON_AddItemToObject(o, "RepoDigests",
				      cJSON_Duplicate(cJSON_GetObjectItem(i, "RepoDigests"), true));
		cJSON_AddNumberToObject(o, "Created",
					created && strptime(created, "%Y-%m-%dT%H:%M:%S", &tm)
					    ? (double)timegm(&tm)
					    : 0);
		cJSON_AddItemToObject(o, "Size",
				      cJSON_Duplicate(cJSON_GetObjectItem(i, "Size"), true));
		cJSON_AddNumberToObject(o, "SharedSize", -1);
		cJSON_AddNumberToObject(o, "VirtualSize",
					cJSON_GetNumberValue(cJSON_GetObjectItem(i, "Size")));
		cJSON_AddItemToObject(o, "Labels", cJSON_CreateObject());
		cJSON_AddNumberToObject(o, "Containers", -1);
		cJSON_AddItemToArray(out, o);
	}
	resp_json(rs, 200, out);
}

void h_img_inspect(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)rq;
	call_reply(a, rs, DAEMON_IMAGED, MSG_IMAGE_INSPECT, arg[0]);
}

void h_img_history(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)rq;
	call_reply(a, rs, DAEMON_IMAGED, MSG_IMAGE_HISTORY, arg[0]);
}

void h_img_tag(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_free char *repo = req_query(rq, "repo"), *tag = req_query(rq, "tag");
	cleanup_free char *target = NULL;

	if (!repo || !*repo) {
		resp_error(rs, 400, "tag needs ?repo=NAME");
		return;
	}
	target = tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
	if (call(a, rs, DAEMON_IMAGED, MSG_IMAGE_TAG, arg[0], target, NULL, NULL) == 0)
		resp_empty(rs, 201);
}

void h_img_remove(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *out = NULL, *docker = cJSON_CreateArray();
	struct err err = ERR_INIT;
	struct pbuf pb;
	const cJSON *l;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, arg[0]);
	pb_put_u32(&pb, TAG_FORCE, req_query_bool(rq, "force", false));
	if (bc_call(&a->paths, DAEMON_IMAGED, MSG_IMAGE_REMOVE, &pb, &out, NULL, NULL, &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	/* imaged says "Untagged: x" and "Deleted: sha256:..." as the CLI prints them */
	cJSON_ArrayForEach (l, out) {
		const char *s = cJSON_GetStringValue(l);
		cJSON *o;

		if (!s)
			continue;
		o = cJSON_CreateObject();
		if (!strncmp(s, "Untagged: ", 10))
			cJSON_AddStringToObject(o, "Untagged", s + 10);
		else if (!strncmp(s, "Deleted: ", 9))
			cJSON_AddStringToObject(o, "Deleted", s + 9);
		else
			cJSON_AddStringToObject(o, "Deleted", s);
		cJSON_AddItemToArray(docker, o);
	}
	resp_json(rs, 200, docker);
}

/* ---- pull: a JSON progress stream ---- */

struct pull_sink {
	struct resp *rs;
	bool broken;
};

/*
 * imaged's progress lines are what berth pull prints ("<id>: Pulling fs
 * layer", "Digest: ...", "Status: ..."); Docker's stream has them as
 * {"status": ..., "id": ...} objects.
 */
static void pull_line(const char *line, void *arg)
{
	struct pull_sink *s = arg;
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	cleanup_free char *text = NULL, *chunk = NULL;
	const char *colon = strstr(line, ": ");
	size_t idlen = colon ? (size_t)(colon - line) : 0;

	if (s->broken)
		return;
	if (colon && idlen == 12 && strspn(line, "0123456789abcdef") == 12) {
		char id[13];

		memcpy(id, line, 12);
		id[12] = '\0';
		cJSON_AddStringToObject(o, "status", colon + 2);
		cJSON_AddStringToObject(o, "id", id);
	} else {
		cJSON_AddStringToObject(o, "status", line);
	}
	text = cJSON_PrintUnformatted(o);
	chunk = xasprintf("%s\r\n", text);
	if (resp_chunk(s->rs, chunk, strlen(chunk)) < 0)
		s->broken = true;
}

static void stream_error(struct resp *rs, const struct err *err)
{
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	cleanup_free char *text = NULL, *chunk = NULL;

	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "errorDetail"), "message", err_msg(err));
	cJSON_AddStringToObject(o, "error", err_msg(err));
	text = cJSON_PrintUnformatted(o);
	chunk = xasprintf("%s\r\n", text);
	resp_chunk(rs, chunk, strlen(chunk));
}

/* X-Registry-Auth: base64url JSON {"username","password"} into base64 "user:password". */
static char *registry_auth(const struct request *rq)
{
	const char *h = req_header(rq, "X-Registry-Auth");
	cleanup_free char *std = NULL, *json = NULL, *pair = NULL;
	cleanup_cjson cJSON *doc = NULL;
	const char *u, *p;
	size_t n, out;
	char *b64;

	if (!h || !*h)
		return NULL;
	n = strlen(h);
	std = xmalloc(n + 4);
	for (size_t i = 0; i < n; i++)
		std[i] = h[i] == '-' ? '+' : h[i] == '_' ? '/' : h[i];
	while (n % 4)
		std[n++] = '=';
	std[n] = '\0';
	json = xmalloc(n);
	out = (size_t)EVP_DecodeBlock((unsigned char *)json, (const unsigned char *)std, (int)n);
	if ((int)out < 0)
		return NULL;
	while (out && json[out - 1] == '\0')
		out--;
	doc = cJSON_ParseWithLength(json, out);
	u = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "username"));
	p = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "password"));
	if (!u || !p || !*u)
		return NULL;
	pair = xasprintf("%s:%s", u, p);
	b64 = xmalloc(4 * ((strlen(pair) + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)pair, (int)strlen(pair));
	explicit_bzero(pair, strlen(pair));
	return b64;
}

void h_img_create(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_free char *from = req_query(rq, "fromImage"), *tag = req_query(rq, "tag");
	cleanup_free char *platform = req_query(rq, "platform"), *ref = NULL, *auth = NULL;
	struct pull_sink sink = {.rs = rs};
	struct err err = ERR_INIT;
	struct bc_pull pull = {.on_line = pull_line, .arg = &sink};

	(void)arg;
	if (!from || !*from) {
		resp_error(rs, 400,
			   "images/create needs fromImage (importing from a source is "
			   "not supported)");
		return;
	}
	if (tag && *tag)
		ref = xasprintf("%s%s%s", from,
				tag[0] == 's' && !strncmp(tag, "sha256:", 7) ? "@" : ":", tag);
	else
		ref = xstrdup(from);
	pull.ref = ref;
	pull.platform = platform && *platform ? platform : NULL;
	pull.auth = auth = registry_auth(rq);
	if (resp_stream_begin(rs, 200, "application/json") < 0)
		return;
	if (bc_pull(&a->paths, &pull, &err) < 0) {
		stream_error(rs, &err);
		err_clear(&err);
	}
	if (auth)
		explicit_bzero(auth, strlen(auth));
	if (!sink.broken)
		resp_stream_end(rs);
}

/* ---- networks ---- */

void h_net_list(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)rq;
	(void)arg;
	call_reply(a, rs, DAEMON_NETD, MSG_NETWORK_LIST, NULL);
}

void h_net_inspect(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)rq;
	call_reply(a, rs, DAEMON_NETD, MSG_NETWORK_INSPECT, arg[0]);
}

void h_net_create(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *body = body_json(rs, rq), *req = NULL, *out = NULL, *o = NULL;
	const char *name, *driver;
	const cJSON *ipam;

	(void)arg;
	if (!body)
		return;
	name = cJSON_GetStringValue(cJSON_GetObjectItem(body, "Name"));
	driver = cJSON_GetStringValue(cJSON_GetObjectItem(body, "Driver"));
	if (!name || !*name) {
		resp_error(rs, 400, "Name: a network needs a name");
		return;
	}
	if (driver && *driver && strcmp(driver, "bridge")) {
		resp_error(rs, 400, "Driver: only bridge networks are supported (not '%s')",
			   driver);
		return;
	}
	req = cJSON_CreateObject();
	ipam =
	    cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(body, "IPAM"), "Config"), 0);
	if (cJSON_GetStringValue(cJSON_GetObjectItem(ipam, "Subnet")))
		cJSON_AddStringToObject(req, "Subnet",
					cJSON_GetObjectItem(ipam, "Subnet")->valuestring);
	if (cJSON_GetStringValue(cJSON_GetObjectItem(ipam, "Gateway")))
		cJSON_AddStringToObject(req, "Gateway",
					cJSON_GetObjectItem(ipam, "Gateway")->valuestring);
	if (cJSON_IsTrue(cJSON_GetObjectItem(body, "Internal")))
		cJSON_AddBoolToObject(req, "Internal", true);
	cJSON_AddItemToObject(req, "Labels",
			      cJSON_Duplicate(cJSON_GetObjectItem(body, "Labels"), true)
				  ?: cJSON_CreateObject());
	if (call(a, rs, DAEMON_NETD, MSG_NETWORK_CREATE, NULL, name, req, &out) < 0)
		return;
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "Id",
			      cJSON_Duplicate(cJSON_GetObjectItem(out, "Id"), true)
				  ?: cJSON_CreateString(name));
	cJSON_AddStringToObject(o, "Warning", "");
	resp_json(rs, 201, o);
}

void h_net_remove(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)rq;
	if (call(a, rs, DAEMON_NETD, MSG_NETWORK_REMOVE, arg[0], NULL, NULL, NULL) == 0)
		resp_empty(rs, 204);
}

/* ---- volumes ---- */

void h_vol_list(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *out = NULL, *o = cJSON_CreateObject();

	(void)rq;
	(void)arg;
	if (call(a, rs, DAEMON_CONTAINERD, MSG_VOLUME_LIST, NULL, NULL, NULL, &out) < 0)
		return;
	cJSON_AddItemToObject(o, "Volumes", out);
	out = NULL;
	cJSON_AddItemToObject(o, "Warnings", cJSON_CreateArray());
	resp_json(rs, 200, o);
}

void h_vol_inspect(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)rq;
	call_reply(a, rs, DAEMON_CONTAINERD, MSG_VOLUME_INSPECT, arg[0]);
}

void h_vol_create(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *body = body_json(rs, rq), *req = NULL, *out = NULL;
	const char *name, *driver;

	(void)arg;
	if (!body)
		return;
	name = cJSON_GetStringValue(cJSON_GetObjectItem(body, "Name"));
	driver = cJSON_GetStringValue(cJSON_GetObjectItem(body, "Driver"));
	if (driver && *driver && strcmp(driver, "local")) {
		resp_error(rs, 400, "Driver: only local volumes are supported (not '%s')", driver);
		return;
	}
	req = cJSON_CreateObject();
	cJSON_AddItemToObject(req, "Labels",
			      cJSON_Duplicate(cJSON_GetObjectItem(body, "Labels"), true)
				  ?: cJSON_CreateObject());
	if (call(a, rs, DAEMON_CONTAINERD, MSG_VOLUME_CREATE, NULL, name && *name ? name : NULL,
		 req, &out) == 0)
		resp_json(rs, 201, out);
}

void h_vol_remove(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)rq;
	if (call(a, rs, DAEMON_CONTAINERD, MSG_VOLUME_REMOVE, arg[0], NULL, NULL, NULL) == 0)
		resp_empty(rs, 204);
}
