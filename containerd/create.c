/*
 * CONTAINER_CREATE: check the request, ask imaged for the container's
 * snapshot and the image config, merge the two the way Docker does, and
 * write the record. Nothing runs yet: the bundle and the shim come at start.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "common/bindspec.h"
#include "common/cleanup.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "proto/tags.h"

static cJSON *item(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* Ask imaged for the snapshot: {lower[], upper, work, image, id, config}. */
static int prepare_snapshot(struct cd *cd, const char *image, const char *key, cJSON **out,
			    struct err *err)
{
	cleanup_free char *text = NULL;
	struct client c;
	struct frame f;
	struct pbuf pb;
	int r;

	if (client_connect(&c, cd->imaged_sock, ROLE_CONTAINERD, err) < 0)
		return err_wrap(err, "ask berth-imaged for the image");
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, image);
	pb_put_str(&pb, TAG_KEY, key);
	r = client_call(&c, MSG_SNAPSHOT_PREPARE, &pb, NULL, 0, &f, err);
	client_close(&c);
	if (r < 0) {
		if (err->code == ENOENT)
			return err_set(
			    err, ENOENT,
			    "no such image: %s is not present locally (pull it with "
			    "'berth pull', or load it with 'berth load' or 'berth import')",
			    image);
		return r;
	}
	p_get_str(f.payload, f.len, TAG_JSON, &text, err);
	frame_release(&f);
	*out = text ? cJSON_Parse(text) : NULL;
	if (!*out)
		return err_set(err, EPROTO, "berth-imaged sent a snapshot reply that is not JSON");
	return 0;
}

static void remove_snapshot(struct cd *cd, const char *key)
{
	struct err err = ERR_INIT;
	struct client c;
	struct frame f;
	struct pbuf pb;

	if (client_connect(&c, cd->imaged_sock, ROLE_CONTAINERD, &err) == 0) {
		pb_init(&pb);
		pb_put_str(&pb, TAG_KEY, key);
		if (client_call(&c, MSG_SNAPSHOT_REMOVE, &pb, NULL, 0, &f, &err) == 0)
			frame_release(&f);
		client_close(&c);
	}
	if (err_isset(&err))
		log_warnx("remove snapshot %.12s: %s", key, err_msg(&err));
	err_clear(&err);
}

/* Replace or add (cJSON's replace does nothing when the key is missing). */
static void set_item(cJSON *o, const char *key, cJSON *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddItemToObject(o, key, v);
}

static bool env_key_eq(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");

	return strncmp(a, b, n) == 0 && (b[n] == '=' || b[n] == '\0');
}

/* Image Env first; the user's entries replace those with the same key. */
static cJSON *merge_env(const cJSON *img, const cJSON *user)
{
	cJSON *env = cJSON_CreateArray();
	const cJSON *e, *u;

	cJSON_ArrayForEach (e, img) {
		bool replaced = false;

		cJSON_ArrayForEach (u, user)
			replaced = replaced || env_key_eq(e->valuestring, u->valuestring);
		if (cJSON_IsString(e) && !replaced)
			cJSON_AddItemToArray(env, cJSON_CreateString(e->valuestring));
	}
	cJSON_ArrayForEach (u, user)
		if (cJSON_IsString(u) && strchr(u->valuestring, '='))
			cJSON_AddItemToArray(env, cJSON_CreateString(u->valuestring));
	return env;
}

static void take_if_missing(cJSON *cfg, const cJSON *img, const char *key)
{
	const cJSON *v = item(cfg, key), *iv = item(img, key);

	if ((!v || (cJSON_IsString(v) && !v->valuestring[0])) && iv) {
		cJSON_DeleteItemFromObjectCaseSensitive(cfg, key);
		cJSON_AddItemToObject(cfg, key, cJSON_Duplicate(iv, true));
	}
}

static void drop_nulls(cJSON *cfg)
{
	cJSON *it = cfg ? cfg->child : NULL, *next;

	for (; it; it = next) {
		next = it->next;
		if (cJSON_IsNull(it))
			cJSON_Delete(cJSON_DetachItemViaPointer(cfg, it));
	}
}

/* Docker's rules: the user's Entrypoint drops the image's Cmd as well. */
static int merge_config(cJSON *cfg, const cJSON *image_config, const char *short_id,
			struct err *err)
{
	const cJSON *img = item(image_config, "config");
	const cJSON *ulabels = item(cfg, "Labels"), *l;
	cJSON *labels;

	if (!img)
		img = image_config;
	drop_nulls(cfg); /* the Docker API sends "Cmd": null for "not given" */
	set_item(cfg, "Env", merge_env(item(img, "Env"), item(cfg, "Env")));
	if (!item(cfg, "Entrypoint")) {
		take_if_missing(cfg, img, "Entrypoint");
		if (!item(cfg, "Cmd"))
			take_if_missing(cfg, img, "Cmd");
	}
	if (cJSON_GetArraySize(item(cfg, "Entrypoint")) == 1 &&
	    !strcmp(cJSON_GetStringValue(cJSON_GetArrayItem(item(cfg, "Entrypoint"), 0)) ?: "x",
		    ""))
		cJSON_DeleteItemFromObject(cfg, "Entrypoint"); /* --entrypoint "" resets it */
	if (cJSON_GetArraySize(item(cfg, "Entrypoint")) + cJSON_GetArraySize(item(cfg, "Cmd")) == 0)
		return err_set(err, EINVAL,
			       "no command specified: the image has no Cmd or Entrypoint, give one "
			       "after the image name");
	take_if_missing(cfg, img, "WorkingDir");
	take_if_missing(cfg, img, "User");
	take_if_missing(cfg, img, "StopSignal");
	take_if_missing(cfg, img, "ExposedPorts");
	/* --health-* fill in over the image's HEALTHCHECK field by field, as with Docker */
	if (item(img, "Healthcheck")) {
		const cJSON *f;
		cJSON *hc = (cJSON *)item(cfg, "Healthcheck");

		if (!cJSON_IsObject(hc)) {
			cJSON_DeleteItemFromObject(cfg, "Healthcheck");
			hc = cJSON_AddObjectToObject(cfg, "Healthcheck");
		}
		cJSON_ArrayForEach (f, item(img, "Healthcheck"))
			if (f->string && !item(hc, f->string))
				cJSON_AddItemToObject(hc, f->string, cJSON_Duplicate(f, true));
	}
	/* the image's VOLUMEs join the user's -v /path ones */
	{
		const cJSON *v;
		cJSON *vols = item(cfg, "Volumes");

		if (!cJSON_IsObject(vols)) {
			cJSON_DeleteItemFromObject(cfg, "Volumes");
			vols = cJSON_AddObjectToObject(cfg, "Volumes");
		}
		cJSON_ArrayForEach (v, item(img, "Volumes"))
			if (v->string && !item(vols, v->string))
				cJSON_AddObjectToObject(vols, v->string);
	}
	labels = cJSON_Duplicate(item(img, "Labels"), true);
	if (!cJSON_IsObject(labels)) {
		cJSON_Delete(labels);
		labels = cJSON_CreateObject();
	}
	cJSON_ArrayForEach (l, ulabels) {
		cJSON_DeleteItemFromObjectCaseSensitive(labels, l->string);
		cJSON_AddItemToObject(labels, l->string, cJSON_Duplicate(l, true));
	}
	set_item(cfg, "Labels", labels);
	if (!cJSON_GetStringValue(item(cfg, "Hostname")) || !item(cfg, "Hostname")->valuestring[0])
		set_item(cfg, "Hostname", cJSON_CreateString(short_id));
	return 0;
}

/*
 * --volumes-from NAME[:ro|:rw]: the other container's binds and volumes at
 * the same paths (read-only or writable if asked, else as they are there),
 * unless the new container mounts something there itself. They become binds
 * of this one, so the policy checks them as its own.
 */
static int volumes_from(struct cd *cd, cJSON *req, struct err *err)
{
	cJSON *hc = item(req, "HostConfig"), *binds = item(hc, "Binds");
	const cJSON *v, *b;

	cJSON_ArrayForEach (v, item(hc, "VolumesFrom")) {
		cleanup_free char *ref = xstrdup(cJSON_GetStringValue(v) ?: "");
		char *mode = strchr(ref, ':');
		struct ctr *other;

		if (mode)
			*mode++ = '\0';
		if (mode && strcmp(mode, "ro") && strcmp(mode, "rw"))
			return err_set(err, EINVAL,
				       "invalid --volumes-from %s:%s: the mode is ro or rw", ref,
				       mode);
		if (!(other = ctr_find(cd, ref, err))) {
			err_clear(err);
			return err_set(err, ENOENT, "invalid --volumes-from %s: no such container",
				       ref);
		}
		cJSON_ArrayForEach (b, ctr_cfg(other, "HostConfig", "Binds")) {
			struct bind_spec bs;
			bool ro;
			char *bind;

			if (bind_spec_parse(cJSON_GetStringValue(b), &bs, err) < 0) {
				err_clear(err);
				continue;
			}
			ro = mode ? !strcmp(mode, "ro") : bs.ro;
			if (!binds_at(binds, bs.dst)) {
				if (!binds)
					binds = cJSON_AddArrayToObject(hc, "Binds");
				bind = xasprintf("%s:%s%s", bs.src, bs.dst, ro ? ":ro" : "");
				cJSON_AddItemToArray(binds, cJSON_CreateString(bind));
				free(bind);
			}
			bind_spec_free(&bs);
		}
	}
	return 0;
}

/* An anonymous volume for each Config.Volumes path no bind covers (Docker's way). */
static int anonymous_volumes(struct cd *cd, cJSON *req, cJSON **made, struct err *err)
{
	cJSON *hc = item(req, "HostConfig"), *binds = item(hc, "Binds");
	const cJSON *v;

	*made = cJSON_CreateArray();
	cJSON_ArrayForEach (v, item(item(req, "Config"), "Volumes")) {
		char name[ID_LEN + 1];
		char *bind;

		if (!v->string || v->string[0] != '/' || binds_at(binds, v->string))
			continue;
		id_new(name);
		if (volume_ensure(cd, name, NULL, true, err) < 0)
			return -err->code;
		if (!binds)
			binds = cJSON_AddArrayToObject(hc, "Binds");
		bind = xasprintf("%s:%s", name, v->string);
		cJSON_AddItemToArray(binds, cJSON_CreateString(bind));
		free(bind);
		cJSON_AddItemToArray(*made, cJSON_CreateString(name));
	}
	return 0;
}

static cJSON *graph_driver(struct cd *cd, const char *id, const cJSON *snap)
{
	cJSON *gd = cJSON_CreateObject(), *data = cJSON_AddObjectToObject(gd, "Data");
	const cJSON *l;
	size_t len = 1;
	char *lower, *p;

	cJSON_AddStringToObject(gd, "Name", "overlay");
	cJSON_ArrayForEach (l, item(snap, "lower"))
		len += strlen(l->valuestring) + 1;
	p = lower = xzalloc(len);
	cJSON_ArrayForEach (l, item(snap, "lower"))
		p += sprintf(p, "%s%s", p == lower ? "" : ":", l->valuestring);
	cJSON_AddStringToObject(data, "LowerDir", lower);
	free(lower);
	cJSON_AddStringToObject(data, "UpperDir", cJSON_GetStringValue(item(snap, "upper")) ?: "");
	cJSON_AddStringToObject(data, "WorkDir", cJSON_GetStringValue(item(snap, "work")) ?: "");
	{
		char *merged = xasprintf("%s/%s/rootfs", cd->run_dir, id);

		cJSON_AddStringToObject(data, "MergedDir", merged);
		free(merged);
	}
	return gd;
}

static cJSON *make_record(struct cd *cd, const char *id, const char *name, cJSON *req,
			  const cJSON *snap)
{
	cJSON *rec = cJSON_CreateObject();
	char now[RFC3339_LEN], *s;
	const char *image_id = cJSON_GetStringValue(item(snap, "id"));

	cJSON_AddStringToObject(rec, "Id", id);
	s = xasprintf("/%s", name);
	cJSON_AddStringToObject(rec, "Name", s);
	free(s);
	cJSON_AddStringToObject(rec, "Created", rfc3339_now(now));
	s = xasprintf("%s%s", image_id && strncmp(image_id, "sha256:", 7) ? "sha256:" : "",
		      image_id ? image_id : "");
	cJSON_AddStringToObject(rec, "Image", s);
	free(s);
	/* the manifest too: one image id may stand for several manifests (docker and OCI forms) */
	if (cJSON_GetStringValue(item(snap, "image")))
		cJSON_AddStringToObject(rec, "ImageManifest",
					cJSON_GetStringValue(item(snap, "image")));
	cJSON_AddItemToObject(rec, "Config", cJSON_DetachItemFromObject(req, "Config"));
	cJSON_AddItemToObject(rec, "HostConfig", cJSON_DetachItemFromObject(req, "HostConfig"));
	cJSON_AddItemToObject(rec, "GraphDriver", graph_driver(cd, id, snap));
	s = xasprintf("%s/%s/%s-json.log", cd->dir, id, id);
	cJSON_AddStringToObject(rec, "LogPath", s);
	free(s);
	return rec;
}

int h_CONTAINER_CREATE(struct conn *c, struct frame *f, struct err *err)
{
	struct cd *cd = cd_of(c);
	cleanup_free char *text = NULL, *name = NULL, *dir = NULL;
	cleanup_cjson cJSON *req = NULL, *snap = NULL;
	char id[ID_LEN + 1], short_id[ID_SHORT_LEN + 1];
	const char *given;
	struct ctr *k;
	cJSON *rec, *out, *anon = NULL;
	struct pbuf pb;

	if (p_get_str(f->payload, f->len, TAG_JSON, &text, err) <= 0 || !(req = cJSON_Parse(text)))
		return err_set(err, EINVAL, "container.create needs the request as JSON");
	given = cJSON_GetStringValue(item(req, "Name"));
	conn_audit_target(
	    c, given && *given ? given : cJSON_GetStringValue(item(item(req, "Config"), "Image")));
	if (mounts_normalize(req, err) < 0 || options_check(cd, req, err) < 0 ||
	    volumes_from(cd, req, err) < 0)
		return -err->code;
	/* what the requester's profile allows (berth-policy(5)): nothing is made otherwise */
	if (conn_authorize(c, policy_check_container, req, err) < 0 ||
	    joins_authorize(c, item(req, "HostConfig"), err) < 0 ||
	    mounts_volume_labels(cd, req, err) < 0)
		return -err->code;
	name = given && *given ? xstrdup(given[0] == '/' ? given + 1 : given) : name_generate(cd);
	id_new(id);
	id_short(id, short_id);
	if (prepare_snapshot(cd, cJSON_GetStringValue(item(item(req, "Config"), "Image")), id,
			     &snap, err) < 0)
		return -err->code;
	if (merge_config(item(req, "Config"), item(snap, "config"), short_id, err) < 0) {
		remove_snapshot(cd, id);
		return -err->code;
	}
	if (anonymous_volumes(cd, req, &anon, err) < 0) {
		cJSON_Delete(anon);
		remove_snapshot(cd, id);
		return -err->code;
	}
	/* -P: every exposed port without a binding gets a free host port */
	if (cJSON_IsTrue(item(item(req, "HostConfig"), "PublishAllPorts"))) {
		cJSON *hc = item(req, "HostConfig"), *binds = item(hc, "PortBindings");
		const cJSON *e;

		if (!binds)
			binds = cJSON_AddObjectToObject(hc, "PortBindings");
		cJSON_ArrayForEach (e, item(item(req, "Config"), "ExposedPorts"))
			if (e->string && !item(binds, e->string)) {
				cJSON *b = cJSON_CreateObject();

				cJSON_AddStringToObject(b, "HostIp", "");
				cJSON_AddStringToObject(b, "HostPort", "");
				cJSON_AddItemToArray(cJSON_AddArrayToObject(binds, e->string), b);
			}
	}
	rec = make_record(cd, id, name, req, snap);
	cJSON_AddItemToObject(rec, "AnonymousVolumes", anon);
	dir = xasprintf("%s/%s", cd->dir, id);
	if (mkdir(dir, 0700) < 0) {
		cJSON_Delete(rec);
		remove_snapshot(cd, id);
		return err_sys(err, "create %s", dir);
	}
	k = ctr_new(cd, id, name, rec);
	k->status = CS_CREATED;
	if (ctr_save_config(k, err) < 0 || ctr_save_state(k, err) < 0) {
		rmdir(dir);
		remove_snapshot(cd, id);
		ctr_destroy(k);
		return -err->code;
	}
	log_info("created container %.12s (%s)", id, name);
	event_emit(cd, k, "create", NULL, NULL);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "Id", id);
	cJSON_AddStringToObject(out, "Name", name);
	cJSON_AddArrayToObject(out, "Warnings");
	free(text);
	text = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text);
	conn_reply(c, f, &pb, NULL, 0);
	return 0;
}
