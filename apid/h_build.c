/* POST /build: a tar of the context in the body, the build's output as a JSON stream. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apid.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl/lib/build.h"

struct build_sink {
	struct resp *rs;
	bool broken;
};

/* What the builder prints, as {"stream": ...} messages. */
static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	struct build_sink *s = cookie;
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	cleanup_free char *text = xstrndup(buf, n);

	if (s->broken)
		return (ssize_t)n;
	cJSON_AddStringToObject(o, "stream", text);
	if (resp_message(s->rs, o) < 0)
		s->broken = true;
	return (ssize_t)n;
}

/* As Docker: [Warning] One or more build-args [A B] were not consumed */
static void warn_unused(struct resp *rs, const cJSON *unused)
{
	cleanup_cjson cJSON *o = NULL;
	cleanup_free char *text = NULL;
	char names[1024] = "";
	const cJSON *it;

	if (!cJSON_GetArraySize(unused))
		return;
	cJSON_ArrayForEach (it, unused) {
		if (*names)
			strlcat(names, " ", sizeof(names));
		strlcat(names, it->valuestring, sizeof(names));
	}
	text = xasprintf("[Warning] One or more build-args [%s] were not consumed\n", names);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "stream", text);
	resp_message(rs, o);
}

/* A query parameter holding a JSON object of strings (buildargs, labels); -1 after a 400. */
static int json_map(struct resp *rs, const struct request *rq, const char *name, cJSON **out)
{
	cleanup_free char *text = req_query(rq, name);
	cJSON *doc, *it, *next;

	*out = cJSON_CreateObject();
	if (!text || !*text)
		return 0;
	doc = cJSON_Parse(text);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		resp_error(rs, 400, "%s: expected a JSON object of strings, got '%s'", name, text);
		return -1;
	}
	for (it = doc->child; it; it = next) {
		next = it->next;
		/* buildargs {"A": null} means "from the environment": apid has none to give */
		if (cJSON_IsString(it))
			cJSON_AddStringToObject(*out, it->string, it->valuestring);
	}
	cJSON_Delete(doc);
	return 0;
}

/*
 * The legacy builder's resource options (docker build --memory, --cpu-shares,
 * --cpuset-cpus, --cpu-period, --cpu-quota, --shm-size, --add-host,
 * --ulimit) as the HostConfig of every RUN step's container, checked there
 * as docker run's are; what berth's builder does not have is refused, not
 * dropped. NULL after a 400.
 */
static cJSON *run_host_config(struct resp *rs, const struct request *rq)
{
	static const struct {
		const char *query, *key;
	} nums[] = {{"memory", "Memory"},	{"memswap", "MemorySwap"},
		    {"cpushares", "CpuShares"}, {"cpuperiod", "CpuPeriod"},
		    {"cpuquota", "CpuQuota"},	{"shmsize", "ShmSize"}};
	static const char *const refused[] = {"cgroupparent", "squash", "isolation"};
	cJSON *hc = cJSON_CreateObject();
	cleanup_free char *cpus = req_query(rq, "cpusetcpus"), *ul = req_query(rq, "ulimits");
	char *h;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		cleanup_free char *v = req_query(rq, refused[i]);

		if (v && *v && strcmp(v, "0") && strcmp(v, "false") && strcmp(v, "default")) {
			resp_error(rs, 400,
				   "build option %s=%s is not supported by berth's builder",
				   refused[i], v);
			cJSON_Delete(hc);
			return NULL;
		}
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		long long n = req_query_int(rq, nums[i].query, 0);

		if (n)
			cJSON_AddNumberToObject(hc, nums[i].key, (double)n);
	}
	if (cpus && *cpus)
		cJSON_AddStringToObject(hc, "CpusetCpus", cpus);
	/* --add-host: repeated, or one comma list */
	for (unsigned i = 0; (h = req_query_nth(rq, "extrahosts", i)); i++) {
		char *save = NULL;

		for (char *t = strtok_r(h, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			cJSON *a = cJSON_GetObjectItem(hc, "ExtraHosts");

			if (!a)
				a = cJSON_AddArrayToObject(hc, "ExtraHosts");
			cJSON_AddItemToArray(a, cJSON_CreateString(t));
		}
		free(h);
	}
	if (ul && *ul && strcmp(ul, "null") && strcmp(ul, "[]")) {
		cJSON *u = cJSON_Parse(ul);

		if (!cJSON_IsArray(u)) {
			cJSON_Delete(u);
			cJSON_Delete(hc);
			resp_error(rs, 400, "ulimits: expected a JSON array, got '%s'", ul);
			return NULL;
		}
		cJSON_AddItemToObject(hc, "Ulimits", u);
	}
	return hc;
}

static void build_opts(const struct request *rq, struct bc_build *o, char **target, char **network,
		       char **file)
{
	char *t;

	for (unsigned i = 0; (t = req_query_nth(rq, "t", i)); i++) {
		if (*t)
			cJSON_AddItemToArray(o->tags, cJSON_CreateString(t));
		free(t);
	}
	*file = req_query(rq, "dockerfile");
	*target = req_query(rq, "target");
	*network = req_query(rq, "networkmode");
	o->dockerfile = *file && **file ? *file : NULL;
	o->dockerfile_in_context = true; /* a path in the context, not in apid's directory */
	o->target = *target && **target ? *target : NULL;
	if (*network && **network && strcmp(*network, "default"))
		o->network = *network;
	o->no_cache = req_query_bool(rq, "nocache", false);
	o->pull = req_query_bool(rq, "pull", false);
	o->quiet = req_query_bool(rq, "q", false);
}

void h_build(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_free char *remote = req_query(rq, "remote"), *target = NULL, *network = NULL;
	cleanup_free char *file = NULL, *dir = NULL, *text = NULL;
	struct bc_build o = {0};
	struct build_sink sink = {.rs = rs};
	cookie_io_functions_t io = {.write = sink_write};
	struct err err = ERR_INIT;
	FILE *out = NULL;

	(void)arg;
	if (remote && *remote) {
		resp_error(rs, 400,
			   "remote build contexts (%s) are not supported: send the context",
			   remote);
		return;
	}
	if (!rq->body_len) {
		resp_error(rs, 400, "the build context is missing: send a tar as the body");
		return;
	}
	if (json_map(rs, rq, "buildargs", &o.build_args) < 0 ||
	    json_map(rs, rq, "labels", &o.labels) < 0)
		goto out;
	if (!(o.run_host_config = run_host_config(rs, rq)))
		goto out;
	o.tags = cJSON_CreateArray();
	o.registry_auths = req_registry_config(rq);
	build_opts(rq, &o, &target, &network, &file);
	if (bc_build_context(rq->body, rq->body_len, &text, &dir, &err) < 0) {
		resp_error(rs, 400, "%s", err_msg(&err));
		goto out;
	}
	o.context_dir = dir;
	o.dockerfile_text = text;
	if (resp_stream_begin(rs, 200, "application/json") < 0)
		goto out;
	out = fopencookie(&sink, "w", io);
	if (!out) {
		err_sys(&err, "fopencookie");
		resp_stream_error(rs, &err);
		resp_stream_end(rs);
		goto out;
	}
	setvbuf(out, NULL, _IOLBF, 0);
	o.out = o.quiet ? NULL : out; /* docker build -q: the id alone */
	if (bc_build(&a->paths, &o, &err) < 0) {
		fflush(out);
		resp_stream_error(rs, &err);
	} else {
		cleanup_cjson cJSON *aux = cJSON_CreateObject();

		fflush(out);
		warn_unused(rs, o.unused_args);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(aux, "aux"), "ID", o.id);
		resp_message(rs, aux);
		if (o.quiet) {
			cleanup_cjson cJSON *id = cJSON_CreateObject();
			cleanup_free char *line = xasprintf("%s\n", o.id);

			cJSON_AddStringToObject(id, "stream", line);
			resp_message(rs, id);
		}
	}
	if (!sink.broken)
		resp_stream_end(rs);
out:
	if (out)
		fclose(out);
	if (dir)
		bc_build_context_remove(dir);
	err_clear(&err);
	cJSON_Delete(o.build_args);
	cJSON_Delete(o.labels);
	cJSON_Delete(o.tags);
	cJSON_Delete(o.unused_args);
	cJSON_Delete(o.registry_auths);
	cJSON_Delete(o.run_host_config);
}
