/*
 * The container state machine: start (bundle, shim, create, start), the
 * exit (recorded from the shim's exit file), restart policies with Docker's
 * growing back-off, removal, and live restore when containerd starts.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "proto/tags.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 60000

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? xstrdup(v) : NULL;
}

static void save_state(struct ctr *k)
{
	struct err err = ERR_INIT;

	if (ctr_save_state(k, &err) < 0)
		log_warnx("container %.12s: %s", k->id, err_msg(&err));
	err_clear(&err);
}

static void unlink_exit_file(struct ctr *k)
{
	cleanup_free char *run = ctr_run_dir(k), *exitf = xasprintf("%s/exit", run);

	unlink(exitf);
}

/* Tell the shim to delete the container and go; it may be gone already. */
static void shim_finish(struct ctr *k, bool force)
{
	struct err err = ERR_INIT;
	struct pbuf pb;

	if (!shim_alive(k))
		return;
	pb_init(&pb);
	pb_put_u32(&pb, TAG_FORCE, force);
	if (shim_call(k, MSG_SHIM_DELETE, &pb, NULL, &err) < 0)
		log_warnx("container %.12s: %s", k->id, err_msg(&err));
	err_clear(&err);
}

static void auto_remove(struct ctr *k);

static int start_failed(struct ctr *k, int code, struct err *err)
{
	shim_finish(k, true);
	net_detach(k);
	bundle_release(k);
	k->status = CS_EXITED;
	k->pid = 0;
	k->exit_code = code;
	set_str(&k->error, err_msg(err));
	{
		char now[RFC3339_LEN];

		set_str(&k->finished_at, rfc3339_now(now));
	}
	save_state(k);
	ctr_wake(k, false);
	/* run --rm: a container that could not start goes too, as with Docker */
	if (cJSON_IsTrue(ctr_cfg(k, "HostConfig", "AutoRemove")))
		auto_remove(k);
	return -err->code;
}

/* After a failed START: the init reported why and exited 126 or 127. */
static int exec_failure(struct ctr *k, struct err *err)
{
	cleanup_free char *run = ctr_run_dir(k), *exitf = xasprintf("%s/exit", run);
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *doc = NULL;
	struct err e2 = ERR_INIT;
	int code = 126;

	if (read_file_at(AT_FDCWD, exitf, 4096, &text, NULL, &e2) == 0 && (doc = cJSON_Parse(text)))
		code = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "exit_code"));
	err_clear(&e2);
	if (code == 127)
		err->code = ERR_NOCMD;
	else if (code == 126)
		err->code = ERR_CANTRUN;
	return start_failed(k, code ? code : 126, err);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

int ctr_start(struct ctr *k, int *attach_fd, uint32_t *attach_id, struct err *err)
{
	cleanup_cjson cJSON *created = NULL;
	char now[RFC3339_LEN];
	struct timespec t0;
	double t_bundle, t_shim, t_create;
	int fd = -1, r;

	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (attach_fd)
		*attach_fd = -1;
	if (k->status == CS_RUNNING || k->status == CS_PAUSED)
		return err_set(err, EALREADY, "container %s is already running", k->name);
	if (k->status == CS_REMOVING || k->status == CS_DEAD)
		return err_set(err, EINVAL, "container %s is %s and cannot start", k->name,
			       ctr_status_name(k->status));
	if (k->mount_hold)
		return err_set(err, EBUSY,
			       "container %s is being copied to or from (berth cp): start it when "
			       "that is done",
			       k->name);
	/* a shim of an earlier run that was not collected yet */
	shim_finish(k, true);
	unlink_exit_file(k);
	if (links_check_start(k, err) < 0 || joins_check_start(k, err) < 0)
		return start_failed(k, 128, err);
	if (bundle_prepare(k->cd, k, err) < 0)
		return start_failed(k, 128, err);
	t_bundle = ms_since(&t0);
	if (shim_spawn(k->cd, k, err) < 0)
		return start_failed(k, 128, err);
	t_shim = ms_since(&t0);
	r = shim_call(k, MSG_SHIM_CREATE, NULL, &created, err);
	t_create = ms_since(&t0);
	if (r < 0 && err_wrap(err, "start container %s", k->name))
		return start_failed(k,
				    err->code == ERR_NOCMD     ? 127
				    : err->code == ERR_CANTRUN ? 126
							       : 128,
				    err);
	/* without -i the container reads EOF, as with Docker */
	if (!cJSON_IsTrue(ctr_cfg(k, "Config", "OpenStdin")) &&
	    !cJSON_IsTrue(ctr_cfg(k, "Config", "Tty")) &&
	    shim_call(k, MSG_SHIM_CLOSE_STDIN, NULL, NULL, err) < 0)
		return start_failed(k, 128, err);
	k->pid = (pid_t)cJSON_GetNumberValue(cJSON_GetObjectItem(created, "pid"));
	if (net_attach(k, err) < 0)
		return start_failed(k, 128, err);
	if (attach_fd && (fd = shim_attach_conn(k, attach_id, err)) < 0)
		return start_failed(k, 128, err);
	if (exit_watch(k, err) < 0) {
		if (fd >= 0)
			close(fd);
		return start_failed(k, 128, err);
	}
	k->pid = (pid_t)cJSON_GetNumberValue(cJSON_GetObjectItem(created, "pid"));
	k->status = CS_RUNNING;
	r = shim_call(k, MSG_SHIM_START, NULL, NULL, err);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return exec_failure(k, err);
	}
	k->exit_code = 0;
	k->oom_killed = false;
	set_str(&k->error, NULL);
	set_str(&k->started_at, rfc3339_now(now));
	save_state(k);
	health_start(k, false);
	if (attach_fd)
		*attach_fd = fd;
	log_info("started container %.12s (%s), init pid %d", k->id, k->name, (int)k->pid);
	event_emit(k->cd, k, "start", NULL, NULL);
	log_debug("start %.12s: bundle %.1f ms, shim up %.1f, created %.1f, started %.1f", k->id,
		  t_bundle, t_shim, t_create, ms_since(&t0));
	/* a very short-lived init may have exited before the watch began */
	{
		cleanup_free char *run = ctr_run_dir(k), *exitf = xasprintf("%s/exit", run);

		if (access(exitf, F_OK) == 0)
			ctr_exited(k);
	}
	return 0;
}

void ctr_wake(struct ctr *k, bool removed)
{
	struct ctr_waiter *w, *next;

	for (w = LIST_FIRST(&k->waiters); w; w = next) {
		struct frame req = {.type = w->type, .id = w->id};
		cJSON *o;
		struct pbuf pb;
		char *text;

		next = LIST_NEXT(w, link);
		if (w->removed && !removed)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "StatusCode", k->exit_code);
		cJSON_AddBoolToObject(o, "OOMKilled", k->oom_killed);
		text = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		pb_init(&pb);
		pb_put_str(&pb, TAG_JSON, text);
		free(text);
		conn_reply(w->c, &req, &pb, NULL, 0);
		LIST_REMOVE(w, link);
		free(w);
	}
}

static unsigned backoff_ms(struct ctr *k)
{
	unsigned ms = BACKOFF_MIN_MS;

	for (int i = 0; i < k->restart_count && ms < BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

static bool should_restart(struct ctr *k)
{
	const cJSON *rp = ctr_cfg(k, "HostConfig", "RestartPolicy");
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(rp, "Name"));
	int max = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(rp, "MaximumRetryCount"));

	if (!name || k->stopped_by_user)
		return false;
	if (!strcmp(name, "always") || !strcmp(name, "unless-stopped"))
		return true;
	if (!strcmp(name, "on-failure"))
		return k->exit_code != 0 && (max <= 0 || k->restart_count < max);
	return false;
}

static void on_restart_timer(uv_timer_t *t)
{
	struct ctr *k = t->data;
	struct err err = ERR_INIT;

	if (k->status != CS_RESTARTING)
		return;
	k->restart_count++;
	k->status = CS_EXITED;
	if (ctr_start(k, NULL, NULL, &err) < 0) {
		log_warnx("restart %.12s: %s", k->id, err_msg(&err));
		if (should_restart(k)) {
			k->status = CS_RESTARTING;
			uv_timer_start(&k->timer, on_restart_timer, backoff_ms(k), 0);
		}
	}
	err_clear(&err);
}

void ctr_timer_init(struct ctr *k)
{
	if (k->timer_ready)
		return;
	uv_timer_init(&k->cd->d->loop, &k->timer);
	k->timer.data = k;
	k->timer_ready = true;
}

static void read_exit(struct ctr *k)
{
	cleanup_free char *run = ctr_run_dir(k), *exitf = xasprintf("%s/exit", run);
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *doc = NULL;
	struct err err = ERR_INIT;
	struct stat st;

	k->exit_code = 255;
	k->oom_killed = false;
	if (read_file_at(AT_FDCWD, exitf, 4096, &text, NULL, &err) < 0 ||
	    !(doc = cJSON_Parse(text))) {
		log_warnx("container %.12s: no exit record (%s)", k->id, err_msg(&err));
		err_clear(&err);
		return;
	}
	k->exit_code = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "exit_code"));
	k->oom_killed = cJSON_IsTrue(cJSON_GetObjectItem(doc, "oom_killed"));
	/* the exit file was written when the init ended, maybe while we were away */
	if (stat(exitf, &st) == 0) {
		char when[RFC3339_LEN];

		set_str(&k->finished_at, rfc3339_at(&st.st_mtim, when));
	}
}

static void auto_remove(struct ctr *k)
{
	struct err err = ERR_INIT;

	if (ctr_remove(k, true, true, &err) < 0)
		log_warnx("remove %.12s: %s", k->id, err_msg(&err));
	err_clear(&err);
}

void ctr_exited(struct ctr *k)
{
	char now[RFC3339_LEN];

	exit_unwatch(k);
	health_stop(k);
	set_str(&k->finished_at, rfc3339_now(now));
	read_exit(k);
	k->status = CS_EXITED;
	k->pid = 0;
	if (k->timer_ready)
		uv_timer_stop(&k->timer);
	shim_finish(k, false);
	log_info("container %.12s (%s) exited with %d%s", k->id, k->name, k->exit_code,
		 k->oom_killed ? " (OOM killed)" : "");
	if (k->oom_killed)
		event_emit(k->cd, k, "oom", NULL, NULL);
	/* die, then the network disconnects: Docker's order */
	event_emit_code(k->cd, k, "die", "exitCode", k->exit_code);
	net_detach(k);
	bundle_release(k);
	if (k->stopped_by_user)
		event_emit(k->cd, k, "stop", NULL, NULL);
	if (cJSON_IsTrue(ctr_cfg(k, "HostConfig", "AutoRemove"))) {
		ctr_wake(k, false);
		auto_remove(k);
		return;
	}
	if (should_restart(k)) {
		k->status = CS_RESTARTING;
		ctr_timer_init(k);
		uv_timer_start(&k->timer, on_restart_timer, backoff_ms(k), 0);
	}
	save_state(k);
	ctr_wake(k, false);
}

/* The record directory holds only files this daemon and the shim wrote. */
static int rm_record_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	return rmdir(dir);
}

int ctr_remove(struct ctr *k, bool force, bool volumes, struct err *err)
{
	cleanup_free char *dir = ctr_dir(k);
	struct client c;
	struct frame f;
	struct pbuf pb;

	if ((k->status == CS_RUNNING || k->status == CS_PAUSED) && !force)
		return err_set(err, EBUSY,
			       "container %s is running: stop it first, or use rm -f to kill and "
			       "remove it",
			       k->name);
	if (k->status == CS_RUNNING || k->status == CS_PAUSED) {
		struct err e2 = ERR_INIT;

		if (k->status == CS_PAUSED && ctr_freeze(k, false, &e2) < 0)
			log_warnx("thaw %.12s: %s", k->id, err_msg(&e2));
		err_clear(&e2);
		k->stopped_by_user = true;
		exit_unwatch(k);
		shim_finish(k, true);
		k->exit_code = 137;
		event_emit_code(k->cd, k, "kill", "signal", SIGKILL);
		event_emit_code(k->cd, k, "die", "exitCode", k->exit_code);
		net_detach(k);
	} else
		shim_finish(k, true); /* a shim that outlived its container */
	k->status = CS_REMOVING;
	if (k->timer_ready)
		uv_timer_stop(&k->timer);
	bundle_release(k);
	/* the container's own layer */
	if (client_connect(&c, k->cd->imaged_sock, ROLE_CONTAINERD, err) < 0) {
		err_wrap(err, "remove the container's snapshot");
		k->status = CS_DEAD;
		save_state(k);
		return -err->code;
	}
	pb_init(&pb);
	pb_put_str(&pb, TAG_KEY, k->id);
	if (client_call(&c, MSG_SNAPSHOT_REMOVE, &pb, NULL, 0, &f, err) < 0) {
		client_close(&c);
		err_wrap(err, "remove the container's snapshot");
		k->status = CS_DEAD;
		save_state(k);
		return -err->code;
	}
	frame_release(&f);
	client_close(&c);
	if (rm_record_dir(dir) < 0)
		log_warn("remove %s", dir);
	if (volumes)
		volume_remove_anonymous(k->cd, k);
	log_info("removed container %.12s (%s)", k->id, k->name);
	event_emit(k->cd, k, "destroy", NULL, NULL);
	ctr_wake(k, true);
	ctr_destroy(k);
	return 0;
}

/* ---- live restore ---- */

static bool policy_is(struct ctr *k, const char *name)
{
	const cJSON *rp = ctr_cfg(k, "HostConfig", "RestartPolicy");
	const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(rp, "Name"));

	return n && !strcmp(n, name);
}

static void restore_one(struct ctr *k)
{
	cleanup_free char *run = ctr_run_dir(k), *exitf = xasprintf("%s/exit", run);
	struct err err = ERR_INIT;
	bool was_running = k->status == CS_RUNNING || k->status == CS_PAUSED;

	if (was_running && access(exitf, F_OK) == 0) {
		/* it ended while we were away */
		ctr_exited(k);
		return;
	}
	if (was_running && shim_alive(k)) {
		if (exit_watch(k, &err) < 0)
			log_warnx("container %.12s: %s", k->id, err_msg(&err));
		err_clear(&err);
		if (access(exitf, F_OK) == 0) {
			ctr_exited(k);
		} else {
			log_info("reconnected to container %.12s (%s)", k->id, k->name);
			health_start(k, true);
		}
		return;
	}
	if (was_running || k->status == CS_RESTARTING) {
		/* the shim is gone (a reboot): the container ended with the host */
		char now[RFC3339_LEN];

		net_detach(k);
		bundle_release(k);
		k->status = CS_EXITED;
		k->pid = 0;
		k->exit_code = 255;
		set_str(&k->finished_at, rfc3339_now(now));
		set_str(&k->error, "the shim was gone when containerd started");
		save_state(k);
	}
	/* a root mounted for a copy (berth cp) by the containerd that went away */
	if (!was_running && k->status != CS_REMOVING)
		bundle_release(k);
	if (k->status == CS_REMOVING) {
		if (ctr_remove(k, true, false, &err) < 0)
			log_warnx("finish removing %.12s: %s", k->id, err_msg(&err));
		err_clear(&err);
		return;
	}
	if (k->status == CS_EXITED &&
	    (policy_is(k, "always") || (policy_is(k, "unless-stopped") && !k->stopped_by_user))) {
		k->stopped_by_user = false;
		if (ctr_start(k, NULL, NULL, &err) < 0)
			log_warnx("restart %.12s at start-up: %s", k->id, err_msg(&err));
		err_clear(&err);
	}
}

void ctr_restore(struct cd *cd)
{
	struct ctr *k, *next;

	for (k = TAILQ_FIRST(&cd->ctrs); k; k = next) {
		next = TAILQ_NEXT(k, link);
		restore_one(k);
	}
}
