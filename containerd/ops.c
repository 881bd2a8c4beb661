/* The handlers that change a container: start, stop, kill, remove, wait, rename. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/signame.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "proto/tags.h"
#include "shim/cgroup.h"

#define STOP_TIMEOUT_DEFAULT 10

static cJSON *id_obj(const struct ctr *k)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "Id", k->id);
	cJSON_AddStringToObject(o, "Name", k->name);
	cJSON_AddStringToObject(o, "Status", ctr_status_name(k->status));
	return o;
}

static void add_waiter(struct ctr *k, struct conn *c, const struct frame *f, bool removed)
{
	struct ctr_waiter *w = xzalloc(sizeof(*w));

	w->c = c;
	w->type = f->type;
	w->id = f->id;
	w->removed = removed;
	LIST_INSERT_HEAD(&k->waiters, w, link);
}

int h_CONTAINER_START(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_for_use(c, f, err);
	uint32_t attach = 0, attach_id = 0;
	bool running = false;
	int fd = -1;
	cJSON *o;

	if (!k)
		return -err->code;
	p_get_u32(f->payload, f->len, TAG_STREAM, &attach, err);
	k->stopped_by_user = false;
	if (ctr_start(k, attach ? &fd : NULL, &attach_id, err) < 0) {
		/* starting a running container is not an error (Docker's start) */
		if (err->code != EALREADY || attach)
			return -err->code;
		err_clear(err);
		running = true;
	}
	o = id_obj(k);
	/* Docker's 304: it ran already */
	cJSON_AddBoolToObject(o, "NotModified", running);
	cJSON_AddNumberToObject(o, "Pid", k->pid);
	cJSON_AddBoolToObject(o, "Tty", cJSON_IsTrue(ctr_cfg(k, "Config", "Tty")));
	if (fd >= 0) {
		cJSON_AddNumberToObject(o, "AttachId", attach_id);
		conn_reply_json(c, f, o, &fd, 1);
	} else {
		conn_reply_json(c, f, o, NULL, 0);
	}
	return 0;
}

int ctr_cgroup_open(const struct ctr *k, struct cgroup *cg, struct err *err)
{
	cleanup_free char *path = ctr_cgroup_path(k);

	return cgroup_open(cg, path, err) < 0 ? -err->code : 0;
}

int ctr_freeze(struct ctr *k, bool frozen, struct err *err)
{
	struct cgroup cg;
	int r;

	if (ctr_cgroup_open(k, &cg, err) < 0)
		return -err->code;
	r = cg.ops->freeze(&cg, frozen, err);
	cgroup_close(&cg);
	if (r < 0)
		return r;
	k->status = frozen ? CS_PAUSED : CS_RUNNING;
	if (ctr_save_state(k, err) < 0)
		return -err->code;
	log_info("%s container %.12s", frozen ? "paused" : "unpaused", k->id);
	event_emit(k->cd, k, frozen ? "pause" : "unpause", NULL, NULL);
	return 0;
}

static int signal_ctr(struct ctr *k, int sig, bool all, struct err *err)
{
	struct pbuf pb;

	/* a frozen process gets no signal: thaw it first, as Docker does */
	if (k->status == CS_PAUSED && ctr_freeze(k, false, err) < 0)
		return -err->code;
	pb_init(&pb);
	pb_put_u32(&pb, TAG_SIGNAL, (uint32_t)sig);
	pb_put_u32(&pb, TAG_ALL, all);
	return shim_call(k, MSG_SHIM_KILL, &pb, NULL, err);
}

static void on_stop_timeout(uv_timer_t *t)
{
	struct ctr *k = t->data;
	struct err err = ERR_INIT;

	if (k->status != CS_RUNNING)
		return;
	log_info("container %.12s did not stop in time: killing it", k->id);
	if (signal_ctr(k, SIGKILL, true, &err) < 0)
		log_warnx("kill %.12s: %s", k->id, err_msg(&err));
	err_clear(&err);
}

static int stop_signal(const struct ctr *k)
{
	int sig = signal_parse(cJSON_GetStringValue(ctr_cfg(k, "Config", "StopSignal")));

	return sig > 0 ? sig : SIGTERM;
}

int h_CONTAINER_STOP(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);
	uint32_t timeout = STOP_TIMEOUT_DEFAULT;
	bool was_restarting = false;
	const cJSON *st;
	cJSON *o;

	if (!k)
		return -err->code;
	st = ctr_cfg(k, "Config", "StopTimeout");
	if (cJSON_IsNumber(st))
		timeout = (uint32_t)st->valuedouble;
	p_get_u32(f->payload, f->len, TAG_TIMEOUT, &timeout, err);
	k->stopped_by_user = true;
	if (k->status == CS_RESTARTING) {
		uv_timer_stop(&k->timer);
		k->status = CS_EXITED;
		ctr_save_state(k, err);
		err_clear(err);
		was_restarting = true;
	}
	if (k->status != CS_RUNNING && k->status != CS_PAUSED) {
		ctr_save_state(k, err);
		err_clear(err);
		o = id_obj(k);
		/* Docker's 304: it was not running (a restart waiting is stopped, though) */
		cJSON_AddBoolToObject(o, "NotModified", !was_restarting);
		conn_reply_json(c, f, o, NULL, 0);
		return 0;
	}
	if (signal_ctr(k, timeout ? stop_signal(k) : SIGKILL, timeout == 0, err) < 0)
		return -err->code;
	event_emit_code(k->cd, k, "kill", "signal", timeout ? stop_signal(k) : SIGKILL);
	ctr_timer_init(k);
	uv_timer_start(&k->timer, on_stop_timeout, (uint64_t)timeout * 1000, 0);
	add_waiter(k, c, f, false);
	return 0;
}

int h_CONTAINER_KILL(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);
	uint32_t sig = SIGKILL;

	if (!k)
		return -err->code;
	p_get_u32(f->payload, f->len, TAG_SIGNAL, &sig, err);
	if (sig == 0 || sig >= 65)
		return err_set(err, EINVAL, "invalid signal %u", sig);
	if (k->status != CS_RUNNING && k->status != CS_PAUSED)
		return err_set(err, EINVAL, "container %s is not running", k->name);
	if (sig == SIGKILL || sig == SIGTERM)
		k->stopped_by_user = true;
	if (signal_ctr(k, (int)sig, false, err) < 0)
		return -err->code;
	event_emit_code(k->cd, k, "kill", "signal", (long)sig);
	conn_reply_json(c, f, id_obj(k), NULL, 0);
	return 0;
}

int h_CONTAINER_PAUSE(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);

	if (!k)
		return -err->code;
	if (k->status == CS_PAUSED)
		return err_set(err, EINVAL, "container %s is already paused", k->name);
	if (k->status != CS_RUNNING)
		return err_set(err, EINVAL, "container %s is not running", k->name);
	if (ctr_freeze(k, true, err) < 0)
		return -err->code;
	conn_reply_json(c, f, id_obj(k), NULL, 0);
	return 0;
}

int h_CONTAINER_UNPAUSE(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);

	if (!k)
		return -err->code;
	if (k->status != CS_PAUSED)
		return err_set(err, EINVAL, "container %s is not paused", k->name);
	if (ctr_freeze(k, false, err) < 0)
		return -err->code;
	conn_reply_json(c, f, id_obj(k), NULL, 0);
	return 0;
}

int h_CONTAINER_REMOVE(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);
	uint32_t force = 0, volumes = 0;
	cJSON *o;

	if (!k)
		return -err->code;
	p_get_u32(f->payload, f->len, TAG_FORCE, &force, err);
	p_get_u32(f->payload, f->len, TAG_ALL, &volumes, err);
	o = id_obj(k);
	if (ctr_remove(k, force != 0, volumes != 0, err) < 0) {
		cJSON_Delete(o);
		return -err->code;
	}
	conn_reply_json(c, f, o, NULL, 0);
	return 0;
}

int h_CONTAINER_WAIT(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);
	uint32_t removed = 0;

	p_get_u32(f->payload, f->len, TAG_ALL, &removed, err);
	if (!k) {
		/* waiting for a removal that already happened */
		if (removed && err->code == ENOENT) {
			err_clear(err);
			conn_reply_json(c, f, cJSON_CreateObject(), NULL, 0);
			return 0;
		}
		return -err->code;
	}
	if (!removed && (k->status == CS_EXITED || k->status == CS_DEAD)) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "StatusCode", k->exit_code);
		cJSON_AddBoolToObject(o, "OOMKilled", k->oom_killed);
		conn_reply_json(c, f, o, NULL, 0);
		return 0;
	}
	add_waiter(k, c, f, removed != 0);
	return 0;
}

int h_CONTAINER_RENAME(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);
	cleanup_free char *name = NULL, *old = NULL;
	struct ctr *other;

	if (!k)
		return -err->code;
	if (p_get_str(f->payload, f->len, TAG_NAME, &name, err) <= 0)
		return err_set(err, EINVAL, "rename needs a new name");
	if (name_check(name, err) < 0)
		return -err->code;
	other = ctr_by_name(cd_of(c), name);
	if (other && other != k)
		return err_set(err, EEXIST,
			       "the container name \"/%s\" is already in use by container %.12s",
			       name[0] == '/' ? name + 1 : name, other->id);
	old = k->name;
	k->name = xstrdup(name[0] == '/' ? name + 1 : name);
	if (ctr_save_config(k, err) < 0) {
		free(k->name);
		k->name = old;
		old = NULL;
		return -err->code;
	}
	log_info("renamed container %.12s from %s to %s", k->id, old, k->name);
	event_emit(k->cd, k, "rename", "oldName", old);
	conn_reply_json(c, f, id_obj(k), NULL, 0);
	return 0;
}

void containerd_conn_closed(struct conn *c)
{
	struct cd *cd = ((struct daemon *)c->srv->ctx)->priv;
	struct ctr *k;

	if (!cd)
		return;
	events_conn_closed(cd, c);
	mount_holds_closed(cd, c);
	TAILQ_FOREACH (k, &cd->ctrs, link) {
		struct ctr_waiter *w, *next;

		for (w = LIST_FIRST(&k->waiters); w; w = next) {
			next = LIST_NEXT(w, link);
			if (w->c == c) {
				LIST_REMOVE(w, link);
				free(w);
			}
		}
	}
}
