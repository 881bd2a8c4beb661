/* The image commands: load, list, tag, remove, inspect, history, prune; and snapshots for
 * containerd. */
#include "config.h"

#include <fcntl.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "imaged.h"
#include "job.h"
#include "proto/tags.h"
#include "common/reference.h"
#include "import.h"
#include "save.h"
#include "unpack.h"

int reply_json(struct conn *c, const struct frame *f, const cJSON *doc)
{
	cleanup_free char *text = cJSON_PrintUnformatted(doc);
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text);
	conn_reply(c, f, &pb, NULL, 0);
	return 0;
}

int need_str(const struct frame *f, uint16_t tag, const char *what, char **out, struct err *err)
{
	int r = p_get_str(f->payload, f->len, tag, out, err);

	if (r == 0)
		return err_set(err, EINVAL, "%s is required", what);
	return r < 0 ? r : 0;
}

/* The image a request names in TAG_REF: refs loaded (*refs is the caller's), image opened. */
static int request_image(const struct store *s, const struct frame *f, cJSON **refs,
			 struct image *img, struct err *err)
{
	cleanup_free char *name = NULL;
	char manifest[DIGEST_STR_LEN + 1];
	int r;

	if (need_str(f, TAG_REF, "image", &name, err) < 0)
		return -err->code;
	if ((r = refs_load(s, refs, err)) < 0 ||
	    (r = image_resolve(s, *refs, name, manifest, err)) < 0)
		return r;
	return image_open(s, manifest, img, err);
}

int h_IMAGE_LOAD(struct conn *c, struct frame *f, struct err *err)
{
	int fd = frame_take_fd(f, 0);

	if (fd < 0)
		return err_set(err, EINVAL, "image.load needs the archive as a file descriptor");
	return job_start(c, f, &imaged_of(c)->store, fd, "load", NULL, err);
}

/* Arguments that may hold credentials go to the worker through a pipe, never its command line. */
static int args_pipe(const cJSON *args, struct err *err)
{
	cleanup_free char *text = cJSON_PrintUnformatted(args);
	size_t len = strlen(text);
	int p[2];

	if (len >= 4096)
		return err_set(err, E2BIG, "the request is too large");
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	/* under PIPE_BUF: one write, never blocks */
	if (write(p[1], text, len) != (ssize_t)len) {
		close(p[0]);
		close(p[1]);
		return err_sys(err, "write the job's arguments");
	}
	explicit_bzero(text, len);
	close(p[1]);
	return p[0];
}

/* pull and push: an image name and maybe credentials, to a worker job. */
static int registry_job(struct conn *c, struct frame *f, const char *kind, struct err *err)
{
	cleanup_free char *name = NULL, *auth = NULL;
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	struct ref parsed;
	int fd;

	if (need_str(f, TAG_REF, "image name", &name, err) < 0)
		return -err->code;
	if (ref_parse(name, &parsed, err) < 0)
		return err_wrap(err, "%s", kind);
	ref_free(&parsed);
	/* the registries a profile may use (berth-policy(5)) */
	if (conn_authorize_image(c, name, err) < 0)
		return -err->code;
	cJSON_AddStringToObject(o, "ref", name);
	if (p_get_str(f->payload, f->len, TAG_KEY, &auth, err) > 0 && *auth)
		cJSON_AddStringToObject(o, "auth", auth);
	err_clear(err);
	{
		cleanup_free char *platform = NULL;
		uint32_t all = 0;

		if (p_get_str(f->payload, f->len, TAG_FORMAT, &platform, err) > 0 && *platform) {
			if (strlen(platform) > 64 || !strchr(platform, '/'))
				return err_set(err, EINVAL,
					       "--platform '%s': expected OS/ARCH[/VARIANT]",
					       platform);
			cJSON_AddStringToObject(o, "platform", platform);
		}
		if (p_get_u32(f->payload, f->len, TAG_ALL, &all, err) > 0 && all)
			cJSON_AddTrueToObject(o, "all");
		err_clear(err);
	}
	if ((fd = args_pipe(o, err)) < 0)
		return fd;
	return job_start(c, f, &imaged_of(c)->store, fd, kind, NULL, err);
}

int h_IMAGE_PULL(struct conn *c, struct frame *f, struct err *err)
{
	return registry_job(c, f, "pull", err);
}

int h_IMAGE_PUSH(struct conn *c, struct frame *f, struct err *err)
{
	return registry_job(c, f, "push", err);
}

int h_IMAGE_LOGIN(struct conn *c, struct frame *f, struct err *err)
{
	cleanup_free char *registry = NULL, *auth = NULL;
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	int fd;

	if (need_str(f, TAG_REF, "registry", &registry, err) < 0 ||
	    need_str(f, TAG_KEY, "credentials", &auth, err) < 0)
		return -err->code;
	cJSON_AddStringToObject(o, "registry", registry);
	cJSON_AddStringToObject(o, "auth", auth);
	if ((fd = args_pipe(o, err)) < 0)
		return fd;
	return job_start(c, f, &imaged_of(c)->store, fd, "login", NULL, err);
}

int h_IMAGE_SAVE(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_cjson cJSON *refs = NULL;
	cleanup_free char *format = NULL;
	struct save_args sa = {0};
	struct preader rd;
	struct pfield fl;
	int fd, r;

	if (p_get_str(f->payload, f->len, TAG_FORMAT, &format, err) < 0)
		return -err->code;
	if (format && strcmp(format, "docker") && strcmp(format, "oci") &&
	    strcmp(format, "docker-archive") && strcmp(format, "oci-archive"))
		return err_set(err, EINVAL, "unknown save format '%s' (docker or oci)", format);
	sa.oci = format && !strncmp(format, "oci", 3);
	if ((r = refs_load(s, &refs, err)) < 0)
		return r;
	pr_init(&rd, f->payload, f->len);
	while (pr_next(&rd, &fl) == 1) {
		cleanup_free char *name = NULL;
		struct ref parsed;

		if (fl.tag != TAG_REF || fl.kind != KIND_STR)
			continue;
		name = xstrndup((const char *)fl.val, fl.len);
		sa.manifests = xreallocarray(sa.manifests, sa.n + 1, sizeof(*sa.manifests));
		sa.names = xreallocarray(sa.names, sa.n + 1, sizeof(char *));
		r = image_resolve(s, refs, name, sa.manifests[sa.n], err);
		if (r < 0)
			goto fail;
		sa.names[sa.n] = NULL;
		if (ref_parse(name, &parsed, NULL) == 0) {
			char *full = ref_full(&parsed);

			if (cJSON_GetObjectItem(cJSON_GetObjectItem(refs, "refs"), full))
				sa.names[sa.n] = full;
			else
				free(full);
			ref_free(&parsed);
		}
		sa.n++;
	}
	if (sa.n == 0) {
		r = err_set(err, EINVAL, "save needs at least one image");
		goto fail;
	}
	fd = frame_take_fd(f, 0);
	if (fd < 0) {
		r = err_set(err, EINVAL, "image.save needs the output as a file descriptor");
		goto fail;
	}
	{
		cleanup_free char *args = save_args_json(&sa);

		r = job_start(c, f, s, fd, "save", args, err);
	}
fail:
	for (size_t i = 0; i < sa.n; i++)
		free(sa.names[i]);
	free(sa.names);
	free(sa.manifests);
	return r;
}

int h_IMAGE_IMPORT(struct conn *c, struct frame *f, struct err *err)
{
	cleanup_free char *name = NULL, *opts = NULL;
	cleanup_cjson cJSON *doc = NULL;
	struct import_args ia = {0};
	const cJSON *it;
	int fd, r;

	if (p_get_str(f->payload, f->len, TAG_NAME, &name, err) < 0 ||
	    p_get_str(f->payload, f->len, TAG_JSON, &opts, err) < 0)
		return -err->code;
	if (name && *name) {
		struct ref parsed;
		char *full;

		if (ref_parse(name, &parsed, err) < 0)
			return -err->code;
		full = ref_full(&parsed);
		ref_free(&parsed);
		snprintf(ia.name, sizeof(ia.name), "%s", full);
		free(full);
	}
	doc = opts ? cJSON_Parse(opts) : NULL;
	it = cJSON_GetObjectItem(doc, "message");
	if (cJSON_IsString(it))
		snprintf(ia.message, sizeof(ia.message), "%s", it->valuestring);
	ia.changes = xcalloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItem(doc, "changes")) + 1,
			     sizeof(char *));
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(doc, "changes"))
		if (cJSON_IsString(it))
			ia.changes[ia.nchanges++] = it->valuestring;
	it = cJSON_GetObjectItem(doc, "url");
	if (cJSON_IsString(it)) {
		if (strncmp(it->valuestring, "http://", 7) &&
		    strncmp(it->valuestring, "https://", 8)) {
			free(ia.changes);
			return err_set(err, EINVAL, "import: '%s' is not an http(s) URL",
				       it->valuestring);
		}
		snprintf(ia.url, sizeof(ia.url), "%s", it->valuestring);
	}
	fd = frame_take_fd(f, 0);
	if (fd < 0 && !ia.url[0]) {
		free(ia.changes);
		return err_set(err, EINVAL, "image.import needs the tarball as a file descriptor");
	}
	{
		cleanup_free char *args = import_args_json(&ia);

		r = job_start(c, f, &imaged_of(c)->store, fd, "import", args, err);
	}
	free(ia.changes);
	return r;
}

/* names (familiar) of an image, from refs */
static void names_of(const cJSON *refs, const char *manifest, cJSON *tags, cJSON *digests,
		     const char *id)
{
	const cJSON *it;

	cJSON_ArrayForEach (it, cJSON_GetObjectItem(refs, "refs")) {
		cleanup_free char *fam = NULL;

		if (!cJSON_IsString(it) || strcmp(it->valuestring, manifest) != 0)
			continue;
		fam = ref_familiar_of(it->string);
		cJSON_AddItemToArray(tags, cJSON_CreateString(fam));
		if (digests) {
			char *at = xstrdup(fam), *colon = strrchr(at, ':');
			char *d;

			if (colon && !strchr(colon, '/'))
				*colon = '\0';
			d = xasprintf("%s@%s", at, manifest);
			cJSON_AddItemToArray(digests, cJSON_CreateString(d));
			free(d);
			free(at);
		}
	}
	(void)id;
}

static const char *cfg_str(const cJSON *cfg, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(cfg, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static cJSON *summary(const struct image *img, const cJSON *refs)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *tags = cJSON_AddArrayToObject(o, "RepoTags");
	cJSON *digests = cJSON_AddArrayToObject(o, "RepoDigests");

	cJSON_AddStringToObject(o, "Id", img->id);
	names_of(refs, img->manifest_digest, tags, digests, img->id);
	cJSON_AddStringToObject(o, "Digest", img->manifest_digest);
	cJSON_AddStringToObject(o, "Created", cfg_str(img->config, "created"));
	cJSON_AddNumberToObject(o, "Size", (double)img->size);
	cJSON_AddBoolToObject(o, "Dangling", cJSON_GetArraySize(tags) == 0);
	{
		const cJSON *labels =
		    cJSON_GetObjectItem(cJSON_GetObjectItem(img->config, "config"), "Labels");

		cJSON_AddItemToObject(o, "Labels",
				      cJSON_IsObject(labels) ? cJSON_Duplicate(labels, true)
							     : cJSON_CreateObject());
	}
	return o;
}

/* A build step's image, not a build's result: hidden by images without -a, kept by prune. */
static bool is_cache_image(const cJSON *refs, const char *manifest)
{
	const cJSON *it;

	cJSON_ArrayForEach (it, cJSON_GetObjectItem(refs, "results"))
		if (cJSON_IsString(it) && !strcmp(it->valuestring, manifest))
			return false;
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(refs, "cache"))
		if (cJSON_IsString(it) && !strcmp(it->valuestring, manifest))
			return true;
	return false;
}

int h_IMAGE_LIST(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_cjson cJSON *refs = NULL;
	cleanup_cjson cJSON *out = cJSON_CreateArray();
	const cJSON *it;
	int r = refs_load(s, &refs, err);

	if (r < 0)
		return r;
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(refs, "images")) {
		struct image img;
		struct err e = ERR_INIT;

		if (!cJSON_IsString(it) || image_open(s, it->valuestring, &img, &e) < 0) {
			err_clear(&e);
			continue;
		}
		{
			cJSON *sum = summary(&img, refs);

			/* a build step's image: shown by images -a only, kept by a plain prune */
			cJSON_AddBoolToObject(sum, "Intermediate",
					      cJSON_IsTrue(cJSON_GetObjectItem(sum, "Dangling")) &&
						  is_cache_image(refs, it->valuestring));
			cJSON_AddItemToArray(out, sum);
		}
		image_free(&img);
	}
	return reply_json(c, f, out);
}

int h_IMAGE_TAG(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_free char *src = NULL, *dst = NULL, *full = NULL;
	char manifest[DIGEST_STR_LEN + 1];
	cleanup_cjson cJSON *refs = NULL;
	const char *names[1];
	struct ref r;
	int rc;

	if (need_str(f, TAG_REF, "source image", &src, err) < 0 ||
	    need_str(f, TAG_NAME, "target name", &dst, err) < 0)
		return -err->code;
	if ((rc = refs_load(s, &refs, err)) < 0 ||
	    (rc = image_resolve(s, refs, src, manifest, err)) < 0)
		return rc;
	if (ref_parse(dst, &r, err) < 0)
		return -err->code;
	if (r.digest) {
		ref_free(&r);
		return err_set(err, EINVAL, "refusing to create a tag with a digest reference");
	}
	full = ref_full(&r);
	ref_free(&r);
	names[0] = full;
	if (store_add_image(s, manifest, names, 1, NULL, err) < 0)
		return -err->code;
	{
		cleanup_free char *fam = ref_familiar_of(full);

		server_event(c->srv, "image", "tag", manifest, fam, NULL);
	}
	return reply_json(c, f, cJSON_GetObjectItem(refs, "refs"));
}

/* True when an active snapshot (a container) uses the image. */
static bool image_in_use(const struct store *s, const char *manifest)
{
	cleanup_free char *snaps = xasprintf("%s/snapshots", s->dir);
	struct dirent *de;
	bool used = false;
	DIR *d = opendir(snaps);

	while (d && !used && (de = readdir(d))) {
		cleanup_free char *meta = NULL, *text = NULL;
		struct err e = ERR_INIT;

		if (strncmp(de->d_name, "active-", 7) != 0)
			continue;
		meta = xasprintf("%s/%s/meta.json", snaps, de->d_name);
		if (read_file_at(-100, meta, 1 << 20, &text, NULL, &e) == 0)
			used = strstr(text, manifest) != NULL;
		err_clear(&e);
	}
	if (d)
		closedir(d);
	return used;
}

static void drop_names(cJSON *refs, const char *manifest)
{
	cJSON *map = cJSON_GetObjectItem(refs, "refs");
	cJSON *it = map ? map->child : NULL;

	while (it) {
		cJSON *next = it->next;

		if (cJSON_IsString(it) && !strcmp(it->valuestring, manifest))
			cJSON_Delete(cJSON_DetachItemViaPointer(map, it));
		it = next;
	}
}

static void drop_image(cJSON *refs, const char *manifest)
{
	cJSON *arr = cJSON_GetObjectItem(refs, "images");
	int i = 0;
	const cJSON *it;

	cJSON_ArrayForEach (it, arr) {
		if (cJSON_IsString(it) && !strcmp(it->valuestring, manifest)) {
			cJSON_DeleteItemFromArray(arr, i);
			break;
		}
		i++;
	}
	drop_names(refs, manifest);
	arr = cJSON_GetObjectItem(refs, "results");
	for (cJSON *e = arr ? arr->child : NULL, *next; e; e = next) {
		next = e->next;
		if (cJSON_IsString(e) && !strcmp(e->valuestring, manifest))
			cJSON_Delete(cJSON_DetachItemViaPointer(arr, e));
	}
	/* and the build cache entries that led to it */
	arr = cJSON_GetObjectItem(refs, "cache");
	for (cJSON *e = arr ? arr->child : NULL, *next; e; e = next) {
		next = e->next;
		if (cJSON_IsString(e) && !strcmp(e->valuestring, manifest))
			cJSON_Delete(cJSON_DetachItemViaPointer(arr, e));
	}
}

static int count_names(const cJSON *refs, const char *manifest)
{
	const cJSON *it;
	int n = 0;

	cJSON_ArrayForEach (it, cJSON_GetObjectItem(refs, "refs"))
		n += cJSON_IsString(it) && !strcmp(it->valuestring, manifest);
	return n;
}

/* Docker's events of a removal, from its report: untag for each name, delete for the image. */
static void removal_events(struct conn *c, const cJSON *report, const char *manifest)
{
	const cJSON *l;

	cJSON_ArrayForEach (l, report) {
		const char *line = cJSON_GetStringValue(l) ?: "";

		if (!strncmp(line, "Untagged: ", 10))
			server_event(c->srv, "image", "untag", manifest, line + 10, NULL);
		else if (!strncmp(line, "Deleted: ", 9))
			server_event(c->srv, "image", "delete", line + 9, line + 9, NULL);
	}
}

int h_IMAGE_REMOVE(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_free char *name = NULL;
	cleanup_cjson cJSON *out = cJSON_CreateArray();
	cJSON *refs = NULL;
	char manifest[DIGEST_STR_LEN + 1];
	uint32_t force = 0;
	struct ref parsed;
	bool by_name;
	int lock, r;

	if (need_str(f, TAG_REF, "image", &name, err) < 0)
		return -err->code;
	p_get_u32(f->payload, f->len, TAG_FORCE, &force, err);
	lock = refs_lock(s, err);
	if (lock < 0)
		return lock;
	if ((r = refs_load(s, &refs, err)) < 0 ||
	    (r = image_resolve(s, refs, name, manifest, err)) < 0)
		goto out;
	by_name = ref_parse(name, &parsed, NULL) == 0;
	if (by_name) {
		cleanup_free char *full = ref_full(&parsed);
		cJSON *map = cJSON_GetObjectItem(refs, "refs");

		ref_free(&parsed);
		by_name = cJSON_GetObjectItem(map, full) != NULL;
		/* another name still points at it: only untag */
		if (by_name && count_names(refs, manifest) > 1) {
			cleanup_free char *fam = ref_familiar_of(full);
			char *line = xasprintf("Untagged: %s", fam);

			cJSON_DeleteItemFromObject(map, full);
			cJSON_AddItemToArray(out, cJSON_CreateString(line));
			free(line);
			r = refs_save(s, refs, err);
			goto out;
		}
	}
	if (image_in_use(s, manifest)) {
		if (!force) {
			r = err_set(
			    err, EBUSY,
			    "image %s is in use by a container: remove the container first, "
			    "or use -f to untag it",
			    name);
			goto out;
		}
		drop_names(refs, manifest);
		cJSON_AddItemToArray(out,
				     cJSON_CreateString("Untagged (in use, kept as dangling)"));
		r = refs_save(s, refs, err);
		goto out;
	}
	{
		const cJSON *it;

		cJSON_ArrayForEach (it, cJSON_GetObjectItem(refs, "refs")) {
			if (cJSON_IsString(it) && !strcmp(it->valuestring, manifest)) {
				cleanup_free char *fam = ref_familiar_of(it->string);
				char *line = xasprintf("Untagged: %s", fam);

				cJSON_AddItemToArray(out, cJSON_CreateString(line));
				free(line);
			}
		}
	}
	{
		struct image img;
		char *line;

		if (image_open(s, manifest, &img, err) == 0) {
			line = xasprintf("Deleted: %s", img.id);
			cJSON_AddItemToArray(out, cJSON_CreateString(line));
			free(line);
			image_free(&img);
		}
		err_clear(err);
	}
	drop_image(refs, manifest);
	r = refs_save(s, refs, err);
	if (r == 0)
		r = store_gc(s, refs, err);
out:
	cJSON_Delete(refs);
	refs_unlock(lock);
	if (r >= 0)
		removal_events(c, out, manifest);
	return r < 0 ? r : reply_json(c, f, out);
}

int h_IMAGE_INSPECT(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_cjson cJSON *refs = NULL, *o = NULL;
	struct image img;
	cJSON *rootfs, *layers;
	int r = request_image(s, f, &refs, &img, err);

	if (r < 0)
		return r;
	o = summary(&img, refs);
	cJSON_AddStringToObject(o, "Architecture", cfg_str(img.config, "architecture"));
	cJSON_AddStringToObject(o, "Os", cfg_str(img.config, "os"));
	cJSON_AddStringToObject(o, "Author", cfg_str(img.config, "author"));
	cJSON_AddItemToObject(o, "Config",
			      cJSON_Duplicate(cJSON_GetObjectItem(img.config, "config"), true));
	rootfs = cJSON_AddObjectToObject(o, "RootFS");
	cJSON_AddStringToObject(rootfs, "Type", "layers");
	layers = cJSON_AddArrayToObject(rootfs, "Layers");
	for (size_t i = 0; i < img.nlayers; i++)
		cJSON_AddItemToArray(layers, cJSON_CreateString(img.diff_ids[i]));
	cJSON_AddItemToObject(o, "Manifest", cJSON_Duplicate(img.manifest, true));
	image_free(&img);
	return reply_json(c, f, o);
}

int h_IMAGE_HISTORY(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_cjson cJSON *refs = NULL;
	cleanup_cjson cJSON *out = cJSON_CreateArray();
	const cJSON *it, *mlayers;
	struct image img;
	size_t layer = 0;
	int r = request_image(s, f, &refs, &img, err);

	if (r < 0)
		return r;
	mlayers = cJSON_GetObjectItem(img.manifest, "layers");
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(img.config, "history")) {
		cJSON *h = cJSON_CreateObject();
		bool empty = cJSON_IsTrue(cJSON_GetObjectItem(it, "empty_layer"));
		double size = 0;

		if (!empty && layer < img.nlayers)
			size = cJSON_GetNumberValue(
			    cJSON_GetObjectItem(cJSON_GetArrayItem(mlayers, (int)layer++), "size"));
		cJSON_AddStringToObject(h, "Created", cfg_str(it, "created"));
		cJSON_AddStringToObject(h, "CreatedBy", cfg_str(it, "created_by"));
		cJSON_AddStringToObject(h, "Comment", cfg_str(it, "comment"));
		cJSON_AddNumberToObject(h, "Size", size);
		cJSON_AddBoolToObject(h, "EmptyLayer", empty);
		/* newest first, as docker history shows it */
		if (cJSON_GetArraySize(out) == 0)
			cJSON_AddItemToArray(out, h);
		else
			cJSON_InsertItemInArray(out, 0, h);
	}
	image_free(&img);
	return reply_json(c, f, out);
}

/*
 * Images nothing uses: untagged ones that are not build cache, every one
 * (TAG_ALL), or the build cache only (TAG_SCOPE "build-cache").
 */
int h_IMAGE_PRUNE(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_cjson cJSON *out = cJSON_CreateArray();
	cleanup_free char *scope = NULL;
	cJSON *refs = NULL, *imgs;
	uint32_t all = 0;
	bool cache_only;
	int lock, r, i = 0;

	p_get_u32(f->payload, f->len, TAG_ALL, &all, err);
	if (p_get_str(f->payload, f->len, TAG_SCOPE, &scope, err) > 0 &&
	    strcmp(scope, "build-cache"))
		return err_set(err, EINVAL, "image.prune: unknown scope '%s'", scope);
	err_clear(err);
	cache_only = scope != NULL;
	lock = refs_lock(s, err);
	if (lock < 0)
		return lock;
	if ((r = refs_load(s, &refs, err)) < 0)
		goto out;
	imgs = cJSON_GetObjectItem(refs, "images");
	while (i < cJSON_GetArraySize(imgs)) {
		const char *m = cJSON_GetArrayItem(imgs, i)->valuestring;

		bool unnamed = count_names(refs, m) == 0;

		if ((cache_only ? unnamed && is_cache_image(refs, m)
				: all || (unnamed && !is_cache_image(refs, m))) &&
		    !image_in_use(s, m)) {
			cJSON_AddItemToArray(out, cJSON_CreateString(m));
			drop_image(refs, m);
			continue;
		}
		i++;
	}
	r = refs_save(s, refs, err);
	if (r == 0)
		r = store_gc(s, refs, err);
out:
	cJSON_Delete(refs);
	refs_unlock(lock);
	return r < 0 ? r : reply_json(c, f, out);
}

int snapshot_key_check(const char *key, struct err *err)
{
	if (!*key || strlen(key) > 128 ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_-.") != strlen(key) || key[0] == '.')
		return err_set(err, EINVAL, "invalid snapshot key '%s'", key);
	return 0;
}

int h_SNAPSHOT_PREPARE(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_free char *key = NULL, *dir = NULL, *meta = NULL, *mp = NULL;
	cleanup_cjson cJSON *refs = NULL, *o = cJSON_CreateObject();
	const char *manifest;
	struct image img;
	cJSON *lower;
	int r;

	if (need_str(f, TAG_KEY, "snapshot key", &key, err) < 0 || snapshot_key_check(key, err) < 0)
		return -err->code;
	if ((r = request_image(s, f, &refs, &img, err)) < 0)
		return r;
	manifest = img.manifest_digest;
	r = snapshots_ensure(s, &img, -1, err);
	if (r < 0)
		goto out;
	dir = xasprintf("%s/snapshots/active-%s", s->dir, key);
	mp = xasprintf("%s/meta.json", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = err_sys(err, "create %s", dir);
		goto out;
	}
	for (const char *sub = "fs"; sub; sub = strcmp(sub, "fs") ? NULL : "work") {
		cleanup_free char *p = xasprintf("%s/%s", dir, sub);

		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			r = err_sys(err, "create %s", p);
			goto out;
		}
	}
	meta = xasprintf("{\"image\":\"%s\",\"top\":\"%s\"}", manifest,
			 img.nlayers ? img.chain_ids[img.nlayers - 1] : "");
	r = atomic_write_file(mp, meta, strlen(meta), 0600, err);
	if (r < 0)
		goto out;
	lower = cJSON_AddArrayToObject(o, "lower");
	for (size_t i = img.nlayers; i-- > 0;) {
		cleanup_free char *l = snapshot_dir(s, img.chain_ids[i]);
		char *fs = xasprintf("%s/fs", l);

		cJSON_AddItemToArray(lower, cJSON_CreateString(fs));
		free(fs);
	}
	{
		char *up = xasprintf("%s/fs", dir), *wk = xasprintf("%s/work", dir);

		cJSON_AddStringToObject(o, "upper", up);
		cJSON_AddStringToObject(o, "work", wk);
		free(up);
		free(wk);
	}
	cJSON_AddStringToObject(o, "image", manifest);
	cJSON_AddStringToObject(o, "id", img.id);
	cJSON_AddItemToObject(o, "config", cJSON_Duplicate(img.config, true));
	r = reply_json(c, f, o);
out:
	image_free(&img);
	return r;
}

int h_SNAPSHOT_REMOVE(struct conn *c, struct frame *f, struct err *err)
{
	const struct store *s = &imaged_of(c)->store;
	cleanup_free char *key = NULL, *dir = NULL;
	cleanup_cjson cJSON *o = cJSON_CreateObject();

	if (need_str(f, TAG_KEY, "snapshot key", &key, err) < 0 || snapshot_key_check(key, err) < 0)
		return -err->code;
	dir = xasprintf("%s/snapshots/active-%s", s->dir, key);
	if (rm_tree(dir, err) < 0)
		return -err->code;
	cJSON_AddStringToObject(o, "removed", key);
	return reply_json(c, f, o);
}
