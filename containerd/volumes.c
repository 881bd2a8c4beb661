/*
 * Named volumes: $ROOT/volumes/<name>/_data (what containers mount) and
 * meta.json (Docker's shape: Name, Driver, Mountpoint, CreatedAt, Labels,
 * Scope). Created on demand by -v NAME:/path, or with berth volume create;
 * anonymous ones (-v /path, an image's VOLUME) get a random name and go with
 * their container on rm -v.
 */
#include "config.h"

#define _XOPEN_SOURCE_EXTENDED 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "proto/tags.h"

static char *vol_path(struct cd *cd, const char *name, const char *leaf)
{
	return leaf ? xasprintf("%s/%s/%s", cd->vol_dir, name, leaf)
		    : xasprintf("%s/%s", cd->vol_dir, name);
}

static cJSON *vol_meta(struct cd *cd, const char *name)
{
	cleanup_free char *path = vol_path(cd, name, "meta.json"), *text = NULL;
	struct err err = ERR_INIT;
	cJSON *o;

	if (read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, &err) < 0) {
		err_clear(&err);
		return NULL;
	}
	o = cJSON_Parse(text);
	if (o) {
		char *mp = vol_path(cd, name, "_data");

		cJSON_DeleteItemFromObject(o, "Mountpoint");
		cJSON_AddStringToObject(o, "Mountpoint", mp);
		free(mp);
	}
	return o;
}

int volume_ensure(struct cd *cd, const char *name, const cJSON *labels, bool anonymous,
		  struct err *err)
{
	cleanup_free char *dir = vol_path(cd, name, NULL), *data = vol_path(cd, name, "_data");
	cleanup_free char *meta = vol_path(cd, name, "meta.json"), *text = NULL;
	cleanup_cjson cJSON *o = NULL;
	char now[RFC3339_LEN];

	if (access(meta, F_OK) == 0)
		return 0;
	if (mkdir_secure(dir, 0700, err) < 0)
		return err_wrap(err, "volume %s", name);
	if (mkdir(data, 0755) < 0 && errno != EEXIST)
		return err_sys(err, "create %s", data);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Name", name);
	cJSON_AddStringToObject(o, "Driver", "local");
	cJSON_AddStringToObject(o, "CreatedAt", rfc3339_now(now));
	cJSON_AddItemToObject(o, "Labels",
			      labels ? cJSON_Duplicate(labels, true) : cJSON_CreateObject());
	cJSON_AddStringToObject(o, "Scope", "local");
	cJSON_AddBoolToObject(o, "Anonymous", anonymous);
	text = cJSON_PrintUnformatted(o);
	if (atomic_write_file(meta, text, strlen(text), 0600, err) < 0)
		return -err->code;
	log_info("created volume %s", name);
	server_event(&cd->d->srv, "volume", "create", name, name, NULL);
	return 0;
}

/* The container using a volume, or NULL. */
static struct ctr *volume_user(struct cd *cd, const char *name)
{
	struct ctr *k;
	size_t n = strlen(name);

	TAILQ_FOREACH (k, &cd->ctrs, link) {
		const cJSON *b;

		cJSON_ArrayForEach (b, ctr_cfg(k, "HostConfig", "Binds")) {
			const char *s = cJSON_GetStringValue(b);

			if (s && !strncmp(s, name, n) && s[n] == ':')
				return k;
		}
	}
	return NULL;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP ? rmdir(path) : unlink(path))
		return errno == ENOENT ? 0 : -1;
	return 0;
}

static int volume_delete(struct cd *cd, const char *name, struct err *err)
{
	cleanup_free char *dir = vol_path(cd, name, NULL);

	/* depth first, never following a symlink or crossing into a mount */
	if (nftw(dir, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT)
		return err_sys(err, "remove %s", dir);
	log_info("removed volume %s", name);
	server_event(&cd->d->srv, "volume", "destroy", name, name, NULL);
	return 0;
}

static bool volume_name_ok(const char *name)
{
	struct err err = ERR_INIT;
	bool ok = name_check(name, &err) == 0 && !strchr(name, '/');

	err_clear(&err);
	return ok;
}

int volume_remove_anonymous(struct cd *cd, struct ctr *k)
{
	const cJSON *v;

	cJSON_ArrayForEach (v, ctr_cfg(k, "AnonymousVolumes", NULL)) {
		struct err err = ERR_INIT;
		const char *name = cJSON_GetStringValue(v);

		if (name && volume_name_ok(name) && volume_delete(cd, name, &err) < 0)
			log_warnx("%s", err_msg(&err));
		err_clear(&err);
	}
	return 0;
}

int h_VOLUME_CREATE(struct conn *c, struct frame *f, struct err *err)
{
	struct cd *cd = cd_of(c);
	cleanup_free char *name = NULL, *text = NULL;
	cleanup_cjson cJSON *req = NULL;
	char id[ID_LEN + 1];
	cJSON *o;

	p_get_str(f->payload, f->len, TAG_NAME, &name, err);
	if (p_get_str(f->payload, f->len, TAG_JSON, &text, err) > 0)
		req = cJSON_Parse(text);
	err_clear(err);
	if (!name || !*name) {
		free(name);
		id_new(id);
		name = xstrdup(id);
	}
	if (!volume_name_ok(name))
		return err_set(err, EINVAL,
			       "invalid volume name '%s': [a-zA-Z0-9][a-zA-Z0-9_.-]+ is allowed",
			       name);
	if (volume_ensure(cd, name, cJSON_GetObjectItem(req, "Labels"), false, err) < 0)
		return -err->code;
	o = vol_meta(cd, name);
	if (!o)
		return err_set(err, EIO, "volume %s has no metadata", name);
	conn_reply_json(c, f, o, NULL, 0);
	return 0;
}

int h_VOLUME_LIST(struct conn *c, struct frame *f, struct err *err)
{
	struct cd *cd = cd_of(c);
	DIR *dir = opendir(cd->vol_dir);
	cJSON *a = cJSON_CreateArray();
	struct dirent *de;
	uint32_t sizes = 0;

	p_get_u32(f->payload, f->len, TAG_ALL, &sizes, err);
	err_clear(err);
	while (dir && (de = readdir(dir))) {
		cJSON *o;

		if (de->d_name[0] == '.' || !(o = vol_meta(cd, de->d_name)))
			continue;
		cJSON_AddBoolToObject(o, "InUse", volume_user(cd, de->d_name) != NULL);
		if (sizes) {
			char *data = vol_path(cd, de->d_name, "_data");

			cJSON_AddNumberToObject(o, "Size", (double)dir_usage(data));
			free(data);
		}
		cJSON_AddItemToArray(a, o);
	}
	if (dir)
		closedir(dir);
	conn_reply_json(c, f, a, NULL, 0);
	return 0;
}

static int need_name(struct frame *f, char **name, struct err *err)
{
	if (p_get_str(f->payload, f->len, TAG_REF, name, err) <= 0 || !volume_name_ok(*name))
		return err_set(err, EINVAL, "a volume name is needed");
	return 0;
}

int h_VOLUME_INSPECT(struct conn *c, struct frame *f, struct err *err)
{
	cleanup_free char *name = NULL;
	cJSON *o;

	if (need_name(f, &name, err) < 0)
		return -err->code;
	o = vol_meta(cd_of(c), name);
	if (!o)
		return err_set(err, ENOENT, "no such volume: %s", name);
	conn_reply_json(c, f, o, NULL, 0);
	return 0;
}

int h_VOLUME_REMOVE(struct conn *c, struct frame *f, struct err *err)
{
	struct cd *cd = cd_of(c);
	cleanup_free char *name = NULL;
	cleanup_cjson cJSON *meta = NULL;
	struct ctr *user;

	if (need_name(f, &name, err) < 0)
		return -err->code;
	meta = vol_meta(cd, name);
	if (!meta)
		return err_set(err, ENOENT, "no such volume: %s", name);
	if ((user = volume_user(cd, name)))
		return err_set(err, EBUSY,
			       "volume %s is in use by container %s (%.12s): remove it first", name,
			       user->name, user->id);
	if (volume_delete(cd, name, err) < 0)
		return -err->code;
	conn_reply_json(c, f, cJSON_CreateString(name), NULL, 0);
	return 0;
}

static bool volume_anonymous(struct cd *cd, const char *name)
{
	cleanup_cjson cJSON *meta = vol_meta(cd, name);

	return cJSON_IsTrue(cJSON_GetObjectItem(meta, "Anonymous"));
}

/* Unused volumes go; with TAG_ALL 0 only the anonymous ones (Docker's API since 1.42). */
int h_VOLUME_PRUNE(struct conn *c, struct frame *f, struct err *err)
{
	struct cd *cd = cd_of(c);
	DIR *dir = opendir(cd->vol_dir);
	cJSON *a = cJSON_CreateArray();
	struct dirent *de;
	uint32_t all = 1;

	if (p_get_u32(f->payload, f->len, TAG_ALL, &all, err) < 0)
		err_clear(err);
	while (dir && (de = readdir(dir))) {
		struct err e2 = ERR_INIT;

		if (de->d_name[0] == '.' || !volume_name_ok(de->d_name) ||
		    volume_user(cd, de->d_name) || (!all && !volume_anonymous(cd, de->d_name)))
			continue;
		if (volume_delete(cd, de->d_name, &e2) == 0)
			cJSON_AddItemToArray(a, cJSON_CreateString(de->d_name));
		else
			log_warnx("%s", err_msg(&e2));
		err_clear(&e2);
	}
	if (dir)
		closedir(dir);
	conn_reply_json(c, f, a, NULL, 0);
	return 0;
}
