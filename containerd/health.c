/*
 * Health checks, as Docker runs them: the container's Config.Healthcheck
 * (from the image's HEALTHCHECK or --health-*) runs every Interval as an
 * exec in the container, through its shim. A check that exits 0 makes it
 * healthy; Retries failures in a row make it unhealthy (failures during the
 * StartPeriod do not count until it was healthy once); a check longer than
 * Timeout fails. The last five results are kept for inspect (State.Health),
 * ps shows "(healthy)", and each change of status is a health_status event.
 *
 * The exec itself is a blocking conversation with the shim, so it runs in
 * the loop's thread pool on copies (the socket path, the process as JSON);
 * only the loop thread touches the container.
 *
 * After each check the state is written to the container's health.json
 * (atomically), so a containerd restart with the container still running
 * goes on from it instead of "starting" again; a start of the container
 * begins anew.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "common/atomicfile.h"
#include "common/clock.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "proto/client.h"
#include "proto/field.h"
#include "proto/tags.h"

#define HEALTH_OUTPUT_MAX 4096
#define HEALTH_LOG_KEPT 5
#define NS_PER_MS 1000000.0

struct health {
	struct ctr *k; /* NULL once the container is gone */
	uv_timer_t timer;
	uv_work_t work;
	bool timer_ready, checking, closing;
	/* the configuration */
	uint64_t interval_ms, timeout_ms, start_period_ms;
	int retries;
	uint64_t started_ms; /* when the container started (start period) */
	bool was_healthy;
	/* the state inspect shows */
	const char *status; /* starting, healthy, unhealthy */
	int streak;
	cJSON *log;
	/* one check, between the loop and the pool */
	char *sock, *proc;
	int exit_code;
	char *output;
	size_t outlen;
	char *error;
	char start[RFC3339_LEN];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t ms_of(const cJSON *hc, const char *key, uint64_t dflt)
{
	double ns = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(hc, key));

	return ns > 0 ? (uint64_t)(ns / NS_PER_MS) : dflt;
}

/* The check's argv: ["CMD", args...] as they are, ["CMD-SHELL", "cmd"] through /bin/sh -c. */
static cJSON *check_argv(const cJSON *test)
{
	const char *kind = cJSON_GetStringValue(cJSON_GetArrayItem(test, 0));
	cJSON *argv = cJSON_CreateArray();
	const cJSON *a;
	int i = 0;

	if (kind && !strcmp(kind, "CMD-SHELL")) {
		cJSON_AddItemToArray(argv, cJSON_CreateString("/bin/sh"));
		cJSON_AddItemToArray(argv, cJSON_CreateString("-c"));
		cJSON_AddItemToArray(
		    argv,
		    cJSON_CreateString(cJSON_GetStringValue(cJSON_GetArrayItem(test, 1)) ?: ""));
		return argv;
	}
	cJSON_ArrayForEach (a, test)
		if (i++ > 0 && cJSON_GetStringValue(a))
			cJSON_AddItemToArray(argv, cJSON_CreateString(a->valuestring));
	return argv;
}

static void free_health(struct health *h)
{
	cJSON_Delete(h->log);
	free(h->sock);
	free(h->proc);
	free(h->output);
	free(h->error);
	free(h);
}

static void on_timer_closed(uv_handle_t *t)
{
	struct health *h = t->data;

	h->timer_ready = false;
	if (!h->checking)
		free_health(h);
}

/* In the pool: one exec through the shim, its output and exit code. */
static void check_work(uv_work_t *w)
{
	struct health *h = w->data;
	struct err err = ERR_INIT;
	struct client c;
	struct frame f;
	struct pbuf pb;
	uint32_t id = 0;

	h->exit_code = -1;
	if (client_connect(&c, h->sock, ROLE_CONTAINERD, &err) < 0) {
		h->error = xstrdup(err_msg(&err));
		err_clear(&err);
		return;
	}
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, h->proc);
	/* a check that times out is killed when we hang up, as Docker kills it */
	pb_put_u32(&pb, TAG_KILL_ON_CLOSE, 1);
	if (client_set_timeout(&c, (unsigned)h->timeout_ms, &err) < 0 ||
	    client_send(&c, MSG_SHIM_EXEC, &pb, NULL, 0, &id, &err) < 0)
		goto out;
	for (;;) {
		if (client_recv(&c, &f, &err) < 0)
			break;
		if (f.id == id && (f.flags & PF_END)) {
			cleanup_free char *text = NULL;
			cleanup_cjson cJSON *doc = NULL;

			p_get_str(f.payload, f.len, TAG_JSON, &text, &err);
			err_clear(&err);
			doc = text ? cJSON_Parse(text) : NULL;
			if (cJSON_IsNumber(cJSON_GetObjectItem(doc, "exit_code")))
				h->exit_code = cJSON_GetObjectItem(doc, "exit_code")->valueint;
			frame_release(&f);
			break;
		}
		if (f.id == id && (f.flags & PF_STREAM)) {
			const uint8_t *data;
			size_t n;

			if (p_get_bytes(f.payload, f.len, TAG_DATA, &data, &n, &err) > 0 &&
			    h->outlen < HEALTH_OUTPUT_MAX) {
				if (n > HEALTH_OUTPUT_MAX - h->outlen)
					n = HEALTH_OUTPUT_MAX - h->outlen;
				h->output = xrealloc(h->output, h->outlen + n + 1);
				memcpy(h->output + h->outlen, data, n);
				h->outlen += n;
				h->output[h->outlen] = '\0';
			}
			err_clear(&err);
		}
		frame_release(&f);
	}
out:
	if (err_isset(&err)) {
		h->error = err.code == EAGAIN || err.code == ETIMEDOUT
			       ? xasprintf("Health check exceeded timeout (%llums)",
					   (unsigned long long)h->timeout_ms)
			       : xstrdup(err_msg(&err));
		h->exit_code = -1;
	}
	err_clear(&err);
	client_close(&c);
}

static void set_status(struct health *h, const char *status)
{
	if (h->status && !strcmp(h->status, status))
		return;
	h->status = status;
	if (h->k) {
		char what[48];

		snprintf(what, sizeof(what), "health_status: %s", status);
		event_emit(h->k->cd, h->k, what, NULL, NULL);
	}
}

static char *health_path(const struct ctr *k)
{
	cleanup_free char *dir = ctr_dir(k);

	return xasprintf("%s/health.json", dir);
}

static void health_save(const struct health *h)
{
	cleanup_free char *path = health_path(h->k), *text = NULL;
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	struct err err = ERR_INIT;

	cJSON_AddStringToObject(o, "Status", h->status);
	cJSON_AddNumberToObject(o, "FailingStreak", h->streak);
	cJSON_AddBoolToObject(o, "WasHealthy", h->was_healthy);
	cJSON_AddBoolToObject(o, "StartPeriodOver", now_ms() - h->started_ms >= h->start_period_ms);
	cJSON_AddItemToObject(o, "Log", cJSON_Duplicate(h->log, true));
	text = cJSON_PrintUnformatted(o);
	if (atomic_write_file(path, text, strlen(text), 0600, &err) < 0)
		log_warnx("health of %.12s: %s", h->k->id, err_msg(&err));
	err_clear(&err);
}

/* A containerd restart: what the checks had found, if they found anything yet. */
static void health_resume(struct health *h)
{
	static const char *const statuses[] = {"starting", "healthy", "unhealthy"};
	cleanup_free char *path = health_path(h->k), *text = NULL;
	cleanup_cjson cJSON *o = NULL;
	struct err err = ERR_INIT;
	const char *st;

	if (read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, &err) < 0 ||
	    !(o = cJSON_Parse(text))) {
		err_clear(&err);
		return;
	}
	st = cJSON_GetStringValue(cJSON_GetObjectItem(o, "Status"));
	for (size_t i = 0; st && i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (!strcmp(st, statuses[i]))
			h->status = statuses[i];
	h->streak = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "FailingStreak"));
	if (h->streak < 0)
		h->streak = 0;
	h->was_healthy = cJSON_IsTrue(cJSON_GetObjectItem(o, "WasHealthy"));
	if (cJSON_IsTrue(cJSON_GetObjectItem(o, "StartPeriodOver")))
		h->started_ms -= h->start_period_ms;
	if (cJSON_IsArray(cJSON_GetObjectItem(o, "Log"))) {
		cJSON_Delete(h->log);
		h->log = cJSON_DetachItemFromObject(o, "Log");
	}
}

/* Back on the loop: the result counted, logged, told. */
static void check_done(uv_work_t *w, int status)
{
	struct health *h = w->data;
	char end[RFC3339_LEN];
	cJSON *entry;

	(void)status;
	h->checking = false;
	if (!h->k || h->closing) {
		if (!h->timer_ready)
			free_health(h);
		return;
	}
	entry = cJSON_CreateObject();
	cJSON_AddStringToObject(entry, "Start", h->start);
	cJSON_AddStringToObject(entry, "End", rfc3339_now(end));
	cJSON_AddNumberToObject(entry, "ExitCode", h->exit_code);
	cJSON_AddStringToObject(entry, "Output", h->error ? h->error : h->output ? h->output : "");
	cJSON_AddItemToArray(h->log, entry);
	while (cJSON_GetArraySize(h->log) > HEALTH_LOG_KEPT)
		cJSON_DeleteItemFromArray(h->log, 0);
	if (h->exit_code == 0) {
		h->streak = 0;
		h->was_healthy = true;
		set_status(h, "healthy");
	} else if (h->was_healthy || now_ms() - h->started_ms >= h->start_period_ms) {
		if (++h->streak >= h->retries)
			set_status(h, "unhealthy");
	}
	free(h->output);
	free(h->error);
	free(h->proc);
	h->output = h->error = h->proc = NULL;
	h->outlen = 0;
	health_save(h);
}

static void on_tick(uv_timer_t *t)
{
	struct health *h = t->data;
	struct ctr *k = h->k;
	struct err err = ERR_INIT;
	cleanup_cjson cJSON *req = cJSON_CreateObject(), *proc = NULL;

	/* one check at a time; none while paused */
	if (!k || h->checking || k->status != CS_RUNNING)
		return;
	cJSON_AddItemToObject(
	    req, "Cmd",
	    check_argv(cJSON_GetObjectItem(ctr_cfg(k, "Config", "Healthcheck"), "Test")));
	proc = spec_exec_process(k, req, &err);
	if (!proc) {
		log_warnx("health check of %.12s: %s", k->id, err_msg(&err));
		err_clear(&err);
		return;
	}
	h->proc = cJSON_PrintUnformatted(proc);
	rfc3339_now(h->start);
	h->work.data = h;
	if (uv_queue_work(t->loop, &h->work, check_work, check_done) == 0)
		h->checking = true;
}

void health_start(struct ctr *k, bool resume)
{
	const cJSON *hc = ctr_cfg(k, "Config", "Healthcheck");
	const cJSON *test = cJSON_GetObjectItem(hc, "Test");
	const char *kind = cJSON_GetStringValue(cJSON_GetArrayItem(test, 0));
	struct health *h;

	health_stop(k);
	if (!kind || !strcmp(kind, "NONE") || cJSON_GetArraySize(test) < 2)
		return;
	h = xzalloc(sizeof(*h));
	h->k = k;
	h->interval_ms = ms_of(hc, "Interval", 30000);
	h->timeout_ms = ms_of(hc, "Timeout", 30000);
	h->start_period_ms = ms_of(hc, "StartPeriod", 0);
	h->retries = cJSON_GetNumberValue(cJSON_GetObjectItem(hc, "Retries")) > 0
			 ? (int)cJSON_GetNumberValue(cJSON_GetObjectItem(hc, "Retries"))
			 : 3;
	h->started_ms = now_ms();
	h->status = "starting";
	h->log = cJSON_CreateArray();
	if (resume) {
		health_resume(h);
	} else {
		cleanup_free char *path = health_path(k);

		unlink(path);
	}
	{
		cleanup_free char *run = ctr_run_dir(k);

		h->sock = xasprintf("%s/shim.sock", run);
	}
	uv_timer_init(&k->cd->d->loop, &h->timer);
	h->timer.data = h;
	h->timer_ready = true;
	uv_timer_start(&h->timer, on_tick, h->interval_ms, h->interval_ms);
	k->health = h;
}

void health_stop(struct ctr *k)
{
	struct health *h = k->health;

	if (!h)
		return;
	k->health = NULL;
	h->k = NULL;
	h->closing = true;
	if (h->timer_ready)
		uv_close((uv_handle_t *)&h->timer, on_timer_closed);
	else if (!h->checking)
		free_health(h);
}

cJSON *health_json(const struct ctr *k)
{
	const struct health *h = k->health;
	cJSON *o;

	if (!h)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Status", h->status);
	cJSON_AddNumberToObject(o, "FailingStreak", h->streak);
	cJSON_AddItemToObject(o, "Log", cJSON_Duplicate(h->log, true));
	return o;
}

const char *health_status(const struct ctr *k)
{
	return k->health ? k->health->status : NULL;
}
