/*
 * What berth build and berth commit ask of imaged: commit a new image (from
 * a container's snapshot, a layer tar, or configuration alone), look a step
 * up in the build cache, and send a path of an image as a tar (COPY
 * --from). The work that touches layers runs in berth-imaged-worker.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "imaged.h"
#include "job.h"
#include "proto/tags.h"
#include "common/reference.h"

/* A name or id to its manifest digest, or an error naming it. */
static int resolve(const struct store *s, const char *ref, char out[DIGEST_STR_LEN + 1],
		   struct err *err)
{
	cleanup_cjson cJSON *refs = NULL;

	if (refs_load(s, &refs, err) < 0)
		return -err->code;
	return image_resolve(s, refs, ref, out, err);
}

/* Each name normalised ("app" -> "docker.io/library/app:latest"); an error names a bad one. */
static int normalise_names(cJSON *args, struct err *err)
{
	cJSON *names = cJSON_GetObjectItem(args, "names"), *out = cJSON_CreateArray();
	const cJSON *it;

	cJSON_ArrayForEach (it, names) {
		struct ref r;

		if (!cJSON_IsString(it) || ref_parse(it->valuestring, &r, err) < 0) {
			cJSON_Delete(out);
			return err->code ? -err->code : err_set(err, EINVAL, "names: not strings");
		}
		{
			cleanup_free char *full = ref_full(&r);

			cJSON_AddItemToArray(out, cJSON_CreateString(full));
		}
		ref_free(&r);
	}
	cJSON_DeleteItemFromObject(args, "names");
	cJSON_AddItemToObject(args, "names", out);
	return 0;
}

int h_IMAGE_COMMIT(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_free char *text = NULL, *args_text = NULL;
	cleanup_cjson cJSON *args = NULL;
	const char *parent, *key;
	char manifest[DIGEST_STR_LEN + 1];
	int fd;

	if (need_str(f, TAG_JSON, "commit arguments", &text, err) < 0)
		return -err->code;
	args = cJSON_Parse(text);
	if (!cJSON_IsObject(args))
		return err_set(err, EINVAL, "commit arguments: not a JSON object");
	parent = cJSON_GetStringValue(cJSON_GetObjectItem(args, "parent"));
	if (parent && *parent) {
		if (resolve(s, parent, manifest, err) < 0)
			return -err->code;
		cJSON_ReplaceItemInObject(args, "parent", cJSON_CreateString(manifest));
	}
	key = cJSON_GetStringValue(cJSON_GetObjectItem(args, "key"));
	if (key) {
		cleanup_free char *dir = NULL;

		if (snapshot_key_check(key, err) < 0)
			return -err->code;
		dir = xasprintf("%s/snapshots/active-%s/fs", s->dir, key);
		if (access(dir, F_OK) < 0)
			return err_set(err, ENOENT, "no snapshot for container %.12s", key);
	}
	if (normalise_names(args, err) < 0)
		return -err->code;
	fd = frame_take_fd(f, 0);
	if (cJSON_IsTrue(cJSON_GetObjectItem(args, "layer")) && fd < 0)
		return err_set(err, EINVAL,
			       "image.commit with a layer needs it as a file descriptor");
	args_text = cJSON_PrintUnformatted(args);
	return job_start(c, f, s, fd, "commit", args_text, err);
}

int h_IMAGE_CACHE(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_free char *key = NULL;
	cleanup_cjson cJSON *refs = NULL, *o = cJSON_CreateObject();
	const char *m;
	struct image img;

	if (need_str(f, TAG_KEY, "cache key", &key, err) < 0 || refs_load(s, &refs, err) < 0)
		return -err->code;
	m = store_cache_get(refs, key);
	if (!m || image_open(s, m, &img, err) < 0) {
		err_clear(err);
		return err_set(err, ENOENT, "no cached step for %.19s", key);
	}
	/* TAG_FORCE: this step's image is a build's result, listed even without a name */
	{
		uint32_t result = 0;

		if (p_get_u32(f->payload, f->len, TAG_FORCE, &result, err) > 0 && result &&
		    store_mark_result(s, m, err) < 0) {
			image_free(&img);
			return -err->code;
		}
		err_clear(err);
	}
	cJSON_AddStringToObject(o, "manifest", m);
	cJSON_AddStringToObject(o, "id", img.id);
	cJSON_AddItemToObject(o, "config", cJSON_Duplicate(img.config, true));
	image_free(&img);
	return reply_json(c, f, o);
}

int h_IMAGE_ARCHIVE(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_free char *ref = NULL, *path = NULL, *args_text = NULL;
	cleanup_cjson cJSON *args = cJSON_CreateObject();
	char manifest[DIGEST_STR_LEN + 1];
	int fd;

	if (need_str(f, TAG_REF, "image", &ref, err) < 0 ||
	    need_str(f, TAG_NAME, "path", &path, err) < 0)
		return -err->code;
	if (path[0] != '/' || strlen(path) > 4000)
		return err_set(err, EINVAL, "'%s' is not an absolute path", path);
	if (resolve(s, ref, manifest, err) < 0)
		return -err->code;
	fd = frame_take_fd(f, 0);
	if (fd < 0)
		return err_set(err, EINVAL, "image.archive needs a file descriptor to write to");
	cJSON_AddStringToObject(args, "image", manifest);
	cJSON_AddStringToObject(args, "path", path);
	args_text = cJSON_PrintUnformatted(args);
	return job_start(c, f, s, fd, "archive", args_text, err);
}

int h_SNAPSHOT_DIFF(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_free char *key = NULL, *ref = NULL, *args_text = NULL;
	cleanup_cjson cJSON *args = cJSON_CreateObject();
	char manifest[DIGEST_STR_LEN + 1];

	if (need_str(f, TAG_KEY, "container", &key, err) < 0 || snapshot_key_check(key, err) < 0 ||
	    need_str(f, TAG_REF, "image", &ref, err) < 0 || resolve(s, ref, manifest, err) < 0)
		return -err->code;
	cJSON_AddStringToObject(args, "key", key);
	cJSON_AddStringToObject(args, "image", manifest);
	args_text = cJSON_PrintUnformatted(args);
	return job_start(c, f, s, -1, "diff", args_text, err);
}

/* berth cp and export: the worker works in the container's mounted root, named by its id only. */
int h_SNAPSHOT_COPY(struct conn *c, struct frame *f, struct err *err)
{
	const struct daemon *d = c->srv->ctx;
	const struct store *s = &imaged_of(c)->store;
	cleanup_free char *key = NULL, *path = NULL, *args_text = NULL, *rootfs = NULL;
	cleanup_cjson cJSON *args = cJSON_CreateObject();
	uint32_t put = 0, mounts = 0;
	int fd;

	if (need_str(f, TAG_KEY, "container", &key, err) < 0 ||
	    need_str(f, TAG_NAME, "path", &path, err) < 0)
		return -err->code;
	if (strlen(key) != 64 || strspn(key, "0123456789abcdef") != 64)
		return err_set(err, EINVAL, "'%s' is not a container id", key);
	if (path[0] != '/' || strlen(path) > 4000)
		return err_set(err, EINVAL, "'%s' is not an absolute path", path);
	/* containerd, which knows the container, gave this requester leave (berth-policy(5)) */
	if (c->profile && !c->profile->unrestricted) {
		cleanup_free char *grant = NULL;

		p_get_str(f->payload, f->len, TAG_GRANT, &grant, err);
		err_clear(err);
		if (policy_grant_check(d->paths.run, grant, key, &c->who, err) < 0)
			return conn_deny(c, err);
	}
	p_get_u32(f->payload, f->len, TAG_STREAM, &put, err);
	p_get_u32(f->payload, f->len, TAG_ALL, &mounts, err);
	err_clear(err);
	fd = frame_take_fd(f, 0);
	if (fd < 0)
		return err_set(err, EINVAL, "snapshot.copy needs the archive as a file descriptor");
	rootfs = xasprintf("%s/containers/%s/rootfs", d->paths.run, key);
	cJSON_AddStringToObject(args, "rootfs", rootfs);
	/* cp (TAG_ALL): its bind mounts too, from the spec containerd wrote in the bundle */
	if (mounts) {
		cleanup_free char *spec =
		    xasprintf("%s/containers/%s/config.json", d->paths.run, key);

		cJSON_AddStringToObject(args, "spec", spec);
	}
	cJSON_AddStringToObject(args, "path", path);
	cJSON_AddBoolToObject(args, "put", put != 0);
	args_text = cJSON_PrintUnformatted(args);
	return job_start(c, f, s, fd, "copy", args_text, err);
}
