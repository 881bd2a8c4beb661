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
#include "ctl/lib/bc_filter.h"
#include "ctl/lib/bc_imgfilter.h"
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

static void add_default(cJSON *o, const char *key, cJSON *v)
{
	if (cJSON_GetObjectItem(o, key))
		cJSON_Delete(v);
	else
		cJSON_AddItemToObject(o, key, v);
}

/* The image's repo@digest names whose repository some reference= pattern matches. */
static cJSON *digests_matching(const cJSON *img, const char *const *refs, unsigned nrefs)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *d;

	cJSON_ArrayForEach (d, cJSON_GetObjectItem(img, "RepoDigests")) {
		cleanup_free char *repo = xstrndup(d->valuestring, strcspn(d->valuestring, "@"));
		bool hit = !nrefs;

		for (unsigned k = 0; k < nrefs && !hit; k++)
			hit = bc_image_ref_match(refs[k], repo);
		if (hit)
			cJSON_AddItemToArray(out, cJSON_CreateString(d->valuestring));
	}
	return out;
}

/* An image as GET /images/json has it; tags and digests are taken. */
static cJSON *img_summary(const cJSON *i, cJSON *tags, cJSON *digests)
{
	const char *created = cJSON_GetStringValue(cJSON_GetObjectItem(i, "Created"));
	const cJSON *used = cJSON_GetObjectItem(i, "Containers");
	cJSON *o = cJSON_CreateObject();
	struct tm tm = {0};

	cJSON_AddItemToObject(o, "Id", cJSON_Duplicate(cJSON_GetObjectItem(i, "Id"), true));
	cJSON_AddStringToObject(o, "ParentId", "");
	cJSON_AddItemToObject(o, "RepoTags", tags);
	cJSON_AddItemToObject(o, "RepoDigests", digests);
	cJSON_AddNumberToObject(
	    o, "Created",
	    created && strptime(created, "%Y-%m-%dT%H:%M:%S", &tm) ? (double)timegm(&tm) : 0);
	cJSON_AddItemToObject(o, "Size", cJSON_Duplicate(cJSON_GetObjectItem(i, "Size"), true));
	cJSON_AddNumberToObject(o, "SharedSize", -1);
	cJSON_AddNumberToObject(o, "VirtualSize",
				cJSON_GetNumberValue(cJSON_GetObjectItem(i, "Size")));
	cJSON_AddItemToObject(o, "Labels",
			      cJSON_Duplicate(cJSON_GetObjectItem(i, "Labels"), true)
				  ?: cJSON_CreateObject());
	cJSON_AddNumberToObject(o, "Containers", used ? used->valuedouble : -1);
	return o;
}

void h_img_list(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *all = NULL, *out = cJSON_CreateArray();
	bool show_all = req_query_bool(rq, "all", false);
	struct bc_img_filters fs;
	struct err err = ERR_INIT;
	struct filters f;
	const cJSON *i;

	(void)arg;
	bc_img_filters_init(&fs);
	if (req_filters(rs, rq, &f) < 0)
		return;
	for (unsigned k = 0; k < f.n; k++)
		if (bc_img_filter_add(&fs, f.kv[k], &err) < 0)
			goto bad;
	if (call(a, rs, DAEMON_IMAGED, MSG_IMAGE_LIST, NULL, NULL, NULL, &all) < 0) {
		filters_free(&f);
		return;
	}
	if (bc_img_filter_resolve(&fs, all, &err) < 0)
		goto bad;
	cJSON_ArrayForEach (i, all) {
		cJSON *tags = cJSON_CreateArray();
		const cJSON *t;

		if ((!show_all && cJSON_IsTrue(cJSON_GetObjectItem(i, "Intermediate"))) ||
		    !bc_img_filter_image(&fs, i)) {
			cJSON_Delete(tags);
			continue;
		}
		/* reference=: the image's matching tags only, as Docker lists them */
		cJSON_ArrayForEach (t, cJSON_GetObjectItem(i, "RepoTags"))
			if (bc_img_filter_tag(&fs, t->valuestring))
				cJSON_AddItemToArray(tags, cJSON_CreateString(t->valuestring));
		if (fs.nrefs && !cJSON_GetArraySize(tags)) {
			cJSON_Delete(tags);
			continue;
		}
		cJSON_AddItemToArray(out,
				     img_summary(i, tags, digests_matching(i, fs.refs, fs.nrefs)));
	}
	filters_free(&f);
	resp_json(rs, 200, out);
	return;
bad:
	resp_error(rs, err.code == ENOENT ? 404 : 400, "%s", err_msg(&err));
	err_clear(&err);
	filters_free(&f);
}

/* What Docker's image inspect always has, for clients of API < 1.45 (compose 1.29). */
static void img_view(cJSON *i)
{
	const cJSON *cfg = cJSON_GetObjectItem(i, "Config");
	cJSON *gd;

	add_default(i, "ContainerConfig", cfg ? cJSON_Duplicate(cfg, true) : cJSON_CreateObject());
	add_default(i, "Parent", cJSON_CreateString(""));
	add_default(i, "Comment", cJSON_CreateString(""));
	add_default(i, "Container", cJSON_CreateString(""));
	add_default(i, "DockerVersion", cJSON_CreateString(""));
	add_default(i, "VirtualSize",
		    cJSON_CreateNumber(cJSON_GetNumberValue(cJSON_GetObjectItem(i, "Size"))));
	if (!cJSON_GetObjectItem(i, "GraphDriver")) {
		gd = cJSON_AddObjectToObject(i, "GraphDriver");
		cJSON_AddStringToObject(gd, "Name", "overlay2");
		cJSON_AddObjectToObject(gd, "Data");
	}
	add_default(i, "Metadata", cJSON_CreateObject());
}

void h_img_inspect(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *out = NULL;

	(void)rq;
	if (call(a, rs, DAEMON_IMAGED, MSG_IMAGE_INSPECT, arg[0], NULL, NULL, &out) < 0)
		return;
	img_view(out);
	resp_json(rs, 200, out);
}

/* Docker's history: Created in Unix seconds, an Id (the image's for the top entry), Tags. */
/*
 * docker search asks a registry's index (Docker Hub's /v1/search); the
 * distribution API berth pulls and pushes with has no search. Say so, rather
 * than a 405 that reads like a client error.
 */
void h_img_search(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_free char *term = req_query(rq, "term");

	resp_error(rs, 501,
		   "search is not supported: berth talks to registries through the distribution "
		   "API, which has no search (asked for '%s')",
		   term ? term : "");
}

void h_img_history(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *out = NULL;
	cJSON *e;

	(void)rq;
	if (call(a, rs, DAEMON_IMAGED, MSG_IMAGE_HISTORY, arg[0], NULL, NULL, &out) < 0)
		return;
	cJSON_ArrayForEach (e, out) {
		const char *created = cJSON_GetStringValue(cJSON_GetObjectItem(e, "Created"));
		struct tm tm = {0};
		double t = created && strptime(created, "%Y-%m-%dT%H:%M:%S", &tm)
			       ? (double)timegm(&tm)
			       : 0;

		cJSON_ReplaceItemInObject(e, "Created", cJSON_CreateNumber(t));
		if (!cJSON_GetObjectItem(e, "Id"))
			cJSON_AddStringToObject(e, "Id", "<missing>");
		if (!cJSON_GetObjectItem(e, "Tags"))
			cJSON_AddNullToObject(e, "Tags");
	}
	resp_json(rs, 200, out);
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
	bool begun, broken;
};

/* The stream starts with the first line: a pull or push failing before has its own status. */
static bool sink_begin(struct pull_sink *s)
{
	if (!s->begun && !s->broken) {
		s->begun = true;
		s->broken = resp_stream_begin(s->rs, 200, "application/json") < 0;
	}
	return !s->broken;
}

/* After a pull or push: its error as a status before the stream, in the stream after. */
static void sink_end(struct pull_sink *s, int rc, struct err *err)
{
	if (rc < 0 && !s->begun) {
		resp_err(s->rs, err);
		err_clear(err);
		return;
	}
	if (!sink_begin(s))
		return;
	if (rc < 0) {
		resp_stream_error(s->rs, err);
		err_clear(err);
	}
	if (!s->broken)
		resp_stream_end(s->rs);
}

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

	if (!sink_begin(s))
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
	if (resp_message(s->rs, o) < 0)
		s->broken = true;
}

/* A header of base64url JSON (X-Registry-Auth, X-Registry-Config), parsed; NULL when it is not. */
static cJSON *b64url_json(const char *h)
{
	cleanup_free char *std = NULL, *json = NULL;
	size_t n, out;

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
	return cJSON_ParseWithLength(json, out);
}

/* Docker's auth config {"username","password"} (or its "auth") as base64 "user:password". */
static char *auth_of(const cJSON *cfg)
{
	const char *u = cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "username"));
	const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "password"));
	const char *auth = cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "auth"));
	cleanup_free char *pair = NULL;
	char *b64;

	if (u && p && *u) {
		pair = xasprintf("%s:%s", u, p);
		b64 = b64_encode(pair);
		explicit_bzero(pair, strlen(pair));
		return b64;
	}
	return auth && *auth ? xstrdup(auth) : NULL;
}

/* X-Registry-Auth: the credentials of one pull or push. */
static char *registry_auth(const struct request *rq)
{
	cleanup_cjson cJSON *doc = b64url_json(req_header(rq, "X-Registry-Auth"));

	return doc ? auth_of(doc) : NULL;
}

/*
 * X-Registry-Config (docker build): {"SERVER": auth config, ...} as
 * {"REGISTRY": base64 "user:password"}, the registry as image names spell
 * it (https://index.docker.io/v1/ is docker.io).
 */
cJSON *req_registry_config(const struct request *rq)
{
	cleanup_cjson cJSON *doc = b64url_json(req_header(rq, "X-Registry-Config"));
	cJSON *out = cJSON_CreateObject();
	const cJSON *cfg;

	cJSON_ArrayForEach (cfg, doc) {
		const char *k = cfg->string, *s = strstr(k, "://"), *reg;
		cleanup_free char *host = NULL, *auth = auth_of(cfg);

		host = xstrndup(s ? s + 3 : k, strcspn(s ? s + 3 : k, "/"));
		reg = !strcmp(host, "index.docker.io") || !strcmp(host, "registry-1.docker.io")
			  ? "docker.io"
			  : host;
		if (auth && !cJSON_GetObjectItem(out, reg))
			cJSON_AddStringToObject(out, reg, auth);
		if (auth)
			explicit_bzero(auth, strlen(auth));
	}
	return out;
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
		cleanup_free char *src = req_query(rq, "fromSrc");

		if (src && *src)
			h_img_import(a, rs, rq, src);
		else
			resp_error(rs, 400, "images/create needs fromImage or fromSrc");
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
	sink_end(&sink, bc_pull(&a->paths, &pull, &err), &err);
	if (auth)
		explicit_bzero(auth, strlen(auth));
}

/* POST /images/NAME/push?tag=T: the push's progress as Docker's JSON stream. */
void h_img_push(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_free char *tag = req_query(rq, "tag"), *ref = NULL, *auth = registry_auth(rq);
	struct pull_sink sink = {.rs = rs};
	struct err err = ERR_INIT;

	ref = tag && *tag ? xasprintf("%s:%s", arg[0], tag) : xstrdup(arg[0]);
	sink_end(&sink, bc_push(&a->paths, ref, auth, pull_line, &sink, &err), &err);
	if (auth)
		explicit_bzero(auth, strlen(auth));
}

/* ---- networks ---- */

/*
 * A network as Docker shows it: the bridge name netd chose itself is not an
 * option the user gave (compose compares options to its file), and the
 * fields Docker always has are there.
 */
static void net_view(cJSON *n)
{
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(n, "Id")) ?: "";
	cJSON *opts = cJSON_GetObjectItem(n, "Options"), *ipam = cJSON_GetObjectItem(n, "IPAM");
	const char *br =
	    cJSON_GetStringValue(cJSON_GetObjectItem(opts, "com.docker.network.bridge.name"));
	char own[16];

	snprintf(own, sizeof(own), "br-%.12s", id);
	if (br && !strcmp(br, own))
		cJSON_DeleteItemFromObject(opts, "com.docker.network.bridge.name");
	add_default(n, "Scope", cJSON_CreateString("local"));
	add_default(n, "EnableIPv6", cJSON_CreateFalse());
	add_default(n, "Attachable", cJSON_CreateFalse());
	add_default(n, "Ingress", cJSON_CreateFalse());
	add_default(n, "ConfigOnly", cJSON_CreateFalse());
	if (ipam) {
		add_default(ipam, "Driver", cJSON_CreateString("default"));
		add_default(ipam, "Options", cJSON_CreateObject());
	}
}

/* Nothing uses it: a volume no container has, a network (not bridge, host or none) without any. */
static bool dangling(const cJSON *o)
{
	const cJSON *in_use = cJSON_GetObjectItem(o, "InUse");
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(o, "Name")) ?: "";

	if (in_use)
		return !cJSON_IsTrue(in_use);
	if (!strcmp(name, "bridge") || !strcmp(name, "host") || !strcmp(name, "none"))
		return false;
	return cJSON_GetArraySize(cJSON_GetObjectItem(o, "Containers")) == 0;
}

/* A network or volume filter: name (part of), id (prefix), label, driver, dangling, scope, type. */
static bool object_match(const cJSON *o, const char *kv, bool *known)
{
	const char *v = strchr(kv, '=') + 1;
	size_t k = (size_t)(v - 1 - kv);
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(o, "Name")) ?: "";
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(o, "Id")) ?: "";
	const char *driver = cJSON_GetStringValue(cJSON_GetObjectItem(o, "Driver")) ?: "";

	*known = true;
	if (k == 4 && !strncmp(kv, "name", 4))
		return strstr(name, v) != NULL;
	if (k == 2 && !strncmp(kv, "id", 2))
		return *v && !strncmp(id, v, strlen(v));
	if (k == 5 && !strncmp(kv, "label", 5))
		return bc_labels_match(cJSON_GetObjectItem(o, "Labels"), v);
	if (k == 6 && !strncmp(kv, "driver", 6))
		return !strcmp(driver, v);
	if (k == 8 && !strncmp(kv, "dangling", 8) && bc_filter_bool(v) >= 0)
		return dangling(o) == bc_filter_bool(v);
	if (k == 5 && !strncmp(kv, "scope", 5))
		return !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "Scope")) ?: "local", v);
	/* networks: the ones every engine has (bridge, host, none), or those made */
	if (k == 4 && !strncmp(kv, "type", 4) && (!strcmp(v, "builtin") || !strcmp(v, "custom")))
		return (!strcmp(name, "bridge") || !strcmp(name, "host") ||
			!strcmp(name, "none")) == !strcmp(v, "builtin");
	*known = false;
	return false;
}

/*
 * Keep the entries of list that pass filters (values of one key: any; keys:
 * all); -1 after answering 400 for a key we do not know.
 */
static int filter_objects(struct resp *rs, const struct filters *f, cJSON *list)
{
	cJSON *o = list ? list->child : NULL, *next;

	for (; o; o = next) {
		bool keep = true;

		next = o->next;
		for (unsigned i = 0; i < f->n && keep; i++) {
			size_t klen = (size_t)(strchr(f->kv[i], '=') - f->kv[i]);
			bool any = false, known = true;

			for (unsigned j = 0; j < f->n; j++) {
				if (strncmp(f->kv[i], f->kv[j], klen + 1))
					continue;
				any = any || object_match(o, f->kv[j], &known);
				if (!known) {
					resp_error(rs, 400,
						   "invalid filter '%s': use name, id, label, "
						   "driver, scope, type (custom or builtin) or "
						   "dangling (true or false)",
						   f->kv[j]);
					return -1;
				}
			}
			keep = any;
		}
		if (!keep)
			cJSON_Delete(cJSON_DetachItemViaPointer(list, o));
	}
	return 0;
}

void h_net_list(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *out = NULL;
	struct filters f;
	cJSON *n;

	(void)arg;
	if (req_filters(rs, rq, &f) < 0)
		return;
	if (call(a, rs, DAEMON_NETD, MSG_NETWORK_LIST, NULL, NULL, NULL, &out) == 0 &&
	    filter_objects(rs, &f, out) == 0) {
		cJSON_ArrayForEach (n, out)
			net_view(n);
		resp_json(rs, 200, out);
	}
	filters_free(&f);
}

void h_net_inspect(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *out = NULL;

	(void)rq;
	if (call(a, rs, DAEMON_NETD, MSG_NETWORK_INSPECT, arg[0], NULL, NULL, &out) < 0)
		return;
	net_view(out);
	resp_json(rs, 200, out);
}

/* POST /networks/ID/connect and disconnect: {"Container": ..., "EndpointConfig": {...}} */
static void net_connect(struct apid *a, struct resp *rs, const struct request *rq,
			const char *network, uint16_t type)
{
	cleanup_cjson cJSON *body = body_json(rs, rq), *out = NULL, *opts = NULL;
	const char *ctr, *ip;
	const cJSON *aliases;

	if (!body)
		return;
	ctr = cJSON_GetStringValue(cJSON_GetObjectItem(body, "Container"));
	if (!ctr || !*ctr) {
		resp_error(rs, 400, "Container: the container to connect is missing");
		return;
	}
	aliases = cJSON_GetObjectItem(cJSON_GetObjectItem(body, "EndpointConfig"), "Aliases");
	ip = cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(body, "EndpointConfig"), "IPAMConfig"),
	    "IPv4Address"));
	if (type == MSG_CONTAINER_CONNECT && (cJSON_IsArray(aliases) || (ip && *ip))) {
		opts = cJSON_CreateObject();
		if (cJSON_IsArray(aliases))
			cJSON_AddItemToObject(opts, "Aliases", cJSON_Duplicate(aliases, true));
		if (ip && *ip)
			cJSON_AddStringToObject(opts, "IPv4Address", ip);
	}
	if (call(a, rs, DAEMON_CONTAINERD, type, ctr, network, opts, &out) == 0)
		resp_empty(rs, 200);
}

void h_net_connect(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	net_connect(a, rs, rq, arg[0], MSG_CONTAINER_CONNECT);
}

void h_net_disconnect(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	net_connect(a, rs, rq, arg[0], MSG_CONTAINER_DISCONNECT);
}

/* What docker network create can ask and berth's bridge networks do not have: refused, not dropped.
 */
static const char *net_unsupported(const cJSON *body)
{
	const cJSON *ipam = cJSON_GetObjectItem(body, "IPAM"),
		    *cfg = cJSON_GetObjectItem(ipam, "Config");
	const char *ipam_driver = cJSON_GetStringValue(cJSON_GetObjectItem(ipam, "Driver"));
	const cJSON *first = cJSON_GetArrayItem(cfg, 0);

	if (cJSON_IsTrue(cJSON_GetObjectItem(body, "EnableIPv6")))
		return "--ipv6: IPv6 networks are not supported";
	if (cJSON_IsTrue(cJSON_GetObjectItem(body, "Ingress")) ||
	    cJSON_IsTrue(cJSON_GetObjectItem(body, "ConfigOnly")) ||
	    cJSON_GetObjectItem(cJSON_GetObjectItem(body, "ConfigFrom"), "Network"))
		return "--ingress, --config-only and --config-from are for swarm, which berth is "
		       "not";
	if (ipam_driver && *ipam_driver && strcmp(ipam_driver, "default"))
		return "--ipam-driver: only the default IPAM driver is supported";
	if (cJSON_GetArraySize(cfg) > 1)
		return "one subnet per network: berth's networks are IPv4 with a single subnet";
	if (cJSON_GetStringValue(cJSON_GetObjectItem(first, "IPRange")) &&
	    *cJSON_GetObjectItem(first, "IPRange")->valuestring)
		return "--ip-range is not supported: addresses come from the whole subnet";
	if (cJSON_GetArraySize(cJSON_GetObjectItem(first, "AuxiliaryAddresses")) > 0)
		return "--aux-address is not supported";
	if (cJSON_GetArraySize(cJSON_GetObjectItem(ipam, "Options")) > 0)
		return "--ipam-opt is not supported";
	if (cJSON_GetArraySize(cJSON_GetObjectItem(body, "Options")) > 0)
		return "network options (--opt) are not supported: berth names and sets up the "
		       "bridge "
		       "itself";
	return NULL;
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
	if (net_unsupported(body)) {
		resp_error(rs, 400, "%s", net_unsupported(body));
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
	struct filters f;
	int rc;

	(void)arg;
	if (req_filters(rs, rq, &f) < 0)
		return;
	rc = call(a, rs, DAEMON_CONTAINERD, MSG_VOLUME_LIST, NULL, NULL, NULL, &out);
	if (rc == 0)
		rc = filter_objects(rs, &f, out);
	filters_free(&f);
	if (rc < 0)
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
	/* the local driver's type=tmpfs/nfs mounts: not silently a plain directory */
	if (cJSON_GetArraySize(cJSON_GetObjectItem(body, "DriverOpts")) > 0) {
		resp_error(rs, 400,
			   "DriverOpts: volume options (--opt %s) are not supported: berth's local "
			   "volumes are directories on the host",
			   cJSON_GetObjectItem(body, "DriverOpts")->child->string);
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

/* GET /system/df: images, containers and volumes with their sizes, as docker system df reads them.
 */
void h_system_df(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *all = NULL, *out = cJSON_CreateObject();
	struct err err = ERR_INIT;
	cJSON *imgs, *ctrs, *vols;
	const cJSON *i;
	double layers = 0;

	(void)rq;
	(void)arg;
	if (bc_disk_usage(&a->paths, &all, &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	imgs = cJSON_AddArrayToObject(out, "Images");
	cJSON_ArrayForEach (i, cJSON_GetObjectItem(all, "Images")) {
		cJSON *o =
		    img_summary(i, cJSON_Duplicate(cJSON_GetObjectItem(i, "RepoTags"), true),
				cJSON_Duplicate(cJSON_GetObjectItem(i, "RepoDigests"), true));

		/* each image's layers are its own here: nothing shared (the CLI's reclaimable) */
		cJSON_ReplaceItemInObject(o, "SharedSize", cJSON_CreateNumber(0));
		layers += cJSON_GetNumberValue(cJSON_GetObjectItem(i, "Size"));
		cJSON_AddItemToArray(imgs, o);
	}
	cJSON_AddNumberToObject(out, "LayersSize", layers);
	ctrs = cJSON_AddArrayToObject(out, "Containers");
	cJSON_ArrayForEach (i, cJSON_GetObjectItem(all, "Containers"))
		cJSON_AddItemToArray(ctrs, ctr_summary(i));
	vols = cJSON_AddArrayToObject(out, "Volumes");
	cJSON_ArrayForEach (i, cJSON_GetObjectItem(all, "Volumes")) {
		cJSON *v = cJSON_Duplicate(i, true), *u = cJSON_CreateObject();

		cJSON_AddNumberToObject(u, "Size",
					cJSON_GetNumberValue(cJSON_GetObjectItem(i, "Size")));
		cJSON_AddNumberToObject(u, "RefCount",
					cJSON_IsTrue(cJSON_GetObjectItem(i, "InUse")) ? 1 : 0);
		cJSON_AddItemToObject(v, "UsageData", u);
		cJSON_AddItemToArray(vols, v);
	}
	cJSON_AddArrayToObject(out, "BuildCache");
	resp_json(rs, 200, out);
}
