/* /_ping, /version, /info. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "apid.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "ctl/lib/bc_events.h"
#include "ctl/lib/bclient.h"
#include "proto/tags.h"

void h_ping(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)a;
	(void)arg;
	if (!strcmp(rq->method, "HEAD"))
		resp_text(rs, 200, "text/plain; charset=utf-8", "");
	else
		resp_text(rs, 200, "text/plain; charset=utf-8", "OK");
}

static const char *arch(void)
{
	static struct utsname u;

	if (uname(&u) < 0)
		return "unknown";
	if (!strcmp(u.machine, "x86_64"))
		return "amd64";
	if (!strcmp(u.machine, "aarch64"))
		return "arm64";
	return u.machine;
}

void h_version(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	cJSON *comps, *c;
	struct utsname u;

	(void)a;
	(void)rq;
	(void)arg;
	uname(&u);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "Platform"), "Name",
				"berth " PACKAGE_VERSION);
	comps = cJSON_AddArrayToObject(o, "Components");
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "Name", "Engine");
	cJSON_AddStringToObject(c, "Version", PACKAGE_VERSION);
	cJSON_AddItemToArray(comps, c);
	cJSON_AddStringToObject(o, "Version", PACKAGE_VERSION);
	cJSON_AddStringToObject(o, "ApiVersion", APID_API_VERSION);
	cJSON_AddStringToObject(o, "MinAPIVersion", APID_API_MIN);
	cJSON_AddStringToObject(o, "GitCommit", "");
	cJSON_AddStringToObject(o, "GoVersion", "");
	cJSON_AddStringToObject(o, "Os", "linux");
	cJSON_AddStringToObject(o, "Arch", arch());
	cJSON_AddStringToObject(o, "KernelVersion", u.release);
	cJSON_AddStringToObject(o, "BuildTime", "");
	resp_json(rs, 200, o);
}

static double count_state(const cJSON *list, const char *state)
{
	const cJSON *k;
	double n = 0;

	cJSON_ArrayForEach (k, list) {
		const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(k, "State"));

		if (!state || (s && !strcmp(s, state)))
			n++;
	}
	return n;
}

void h_info(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	struct err err = ERR_INIT;
	cleanup_cjson cJSON *ci = NULL, *ctrs = NULL, *imgs = NULL, *o = cJSON_CreateObject();
	const char *s;
	double total;

	(void)rq;
	(void)arg;
	if (bc_call(&a->paths, DAEMON_CONTAINERD, MSG_INFO, NULL, &ci, NULL, NULL, &err) < 0 ||
	    bc_call(&a->paths, DAEMON_CONTAINERD, MSG_CONTAINER_LIST, NULL, &ctrs, NULL, NULL,
		    &err) < 0 ||
	    bc_call(&a->paths, DAEMON_IMAGED, MSG_IMAGE_LIST, NULL, &imgs, NULL, NULL, &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	total = count_state(ctrs, NULL);
	cJSON_AddStringToObject(o, "ID", "");
	cJSON_AddNumberToObject(o, "Containers", total);
	cJSON_AddNumberToObject(o, "ContainersRunning", count_state(ctrs, "running"));
	cJSON_AddNumberToObject(o, "ContainersPaused", count_state(ctrs, "paused"));
	cJSON_AddNumberToObject(o, "ContainersStopped",
				total - count_state(ctrs, "running") - count_state(ctrs, "paused"));
	cJSON_AddNumberToObject(o, "Images", cJSON_GetArraySize(imgs));
	cJSON_AddStringToObject(o, "Driver", "overlay2");
	cJSON_AddStringToObject(o, "LoggingDriver", "json-file");
	cJSON_AddStringToObject(o, "CgroupDriver", "cgroupfs");
	cJSON_AddStringToObject(
	    o, "CgroupVersion",
	    cJSON_GetNumberValue(cJSON_GetObjectItem(ci, "cgroup_version")) == 2 ? "2" : "1");
	s = cJSON_GetStringValue(cJSON_GetObjectItem(ci, "kernel"));
	cJSON_AddStringToObject(o, "KernelVersion", s ? s : "");
	cJSON_AddStringToObject(o, "OperatingSystem", "berth " PACKAGE_VERSION);
	cJSON_AddStringToObject(o, "OSType", "linux");
	cJSON_AddStringToObject(o, "Architecture", arch());
	cJSON_AddNumberToObject(o, "NCPU", (double)sysconf(_SC_NPROCESSORS_ONLN));
	cJSON_AddNumberToObject(o, "MemTotal",
				(double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE));
	s = cJSON_GetStringValue(cJSON_GetObjectItem(ci, "hostname"));
	cJSON_AddStringToObject(o, "Name", s ? s : "");
	cJSON_AddStringToObject(o, "DockerRootDir", a->paths.root);
	cJSON_AddStringToObject(o, "ServerVersion", PACKAGE_VERSION);
	cJSON_AddStringToObject(o, "DefaultRuntime", "berth-runtime");
	{
		/* the client's own profile, as containerd's policy gives it (berth-policy(5)) */
		cJSON *sec = cJSON_AddArrayToObject(o, "SecurityOptions");
		const char *prof = cJSON_GetStringValue(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(ci, "authorization"), "profile"));

		cJSON_AddItemToArray(sec, cJSON_CreateString("name=seccomp,profile=builtin"));
		if (prof) {
			cleanup_free char *p = xasprintf("name=berth-policy,profile=%s", prof);

			cJSON_AddItemToArray(sec, cJSON_CreateString(p));
		}
	}
	cJSON_AddItemToObject(o, "Warnings", cJSON_CreateArray());
	resp_json(rs, 200, o);
}

/* ---- events ---- */

static int event_send(const cJSON *e, void *arg)
{
	cJSON *ev = (cJSON *)e; /* bc_events' own, freed after this */
	char ns[32];

	/* Go reads an int64: digits, never cJSON's exponent form of a double */
	snprintf(ns, sizeof(ns), "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "timeNano")));
	cJSON_ReplaceItemInObject(ev, "timeNano", cJSON_CreateRaw(ns));
	return resp_message(arg, ev) < 0;
}

/* The client hung up (docker events ends with ^C): the stream ends with it. */
static int client_gone(void *arg)
{
	return conn_hung_up(((struct resp *)arg)->c);
}

void h_events(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_free char *since = req_query(rq, "since"), *until = req_query(rq, "until");
	struct bc_filters fs = {0};
	struct bc_events o = {
	    .filters = &fs, .on_event = event_send, .idle = client_gone, .arg = rs};
	struct err err = ERR_INIT;
	struct filters f;

	(void)arg;
	if (since && *since && bc_events_since(&o, since) < 0) {
		resp_error(rs, 400, "invalid since '%s'", since);
		return;
	}
	if (until && *until && bc_parse_time(until, &o.until_ns) < 0) {
		resp_error(rs, 400, "invalid until '%s'", until);
		return;
	}
	if (req_filters(rs, rq, &f) < 0)
		return;
	for (unsigned i = 0; i < f.n; i++)
		if (bc_event_filter_add(&fs, f.kv[i], &err) < 0) {
			resp_error(rs, 400, "%s", err_msg(&err));
			err_clear(&err);
			filters_free(&f);
			return;
		}
	if (resp_stream_begin(rs, 200, "application/json") == 0) {
		/* a failure after the headers just ends the stream */
		if (bc_events(&a->paths, &o, &err) < 0)
			log_info("events: %s", err_msg(&err));
		resp_stream_end(rs);
	}
	err_clear(&err);
	filters_free(&f);
}

/* ---- auth ---- */

/* POST /auth: the credentials checked with the registry; nothing kept here (the client keeps them).
 */
void h_auth(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *body = body_json(rs, rq), *out = NULL;
	const char *user, *password, *server;
	cleanup_free char *registry = NULL;
	struct err err = ERR_INIT;
	const char *h;

	(void)arg;
	if (!body)
		return;
	user = cJSON_GetStringValue(cJSON_GetObjectItem(body, "username"));
	password = cJSON_GetStringValue(cJSON_GetObjectItem(body, "password"));
	server = cJSON_GetStringValue(cJSON_GetObjectItem(body, "serveraddress"));
	if (!user || !password) {
		resp_error(rs, 400, "auth needs username and password");
		return;
	}
	/* https://host:port/v1/ or host:port: the registry's host[:port] */
	h = server && *server ? server : "docker.io";
	if (strstr(h, "://"))
		h = strstr(h, "://") + 3;
	registry = strndup(h, strcspn(h, "/"));
	if (!registry || !strcmp(registry, "index.docker.io")) {
		free(registry);
		registry = xstrdup("docker.io");
	}
	if (bc_login_check(&a->paths, registry, user, password, &err) < 0) {
		int status =
		    err.code == EACCES || err.code == EPERM ? 401 : resp_status_of(err.code);

		resp_error(rs, status, "%s", err_msg(&err));
		err_clear(&err);
		return;
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "Status", "Login Succeeded");
	cJSON_AddStringToObject(out, "IdentityToken", "");
	resp_json(rs, 200, out);
}
