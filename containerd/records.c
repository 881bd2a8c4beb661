/*
 * Container records: $ROOT/containers/<id>/config.json (what was asked,
 * merged with the image's config; written once, and on rename) and
 * state.json (the state machine; rewritten on every change). Both are
 * replaced atomically. In memory, one struct ctr per record.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "proto/tags.h"

static const char *const status_names[] = {
    [CS_CREATED] = "created",	    [CS_RUNNING] = "running", [CS_PAUSED] = "paused",
    [CS_RESTARTING] = "restarting", [CS_EXITED] = "exited",   [CS_DEAD] = "dead",
    [CS_REMOVING] = "removing",
};

const char *ctr_status_name(enum ctr_status s)
{
	return s <= CS_REMOVING ? status_names[s] : "unknown";
}

static enum ctr_status status_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (s && !strcmp(s, status_names[i]))
			return (enum ctr_status)i;
	return CS_DEAD;
}

char *ctr_dir(const struct ctr *k)
{
	return xasprintf("%s/%s", k->cd->dir, k->id);
}

char *ctr_cgroup_path(const struct ctr *k)
{
	return xasprintf("berth/%s", k->id);
}

char *ctr_run_dir(const struct ctr *k)
{
	return xasprintf("%s/%s", k->cd->run_dir, k->id);
}

const cJSON *ctr_cfg(const struct ctr *k, const char *section, const char *key)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(k->config, section);

	return key ? cJSON_GetObjectItemCaseSensitive(s, key) : s;
}

struct ctr *ctr_new(struct cd *cd, const char *id, const char *name, cJSON *config)
{
	struct ctr *k = xzalloc(sizeof(*k));

	k->cd = cd;
	strlcpy(k->id, id, sizeof(k->id));
	k->name = xstrdup(name);
	k->config = config;
	LIST_INIT(&k->waiters);
	TAILQ_INSERT_TAIL(&cd->ctrs, k, link);
	cd->nctrs++;
	return k;
}

static int save_json(struct ctr *k, const char *file, cJSON *doc, struct err *err)
{
	cleanup_free char *dir = ctr_dir(k), *path = xasprintf("%s/%s", dir, file);
	cleanup_free char *text = cJSON_PrintUnformatted(doc);

	return atomic_write_file(path, text, strlen(text), 0600, err);
}

int ctr_save_config(struct ctr *k, struct err *err)
{
	cleanup_free char *name = xasprintf("/%s", k->name);

	cJSON_ReplaceItemInObjectCaseSensitive(k->config, "Name", cJSON_CreateString(name));
	return save_json(k, "config.json", k->config, err);
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	cJSON_AddStringToObject(o, key, v ? v : "");
}

int ctr_save_state(struct ctr *k, struct err *err)
{
	cleanup_cjson cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "Status", ctr_status_name(k->status));
	cJSON_AddNumberToObject(o, "Pid", k->pid);
	cJSON_AddNumberToObject(o, "ExitCode", k->exit_code);
	cJSON_AddBoolToObject(o, "OOMKilled", k->oom_killed);
	cJSON_AddBoolToObject(o, "StoppedByUser", k->stopped_by_user);
	cJSON_AddNumberToObject(o, "RestartCount", k->restart_count);
	add_str(o, "StartedAt", k->started_at);
	add_str(o, "FinishedAt", k->finished_at);
	add_str(o, "Error", k->error);
	if (k->net)
		cJSON_AddItemToObject(o, "Network", cJSON_Duplicate(k->net, true));
	if (k->extra)
		cJSON_AddItemToObject(o, "ExtraNetworks", cJSON_Duplicate(k->extra, true));
	return save_json(k, "state.json", o, err);
}

static char *dup_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring[0] ? xstrdup(v->valuestring) : NULL;
}

static int load_one(struct cd *cd, const char *id, struct err *err)
{
	cleanup_free char *dir = xasprintf("%s/%s", cd->dir, id), *text = NULL, *stext = NULL;
	cleanup_free char *cpath = xasprintf("%s/config.json", dir);
	cleanup_free char *spath = xasprintf("%s/state.json", dir);
	cJSON *config, *st;
	const cJSON *name;
	struct ctr *k;

	if (read_file_at(AT_FDCWD, cpath, 1 << 24, &text, NULL, err) < 0)
		return -err->code;
	config = cJSON_Parse(text);
	name = cJSON_GetObjectItemCaseSensitive(config, "Name");
	if (!config || !cJSON_IsString(name)) {
		cJSON_Delete(config);
		return err_set(err, EINVAL, "%s/config.json is not a container record", dir);
	}
	k = ctr_new(cd, id, name->valuestring[0] == '/' ? name->valuestring + 1 : name->valuestring,
		    config);
	if (read_file_at(AT_FDCWD, spath, 1 << 20, &stext, NULL, err) < 0) {
		log_warnx("%s: %s (taken as created)", id, err_msg(err));
		err_clear(err);
		return 0;
	}
	st = cJSON_Parse(stext);
	if (!st) {
		log_warnx("%s/state.json is not JSON (taken as dead)", dir);
		k->status = CS_DEAD;
		return 0;
	}
	k->status = status_parse(cJSON_GetStringValue(cJSON_GetObjectItem(st, "Status")));
	k->pid = (pid_t)cJSON_GetNumberValue(cJSON_GetObjectItem(st, "Pid"));
	k->exit_code = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(st, "ExitCode"));
	k->oom_killed = cJSON_IsTrue(cJSON_GetObjectItem(st, "OOMKilled"));
	k->stopped_by_user = cJSON_IsTrue(cJSON_GetObjectItem(st, "StoppedByUser"));
	k->restart_count = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(st, "RestartCount"));
	k->started_at = dup_str(st, "StartedAt");
	k->finished_at = dup_str(st, "FinishedAt");
	k->error = dup_str(st, "Error");
	k->net = cJSON_DetachItemFromObject(st, "Network");
	k->extra = cJSON_DetachItemFromObject(st, "ExtraNetworks");
	cJSON_Delete(st);
	return 0;
}

int ctr_load_all(struct cd *cd, struct err *err)
{
	DIR *dir = opendir(cd->dir);
	struct dirent *de;

	if (!dir)
		return err_sys(err, "open %s", cd->dir);
	while ((de = readdir(dir))) {
		struct err e2 = ERR_INIT;

		if (!id_valid(de->d_name))
			continue;
		if (load_one(cd, de->d_name, &e2) < 0)
			log_warnx("skip container %s: %s", de->d_name, err_msg(&e2));
		err_clear(&e2);
	}
	closedir(dir);
	return 0;
}

struct ctr *ctr_by_name(struct cd *cd, const char *name)
{
	struct ctr *k;

	if (name[0] == '/')
		name++;
	TAILQ_FOREACH (k, &cd->ctrs, link)
		if (!k->dead && !strcmp(k->name, name))
			return k;
	return NULL;
}

struct ctr *ctr_find(struct cd *cd, const char *ref, struct err *err)
{
	struct ctr *k, *found = NULL;
	size_t n = strlen(ref);

	if (!n) {
		err_set(err, EINVAL, "an empty container name or id");
		return NULL;
	}
	TAILQ_FOREACH (k, &cd->ctrs, link)
		if (!k->dead && !strcmp(k->id, ref))
			return k;
	if ((k = ctr_by_name(cd, ref)))
		return k;
	if (id_prefix_valid(ref))
		TAILQ_FOREACH (k, &cd->ctrs, link) {
			if (k->dead || strncmp(k->id, ref, n))
				continue;
			if (found) {
				err_set(err, EINVAL,
					"container id prefix '%s' is ambiguous: give more of it",
					ref);
				return NULL;
			}
			found = k;
		}
	if (!found)
		err_set(err, ENOENT, "no such container: %s", ref);
	return found;
}

static void on_handle_closed(uv_handle_t *h)
{
	struct ctr *k = h->data;

	if (--k->handles > 0)
		return;
	cJSON_Delete(k->config);
	cJSON_Delete(k->net);
	cJSON_Delete(k->extra);
	free(k->name);
	free(k->started_at);
	free(k->finished_at);
	free(k->error);
	free(k);
}

void ctr_destroy(struct ctr *k)
{
	struct ctr_waiter *w;

	if (k->dead)
		return;
	k->dead = true;
	health_stop(k);
	TAILQ_REMOVE(&k->cd->ctrs, k, link);
	k->cd->nctrs--;
	while ((w = LIST_FIRST(&k->waiters))) {
		LIST_REMOVE(w, link);
		free(w);
	}
	/* one reference for ourselves, one per open handle */
	k->handles = 1;
	k->watch.data = k->timer.data = k;
	if (k->watching) {
		k->handles++;
		k->watching = false;
		uv_close((uv_handle_t *)&k->watch, on_handle_closed);
	}
	if (k->timer_ready) {
		k->handles++;
		k->timer_ready = false;
		uv_close((uv_handle_t *)&k->timer, on_handle_closed);
	}
	{
		uv_handle_t self = {.data = k};

		on_handle_closed(&self);
	}
}

struct ctr *ctr_from_request(struct conn *c, struct frame *f, struct err *err)
{
	cleanup_free char *ref = NULL;

	if (p_get_str(f->payload, f->len, TAG_REF, &ref, err) <= 0) {
		err_set(err, EINVAL, "%s needs a container name or id", msg_name(f->type));
		return NULL;
	}
	return ctr_find(cd_of(c), ref, err);
}

int ctr_authorize(struct conn *c, const struct ctr *k, struct err *err)
{
	if (!c->profile || policy_check_container(c->profile, k->config, err) == 0)
		return 0;
	err_wrap(err, "container %s", k->name);
	return conn_deny(c, err);
}

struct ctr *ctr_for_use(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);

	if (k)
		conn_audit_target(c, k->name);
	return k && ctr_authorize(c, k, err) < 0 ? NULL : k;
}
