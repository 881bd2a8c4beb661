/*
 * GET /containers/ID/stats: Docker's stats document from containerd's
 * sample (the shim reads the container's cgroup) and the host's CPU time
 * (/proc/stat), which the docker CLI needs for its CPU %. stream=false:
 * two samples half a second apart (precpu_stats and cpu_stats); else one a
 * second until the client hangs up or the container is gone.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apid.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl/lib/bclient.h"
#include "proto/tags.h"

struct sample {
	cJSON *s; /* containerd's CONTAINER_STATS reply */
	double system_ns;
	struct timespec when;
};

/* The host's CPU time in nanoseconds, all CPUs: the first line of /proc/stat. */
static double system_ns(void)
{
	cleanup_fclose FILE *f = fopen("/proc/stat", "re");
	unsigned long long v[8] = {0};
	double total = 0;

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			 &v[3], &v[4], &v[5], &v[6], &v[7]) < 4)
		return 0;
	for (int i = 0; i < 8; i++)
		total += (double)v[i];
	return total * 1e9 / (double)sysconf(_SC_CLK_TCK);
}

static double mem_total(void)
{
	cleanup_fclose FILE *f = fopen("/proc/meminfo", "re");
	unsigned long long kb = 0;

	if (f && fscanf(f, "MemTotal: %llu kB", &kb) == 1)
		return (double)kb * 1024;
	return 0;
}

static int take(struct apid *a, const char *ref, struct sample *s, struct err *err)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, ref);
	if (bc_call(&a->paths, DAEMON_CONTAINERD, MSG_CONTAINER_STATS, &pb, &s->s, NULL, NULL,
		    err) < 0)
		return -err->code;
	s->system_ns = system_ns();
	clock_gettime(CLOCK_REALTIME, &s->when);
	return 0;
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

static void stamp(cJSON *o, const char *key, const struct timespec *t)
{
	char buf[64], when[40];
	struct tm tm;

	gmtime_r(&t->tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, sizeof(buf), "%s.%09ldZ", when, t->tv_nsec);
	cJSON_AddStringToObject(o, key, buf);
}

static void cpu_stats(cJSON *o, const char *key, const struct sample *s)
{
	cJSON *c = cJSON_AddObjectToObject(o, key), *u = cJSON_AddObjectToObject(c, "cpu_usage");
	bool running = s && !cJSON_IsFalse(cJSON_GetObjectItem(s->s, "running"));

	cJSON_AddNumberToObject(u, "total_usage", running ? num(s->s, "cpu_usage_ns") : 0);
	cJSON_AddNumberToObject(u, "usage_in_kernelmode", 0);
	cJSON_AddNumberToObject(u, "usage_in_usermode", 0);
	cJSON_AddNumberToObject(c, "system_cpu_usage", s ? s->system_ns : 0);
	cJSON_AddNumberToObject(c, "online_cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
	cJSON_AddObjectToObject(c, "throttling_data");
}

/* Docker's document: cur, and pre (the previous sample, or none). */
static cJSON *stats_doc(const struct sample *cur, const struct sample *pre)
{
	cJSON *o = cJSON_CreateObject(), *m;
	bool running = !cJSON_IsFalse(cJSON_GetObjectItem(cur->s, "running"));
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(cur->s, "name")) ?: "";
	double limit = num(cur->s, "memory_limit");
	char *slash_name = xasprintf("/%s", name);

	stamp(o, "read", &cur->when);
	if (pre)
		stamp(o, "preread", &pre->when);
	else
		cJSON_AddStringToObject(o, "preread", "0001-01-01T00:00:00Z");
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "pids_stats"), "current",
				running ? num(cur->s, "pids") : 0);
	cJSON_AddObjectToObject(o, "blkio_stats");
	cpu_stats(o, "cpu_stats", cur);
	cpu_stats(o, "precpu_stats", pre);
	m = cJSON_AddObjectToObject(o, "memory_stats");
	if (running) {
		cJSON_AddNumberToObject(m, "usage", num(cur->s, "memory_usage"));
		/* no limit: the host's memory, as Docker says */
		cJSON_AddNumberToObject(m, "limit",
					limit > 0 && limit < 1e18 ? limit : mem_total());
		cJSON_AddObjectToObject(m, "stats");
	}
	cJSON_AddStringToObject(o, "name", slash_name);
	cJSON_AddStringToObject(o, "id",
				cJSON_GetStringValue(cJSON_GetObjectItem(cur->s, "id")) ?: "");
	free(slash_name);
	return o;
}

void h_ctr_stats(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	bool stream = req_query_bool(rq, "stream", true);
	struct sample pre = {0}, cur = {0};
	struct err err = ERR_INIT;
	cJSON *doc;

	if (take(a, arg[0], &pre, &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	if (!stream) {
		struct timespec half = {0, 500000000};

		nanosleep(&half, NULL);
		if (take(a, arg[0], &cur, &err) < 0) {
			resp_err(rs, &err);
			err_clear(&err);
		} else {
			doc = stats_doc(&cur, &pre);
			resp_json(rs, 200, doc);
			cJSON_Delete(doc);
		}
		cJSON_Delete(pre.s);
		cJSON_Delete(cur.s);
		return;
	}
	if (resp_stream_begin(rs, 200, "application/json") < 0) {
		cJSON_Delete(pre.s);
		return;
	}
	doc = stats_doc(&pre, NULL);
	resp_message(rs, doc);
	cJSON_Delete(doc);
	for (;;) {
		bool sent;

		for (int i = 0; i < 10 && !conn_hung_up(rs->c); i++)
			usleep(100000);
		if (conn_hung_up(rs->c) || take(a, arg[0], &cur, &err) < 0)
			break;
		doc = stats_doc(&cur, &pre);
		sent = resp_message(rs, doc) == 0;
		cJSON_Delete(doc);
		cJSON_Delete(pre.s);
		pre = cur;
		cur.s = NULL;
		if (!sent)
			break;
	}
	err_clear(&err);
	cJSON_Delete(pre.s);
	cJSON_Delete(cur.s);
	resp_stream_end(rs);
}
