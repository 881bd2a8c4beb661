/* /containers/...: create, list, inspect, the lifecycle, wait, logs. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apid.h"
#include "common/cleanup.h"
#include "common/signame.h"
#include "common/xalloc.h"
#include "ctl/lib/bc_text.h"
#include "ctl/lib/bc_filter.h"
#include "ctl/lib/bc_top.h"
#include "ctl/lib/bclient.h"
#include "proto/tags.h"

/* One call on a container: TAG_REF plus what fill adds; 204 or the error. */
static int ref_call(struct apid *a, struct resp *rs, uint16_t type, const char *ref,
		    struct pbuf *pb, cJSON **out)
{
	struct err err = ERR_INIT;
	struct pbuf own;

	if (!pb) {
		pb_init(&own);
		pb = &own;
	}
	pb_put_str(pb, TAG_REF, ref);
	if (bc_call(&a->paths, DAEMON_CONTAINERD, type, pb, out, NULL, NULL, &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return -1;
	}
	return 0;
}

static void set_string(cJSON *o, const char *key, const char *v)
{
	if (!v || !*v)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddStringToObject(o, key, v);
}

/*
 * NetworkingConfig.EndpointsConfig: for the container's own network
 * (HostConfig.NetworkMode), the aliases are berth's NetworkAliases, the
 * IPAMConfig's IPv4Address (--ip) and the MacAddress berth's keys of those
 * names in HostConfig.
 */
static void endpoint_config(cJSON *req, const cJSON *nc)
{
	cJSON *hc = cJSON_GetObjectItem(req, "HostConfig"), *to;
	const char *mode = cJSON_GetStringValue(cJSON_GetObjectItem(hc, "NetworkMode"));
	const cJSON *ep, *al;

	if (!hc)
		hc = cJSON_AddObjectToObject(req, "HostConfig");
	cJSON_ArrayForEach (ep, cJSON_GetObjectItem(nc, "EndpointsConfig")) {
		if (!mode || strcmp(ep->string, mode))
			continue;
		to = cJSON_GetObjectItem(hc, "NetworkAliases");
		if (!cJSON_IsArray(to)) {
			cJSON_DeleteItemFromObject(hc, "NetworkAliases");
			to = cJSON_AddArrayToObject(hc, "NetworkAliases");
		}
		cJSON_ArrayForEach (al, cJSON_GetObjectItem(ep, "Aliases"))
			if (cJSON_IsString(al))
				cJSON_AddItemToArray(to, cJSON_CreateString(al->valuestring));
		set_string(hc, "IPv4Address",
			   cJSON_GetStringValue(cJSON_GetObjectItem(
			       cJSON_GetObjectItem(ep, "IPAMConfig"), "IPv4Address")));
		set_string(hc, "MacAddress",
			   cJSON_GetStringValue(cJSON_GetObjectItem(ep, "MacAddress")));
	}
}

void h_ctr_create(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *body = body_json(rs, rq), *req = NULL, *o = NULL;
	cleanup_free char *name = req_query(rq, "name");
	struct bc_create cr = {.pull = "never"};
	struct err err = ERR_INIT;
	char id[65];
	cJSON *x;

	(void)arg;
	if (!body)
		return;
	if (!cJSON_IsString(cJSON_GetObjectItem(body, "Image")) ||
	    !*cJSON_GetObjectItem(body, "Image")->valuestring) {
		resp_error(rs, 400, "Config.Image: a container needs an image");
		return;
	}
	/* Docker's body is the Config with HostConfig and NetworkingConfig inside */
	req = cJSON_CreateObject();
	if (name && *name)
		cJSON_AddStringToObject(req, "Name", name);
	if ((x = cJSON_DetachItemFromObject(body, "HostConfig")))
		cJSON_AddItemToObject(req, "HostConfig", x);
	/* API before 1.44: the MAC address is in the Config */
	if (!cJSON_GetObjectItem(req, "HostConfig"))
		cJSON_AddObjectToObject(req, "HostConfig");
	set_string(cJSON_GetObjectItem(req, "HostConfig"), "MacAddress",
		   cJSON_GetStringValue(cJSON_GetObjectItem(body, "MacAddress")));
	if ((x = cJSON_DetachItemFromObject(body, "NetworkingConfig"))) {
		endpoint_config(req, x);
		cJSON_Delete(x);
	}
	cJSON_AddItemReferenceToObject(req, "Config", body);
	cr.req = req;
	if (bc_create(&a->paths, &cr, id, &err) < 0) {
		/*
		 * The docker CLI pulls on any 404 from create: only the missing image is
		 * one. Anything else not found (--volumes-from, --network container:,
		 * a network) is the request's fault, a 400.
		 */
		if (err.code == ENOENT && strstr(err_msg(&err), "no such image: "))
			resp_error(rs, 404, "No such image: %s",
				   cJSON_GetObjectItem(body, "Image")->valuestring);
		else
			resp_error(rs, err.code == ENOENT ? 400 : resp_status_of(err.code), "%s",
				   err_msg(&err));
		err_clear(&err);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Id", id);
	cJSON_AddItemToObject(o, "Warnings", cJSON_CreateArray());
	resp_json(rs, 201, o);
}

static double unix_time(const char *rfc3339)
{
	struct tm tm = {0};

	if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return (double)timegm(&tm);
}

/* berth's summary into Docker's /containers/json entry. */
cJSON *ctr_summary(const cJSON *k)
{
	cJSON *o = cJSON_CreateObject(), *ports = cJSON_CreateArray(), *hc, *nets;
	const cJSON *p;
	char status[128];

	cJSON_AddItemToObject(o, "Id", cJSON_Duplicate(cJSON_GetObjectItem(k, "Id"), true));
	cJSON_AddItemToObject(o, "Names", cJSON_Duplicate(cJSON_GetObjectItem(k, "Names"), true));
	cJSON_AddItemToObject(o, "Image", cJSON_Duplicate(cJSON_GetObjectItem(k, "Image"), true));
	cJSON_AddItemToObject(o, "ImageID",
			      cJSON_Duplicate(cJSON_GetObjectItem(k, "ImageID"), true));
	cJSON_AddItemToObject(o, "Command",
			      cJSON_Duplicate(cJSON_GetObjectItem(k, "Command"), true));
	cJSON_AddNumberToObject(o, "Created",
				unix_time(cJSON_GetStringValue(cJSON_GetObjectItem(k, "Created"))));
	cJSON_ArrayForEach (p, cJSON_GetObjectItem(k, "Ports")) {
		cJSON *e = cJSON_CreateObject();
		const char *ip = cJSON_GetStringValue(cJSON_GetObjectItem(p, "HostIp"));
		const char *proto = cJSON_GetStringValue(cJSON_GetObjectItem(p, "Proto"));

		cJSON_AddStringToObject(e, "IP", ip && *ip ? ip : "0.0.0.0");
		cJSON_AddNumberToObject(
		    e, "PrivatePort",
		    cJSON_GetNumberValue(cJSON_GetObjectItem(p, "ContainerPort")));
		cJSON_AddNumberToObject(e, "PublicPort",
					cJSON_GetNumberValue(cJSON_GetObjectItem(p, "HostPort")));
		cJSON_AddStringToObject(e, "Type", proto ? proto : "tcp");
		cJSON_AddItemToArray(ports, e);
	}
	cJSON_AddItemToObject(o, "Ports", ports);
	cJSON_AddItemToObject(o, "Labels", cJSON_Duplicate(cJSON_GetObjectItem(k, "Labels"), true));
	cJSON_AddItemToObject(o, "State", cJSON_Duplicate(cJSON_GetObjectItem(k, "State"), true));
	bc_ctr_status(k, status, sizeof(status));
	cJSON_AddStringToObject(o, "Status", status);
	if (cJSON_GetObjectItem(k, "SizeRw"))
		cJSON_AddItemToObject(o, "SizeRw",
				      cJSON_Duplicate(cJSON_GetObjectItem(k, "SizeRw"), true));
	hc = cJSON_AddObjectToObject(o, "HostConfig");
	cJSON_AddStringToObject(hc, "NetworkMode",
				cJSON_GetStringValue(cJSON_GetObjectItem(k, "NetworkMode"))
				    ?: "bridge");
	nets = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "NetworkSettings"), "Networks");
	cJSON_ArrayForEach (p, cJSON_GetObjectItem(k, "Networks")) {
		cJSON *e = cJSON_AddObjectToObject(
		    nets, cJSON_GetStringValue(cJSON_GetObjectItem(p, "Name")) ?: "");

		cJSON_AddItemToObject(e, "NetworkID",
				      cJSON_Duplicate(cJSON_GetObjectItem(p, "NetworkID"), true));
		cJSON_AddItemToObject(e, "IPAddress",
				      cJSON_Duplicate(cJSON_GetObjectItem(p, "IPAddress"), true));
	}
	cJSON_AddItemToObject(o, "Mounts",
			      cJSON_Duplicate(cJSON_GetObjectItem(k, "Mounts"), true)
				  ?: cJSON_CreateArray());
	return o;
}

void h_ctr_list(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *all = NULL, *out = cJSON_CreateArray();
	bool show_all = req_query_bool(rq, "all", false);
	long long limit = req_query_int(rq, "limit", -1);
	struct err err = ERR_INIT;
	struct filters f;
	struct bc_filters fs = {0};
	struct pbuf pb;
	const cJSON *k;

	(void)arg;
	if (req_filters(rs, rq, &f) < 0)
		return;
	for (unsigned i = 0; i < f.n; i++) {
		if (bc_filter_add(&fs, f.kv[i], &err) < 0) {
			resp_error(rs, 400, "%s", err_msg(&err));
			err_clear(&err);
			filters_free(&f);
			return;
		}
	}
	pb_init(&pb);
	if (req_query_bool(rq, "size", false))
		pb_put_u32(&pb, TAG_ALL, 1);
	if (bc_call(&a->paths, DAEMON_CONTAINERD, MSG_CONTAINER_LIST, &pb, &all, NULL, NULL, &err) <
	    0) {
		resp_err(rs, &err);
		err_clear(&err);
		filters_free(&f);
		return;
	}
	if (bc_filter_resolve(&fs, all, &err) < 0) {
		resp_error(rs, 404, "%s", err_msg(&err));
		err_clear(&err);
		filters_free(&f);
		return;
	}
	cJSON_ArrayForEach (k, all) {
		const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(k, "State"));

		if (limit >= 0 && cJSON_GetArraySize(out) >= limit)
			break;
		if (!show_all && !fs.has_status && limit < 0 && state && strcmp(state, "running") &&
		    strcmp(state, "paused") && strcmp(state, "restarting"))
			continue;
		if (!bc_filter_match(&fs, k))
			continue;
		cJSON_AddItemToArray(out, ctr_summary(k));
	}
	filters_free(&f);
	resp_json(rs, 200, out);
}

static cJSON *ensure_object(cJSON *parent, const char *key)
{
	cJSON *o = cJSON_GetObjectItem(parent, key);

	if (cJSON_IsObject(o))
		return o;
	cJSON_DeleteItemFromObject(parent, key);
	return cJSON_AddObjectToObject(parent, key);
}

/* What Docker's inspect always has and clients read without looking (the SDK's run does). */
static void inspect_defaults(cJSON *ctr)
{
	cJSON *hc = ensure_object(ctr, "HostConfig"), *cfg = ensure_object(ctr, "Config"), *o;

	if (!cJSON_GetObjectItem(hc, "LogConfig")) {
		o = cJSON_AddObjectToObject(hc, "LogConfig");
		cJSON_AddStringToObject(o, "Type", "json-file");
		cJSON_AddObjectToObject(o, "Config");
	}
	if (!cJSON_GetObjectItem(hc, "RestartPolicy")) {
		o = cJSON_AddObjectToObject(hc, "RestartPolicy");
		cJSON_AddStringToObject(o, "Name", "no");
		cJSON_AddNumberToObject(o, "MaximumRetryCount", 0);
	}
	if (!cJSON_GetObjectItem(hc, "NetworkMode"))
		cJSON_AddStringToObject(hc, "NetworkMode", "bridge");
	if (!cJSON_GetObjectItem(cfg, "Tty"))
		cJSON_AddFalseToObject(cfg, "Tty");
	if (!cJSON_GetObjectItem(cfg, "OpenStdin"))
		cJSON_AddFalseToObject(cfg, "OpenStdin");
}

void h_ctr_inspect(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *out = NULL;

	(void)rq;
	if (ref_call(a, rs, MSG_CONTAINER_INSPECT, arg[0], NULL, &out) < 0)
		return;
	inspect_defaults(out);
	resp_json(rs, 200, out);
}

/* containerd did nothing: it ran already (start), it did not run (stop): Docker's 304. */
static bool not_modified(const cJSON *out)
{
	return cJSON_IsTrue(cJSON_GetObjectItem(out, "NotModified"));
}

void h_ctr_start(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *out = NULL;
	struct err err = ERR_INIT;
	bool handed = false;

	(void)rq;
	if (attach_hand_start(a, arg[0], &err, &handed) || handed) {
		if (err_isset(&err)) {
			resp_err(rs, &err);
			err_clear(&err);
			return;
		}
		resp_empty(rs, 204);
		return;
	}
	if (ref_call(a, rs, MSG_CONTAINER_START, arg[0], NULL, &out) == 0)
		resp_empty(rs, not_modified(out) ? 304 : 204);
}

static void stop_like(struct apid *a, struct resp *rs, const struct request *rq, const char *ref,
		      uint16_t type)
{
	cleanup_cjson cJSON *out = NULL;
	long long t = req_query_int(rq, "t", -1);
	struct pbuf pb;

	pb_init(&pb);
	if (t >= 0)
		pb_put_u32(&pb, TAG_TIMEOUT, (uint32_t)t);
	if (ref_call(a, rs, type, ref, &pb, &out) == 0)
		resp_empty(rs, type == MSG_CONTAINER_STOP && not_modified(out) ? 304 : 204);
}

void h_ctr_stop(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	stop_like(a, rs, rq, arg[0], MSG_CONTAINER_STOP);
}

void h_ctr_restart(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	long long t = req_query_int(rq, "t", -1);
	struct pbuf pb;

	pb_init(&pb);
	if (t >= 0)
		pb_put_u32(&pb, TAG_TIMEOUT, (uint32_t)t);
	if (ref_call(a, rs, MSG_CONTAINER_STOP, arg[0], &pb, NULL) == 0 &&
	    ref_call(a, rs, MSG_CONTAINER_START, arg[0], NULL, NULL) == 0)
		resp_empty(rs, 204);
}

void h_ctr_kill(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_free char *sig = req_query(rq, "signal");
	int n = sig && *sig ? signal_parse(sig) : SIGKILL;
	struct pbuf pb;

	if (n < 0) {
		resp_error(rs, 400, "invalid signal '%s'", sig);
		return;
	}
	pb_init(&pb);
	pb_put_u32(&pb, TAG_SIGNAL, (uint32_t)n);
	if (ref_call(a, rs, MSG_CONTAINER_KILL, arg[0], &pb, NULL) == 0)
		resp_empty(rs, 204);
}

void h_ctr_remove(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_u32(&pb, TAG_FORCE, req_query_bool(rq, "force", false));
	if (req_query_bool(rq, "v", false))
		pb_put_u32(&pb, TAG_ALL, 1);
	if (ref_call(a, rs, MSG_CONTAINER_REMOVE, arg[0], &pb, NULL) == 0)
		resp_empty(rs, 204);
}

void h_ctr_rename(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_free char *name = req_query(rq, "name");
	struct pbuf pb;

	if (!name || !*name) {
		resp_error(rs, 400, "rename needs ?name=NEW");
		return;
	}
	pb_init(&pb);
	pb_put_str(&pb, TAG_NAME, name);
	if (ref_call(a, rs, MSG_CONTAINER_RENAME, arg[0], &pb, NULL) == 0)
		resp_empty(rs, 204);
}

void h_ctr_pause(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)rq;
	if (ref_call(a, rs, MSG_CONTAINER_PAUSE, arg[0], NULL, NULL) == 0)
		resp_empty(rs, 204);
}

void h_ctr_unpause(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)rq;
	if (ref_call(a, rs, MSG_CONTAINER_UNPAUSE, arg[0], NULL, NULL) == 0)
		resp_empty(rs, 204);
}

void h_ctr_top(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *out = NULL;
	cleanup_free char *args = req_query(rq, "ps_args");
	struct err err = ERR_INIT;

	/* docker top's ps options: berth reads /proc itself, in ps -ef's columns */
	if (args && *args && strcmp(args, "-ef") && strcmp(args, "ef")) {
		resp_error(rs, 400,
			   "ps options '%s' are not supported: berth's top lists UID PID PPID C "
			   "STIME TTY TIME CMD (ps -ef)",
			   args);
		return;
	}
	if (bc_top(&a->paths, arg[0], &out, &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	resp_json(rs, 200, out);
}

/* The headers go out at once (the CLI waits for them before it starts the container). */
void h_ctr_wait(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_free char *cond = req_query(rq, "condition");
	cleanup_cjson cJSON *out = NULL, *inspect = NULL, *o = cJSON_CreateObject();
	cleanup_free char *text = NULL, *line = NULL;
	struct err err = ERR_INIT;
	bool removed = cond && !strcmp(cond, "removed");
	struct pbuf pb;

	if (cond && *cond && strcmp(cond, "not-running") && strcmp(cond, "next-exit") && !removed) {
		resp_error(rs, 400, "invalid condition '%s' (not-running, next-exit, removed)",
			   cond);
		return;
	}
	/* a missing container is a 404, before the stream begins */
	if (ref_call(a, rs, MSG_CONTAINER_INSPECT, arg[0], NULL, &inspect) < 0)
		return;
	if (resp_stream_begin(rs, 200, "application/json") < 0)
		return;
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, arg[0]);
	if (removed)
		pb_put_u32(&pb, TAG_ALL, 1);
	/* docker run -d asks for a wait and goes: the wait goes with it */
	if (bc_call_watch(&a->paths, DAEMON_CONTAINERD, MSG_CONTAINER_WAIT, &pb, &out, rs->c->fd,
			  &err) < 0) {
		if (err.code == ECANCELED) {
			err_clear(&err);
			return;
		}
		cJSON_AddNumberToObject(o, "StatusCode", -1);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "Error"), "Message",
					err_msg(&err));
		err_clear(&err);
	} else {
		const cJSON *code = cJSON_GetObjectItem(out, "StatusCode");

		cJSON_AddNumberToObject(o, "StatusCode",
					cJSON_IsNumber(code) ? code->valuedouble : 0);
		cJSON_AddNullToObject(o, "Error");
	}
	text = cJSON_PrintUnformatted(o);
	line = xasprintf("%s\n", text);
	resp_chunk(rs, line, strlen(line));
	resp_stream_end(rs);
}

/*
 * POST /containers/ID/update: the docker CLI sends every field of
 * Resources, zero when not given; zero is "unchanged", as dockerd reads it.
 * What berth can change goes to containerd; anything else set is a 400.
 */
void h_ctr_update(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	static const char *const keys[] = {"Memory",	 "MemorySwap", "NanoCpus", "CpuShares",
					   "CpusetCpus", "PidsLimit",  NULL};
	cleanup_cjson cJSON *body = body_json(rs, rq), *chg = NULL, *out = NULL;
	cleanup_free char *text = NULL;
	const cJSON *v, *restart;
	struct pbuf pb;

	if (!body)
		return;
	chg = cJSON_CreateObject();
	cJSON_ArrayForEach (v, body) {
		bool set = (cJSON_IsNumber(v) && v->valuedouble != 0) ||
			   (cJSON_IsString(v) && *v->valuestring) ||
			   (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0) || cJSON_IsTrue(v);
		size_t i = 0;

		if (!strcmp(v->string, "RestartPolicy"))
			continue;
		while (keys[i] && strcmp(keys[i], v->string))
			i++;
		if (keys[i] && set)
			cJSON_AddItemToObject(chg, v->string, cJSON_Duplicate(v, true));
		else if (set) {
			resp_error(rs, 400, "update: %s cannot be changed by berth", v->string);
			return;
		}
	}
	restart = cJSON_GetObjectItem(body, "RestartPolicy");
	if (*(cJSON_GetStringValue(cJSON_GetObjectItem(restart, "Name")) ?: ""))
		cJSON_AddItemToObject(chg, "RestartPolicy", cJSON_Duplicate(restart, true));
	if (!cJSON_GetArraySize(chg)) {
		resp_error(rs, 400, "update: nothing to change");
		return;
	}
	text = cJSON_PrintUnformatted(chg);
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text);
	if (ref_call(a, rs, MSG_CONTAINER_UPDATE, arg[0], &pb, NULL) < 0)
		return;
	out = cJSON_CreateObject();
	cJSON_AddArrayToObject(out, "Warnings");
	resp_json(rs, 200, out);
}

void h_ctr_prune(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *all = NULL, *o = cJSON_CreateObject();
	struct err err = ERR_INIT;
	cJSON *deleted = cJSON_AddArrayToObject(o, "ContainersDeleted");
	const cJSON *k;

	(void)rq;
	(void)arg;
	if (bc_call(&a->paths, DAEMON_CONTAINERD, MSG_CONTAINER_LIST, NULL, &all, NULL, NULL,
		    &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	cJSON_ArrayForEach (k, all) {
		const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(k, "State"));
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(k, "Id"));
		struct pbuf pb;

		if (!id || !state ||
		    (strcmp(state, "exited") && strcmp(state, "created") && strcmp(state, "dead")))
			continue;
		pb_init(&pb);
		pb_put_str(&pb, TAG_REF, id);
		if (bc_call(&a->paths, DAEMON_CONTAINERD, MSG_CONTAINER_REMOVE, &pb, NULL, NULL,
			    NULL, &err) == 0)
			cJSON_AddItemToArray(deleted, cJSON_CreateString(id));
		err_clear(&err);
	}
	cJSON_AddNumberToObject(o, "SpaceReclaimed", 0);
	resp_json(rs, 200, o);
}

/* ---- logs ---- */

/*
 * Lines gather in buf and go out as one chunk: once live (following), at
 * once. Consecutive lines of one stream share a stdcopy frame (the bytes
 * the client writes out are the same; a client that writes a frame at a
 * time, as the docker CLI does, writes far less often).
 */
#define LOG_BUF (64 * 1024)

struct log_sink {
	struct resp *rs;
	bool tty;
	bool want[3];
	bool broken;
	bool live;
	size_t len;
	size_t frame_at; /* the open frame's header in buf, when frame_open */
	bool frame_open;
	int frame_stream;
	uint8_t buf[LOG_BUF];
};

static void sink_flush(struct log_sink *s)
{
	if (s->len && !s->broken && resp_chunk(s->rs, s->buf, s->len) < 0)
		s->broken = true;
	s->len = 0;
	s->frame_open = false;
}

static void log_flush(void *arg)
{
	struct log_sink *s = arg;

	sink_flush(s);
	s->live = true;
}

/* Docker's stdcopy header: the stream, three zeros, the length big-endian. */
static void frame_header(uint8_t *h, int stream, size_t n)
{
	h[0] = (uint8_t)(stream == 2 ? 2 : 1);
	h[1] = h[2] = h[3] = 0;
	h[4] = (uint8_t)(n >> 24);
	h[5] = (uint8_t)(n >> 16);
	h[6] = (uint8_t)(n >> 8);
	h[7] = (uint8_t)n;
}

static void log_out(int stream, const void *data, size_t n, void *arg)
{
	struct log_sink *s = arg;
	size_t need = n + (s->tty ? 0 : 8);

	if (s->broken || !s->want[stream == 2 ? 2 : 1])
		return;
	if (s->len + need > LOG_BUF)
		sink_flush(s);
	if (need > LOG_BUF) {
		/* a line longer than the buffer: a chunk of its own */
		uint8_t *big = xmalloc(need);

		if (!s->tty)
			frame_header(big, stream, n);
		memcpy(big + need - n, data, n);
		if (!s->broken && resp_chunk(s->rs, big, need) < 0)
			s->broken = true;
		free(big);
		return;
	}
	if (!s->tty && s->frame_open && s->frame_stream == stream) {
		/* the line joins the open frame of its stream */
		memcpy(s->buf + s->len, data, n);
		s->len += n;
		frame_header(s->buf + s->frame_at, stream, s->len - s->frame_at - 8);
	} else {
		if (!s->tty) {
			s->frame_at = s->len;
			s->frame_open = true;
			s->frame_stream = stream;
			frame_header(s->buf + s->len, stream, n);
			s->len += 8;
		}
		memcpy(s->buf + s->len, data, n);
		s->len += n;
	}
	if (s->live)
		sink_flush(s);
}

void h_ctr_logs(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *inspect = NULL;
	cleanup_free char *since = req_query(rq, "since"), *until = req_query(rq, "until");
	cleanup_free char *tail = req_query(rq, "tail");
	/* the sink's buffer is too big for a request thread's stack */
	cleanup_free struct log_sink *sink = xzalloc(sizeof(*sink));
	struct bc_logs o = {
	    .ref = arg[0], .tail = -1, .output = log_out, .flush = log_flush, .arg = sink};
	struct err err = ERR_INIT;

	sink->rs = rs;
	o.follow = req_query_bool(rq, "follow", false);
	o.timestamps = req_query_bool(rq, "timestamps", false);
	sink->want[1] = req_query_bool(rq, "stdout", false);
	sink->want[2] = req_query_bool(rq, "stderr", false);
	if (!sink->want[1] && !sink->want[2]) {
		resp_error(rs, 400, "Bad parameters: you must choose at least one stream");
		return;
	}
	if (since && *since && strcmp(since, "0") && bc_parse_time(since, &o.since_ns) < 0) {
		resp_error(rs, 400, "invalid since '%s'", since);
		return;
	}
	if (until && *until && strcmp(until, "0") && bc_parse_time(until, &o.until_ns) < 0) {
		resp_error(rs, 400, "invalid until '%s'", until);
		return;
	}
	if (tail && *tail && strcmp(tail, "all")) {
		char *end;

		o.tail = strtol(tail, &end, 10);
		if (*end || o.tail < 0) {
			resp_error(rs, 400, "invalid tail '%s': a number or all", tail);
			return;
		}
	}
	if (ref_call(a, rs, MSG_CONTAINER_INSPECT, arg[0], NULL, &inspect) < 0)
		return;
	{
		const cJSON *lc =
		    cJSON_GetObjectItem(cJSON_GetObjectItem(inspect, "HostConfig"), "LogConfig");
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(lc, "Type"));

		/* Docker's words, as clients look for them */
		if (type && !strcmp(type, "none")) {
			resp_error(rs, 501,
				   "configured logging driver does not support reading: container "
				   "%s logs with the none driver",
				   arg[0]);
			return;
		}
	}
	sink->tty =
	    cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(inspect, "Config"), "Tty"));
	if (resp_stream_begin(rs, 200,
			      sink->tty ? "application/vnd.docker.raw-stream"
					: "application/vnd.docker.multiplexed-stream") < 0)
		return;
	if (bc_logs(&a->paths, &o, &err) < 0)
		err_clear(&err); /* the stream began: it just ends */
	sink_flush(sink);
	if (!sink->broken)
		resp_stream_end(rs);
}
