/*
 * Commit: a new image made of a parent image (or none: scratch), one new
 * layer (a container's upper directory, or a tar the client sent) or none,
 * and the container configuration the caller gives. Used by berth commit
 * and by every step of berth build, which also records the step's cache
 * key. Runs in berth-imaged-worker: the layer is written as tar+gzip into
 * the store, unpacked by the confined unpack worker into its snapshot (that
 * also gives its diff_id), and only then recorded.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/clock.h"
#include "common/xalloc.h"
#include "commit.h"
#include "difftar.h"
#include "imaged.h"
#include "import.h"
#include "job.h"
#include "oci.h"
#include "unpack.h"

struct commit {
	const struct store *s;
	const cJSON *args;
	struct image parent;
	bool has_parent;
	char layer[DIGEST_STR_LEN + 1], diff[DIGEST_STR_LEN + 1];
	uint64_t layer_size;
	bool fresh_blob;
};

static const char *arg_str(const cJSON *args, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(args, key));
}

/* The layer blob: from the container's upper directory, or from fd. */
static int store_layer(struct commit *cm, int fd, struct err *err)
{
	const char *key = arg_str(cm->args, "key");
	struct blob_writer w;
	int r = 0;

	if (bw_open(cm->s, &w, err) < 0)
		return -err->code;
	if (key) {
		cleanup_free char *upper = xasprintf("%s/snapshots/active-%s/fs", cm->s->dir, key);

		r = difftar_write(upper, &w, err);
	} else {
		char buf[65536];
		ssize_t n;

		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if ((r = bw_write(&w, buf, (size_t)n, err)) < 0)
				break;
		if (n < 0)
			r = err_sys(err, "read the layer");
		else if (r == 0 && w.size == 0)
			r = err_set(err, EINVAL, "the layer is empty");
	}
	if (r < 0) {
		bw_abort(&w);
		return r;
	}
	cm->layer_size = w.size;
	if (bw_commit(cm->s, &w, NULL, cm->layer, err) < 0)
		return -err->code;
	cm->fresh_blob = !w.existed;
	return 0;
}

/* Unpack the new layer on top of the parent's chain; its snapshot is named by the chain id. */
static int snapshot_layer(struct commit *cm, char chain[DIGEST_STR_LEN + 1], struct err *err)
{
	const struct store *s = cm->s;
	const char *parent_chain = cm->has_parent && cm->parent.nlayers
				       ? cm->parent.chain_ids[cm->parent.nlayers - 1]
				       : NULL;
	cleanup_free char *tmp = xasprintf("%s/snapshots/tmp-commit-%d", s->dir, (int)getpid());
	cleanup_free char *fs = xasprintf("%s/fs", tmp), *blob = blob_path(s, cm->layer);
	cleanup_free char *snap = NULL, *meta = NULL, *mp = NULL;
	uint64_t size = 0;
	struct err ignore = ERR_INIT;

	if (mkdir(tmp, 0700) < 0 || mkdir(fs, 0755) < 0)
		return err_sys(err, "create %s", fs);
	if (unpack_layer(blob, fs, NULL, cm->diff, &size, err) < 0)
		goto fail;
	if (parent_chain)
		chain_id(parent_chain, cm->diff, chain);
	else
		snprintf(chain, DIGEST_STR_LEN + 1, "%s", cm->diff);
	meta = xasprintf("{\"diff_id\":\"%s\",\"parent\":\"%s\",\"size\":%llu}", cm->diff,
			 parent_chain ? parent_chain : "", (unsigned long long)size);
	mp = xasprintf("%s/meta.json", tmp);
	if (atomic_write_file(mp, meta, strlen(meta), 0600, err) < 0)
		goto fail;
	snap = snapshot_dir(s, chain);
	if (rename(tmp, snap) == 0)
		return 0;
	if (errno != EEXIST && errno != ENOTEMPTY) {
		err_sys(err, "commit snapshot %s", snap);
		goto fail;
	}
	/* the same layer on the same parent exists already: keep that one */
	rm_tree(tmp, &ignore);
	err_clear(&ignore);
	return 0;
fail:
	rm_tree(tmp, &ignore);
	err_clear(&ignore);
	return -err->code;
}

/* A layer descriptor in OCI terms (Docker's gzip layers are the same bytes). */
static cJSON *layer_desc(const cJSON *d)
{
	cJSON *o = cJSON_Duplicate(d, true);
	const char *mt = cJSON_GetStringValue(cJSON_GetObjectItem(o, "mediaType"));

	if (mt && !strcmp(mt, MT_DOCKER_LAYER_GZ))
		cJSON_ReplaceItemInObject(o, "mediaType", cJSON_CreateString(MT_OCI_LAYER_GZ));
	return o;
}

static cJSON *new_config(struct commit *cm, bool layer, const char *created)
{
	cJSON *cfg =
	    cm->has_parent ? cJSON_Duplicate(cm->parent.config, true) : cJSON_CreateObject();
	const cJSON *given = cJSON_GetObjectItem(cm->args, "config");
	const char *author = arg_str(cm->args, "author"), *comment = arg_str(cm->args, "comment");
	const char *by = arg_str(cm->args, "created_by");
	cJSON *rootfs, *hist, *h;

	if (!cm->has_parent) {
		cJSON_AddStringToObject(cfg, "architecture", oci_host_arch());
		cJSON_AddStringToObject(cfg, "os", "linux");
	}
	cJSON_DeleteItemFromObject(cfg, "created");
	cJSON_AddStringToObject(cfg, "created", created);
	cJSON_DeleteItemFromObject(cfg, "author");
	if (author && *author)
		cJSON_AddStringToObject(cfg, "author", author);
	cJSON_DeleteItemFromObject(cfg, "config");
	cJSON_AddItemToObject(cfg, "config",
			      cJSON_IsObject(given) ? cJSON_Duplicate(given, true)
						    : cJSON_CreateObject());
	rootfs = cJSON_GetObjectItem(cfg, "rootfs");
	if (!cJSON_IsObject(rootfs)) {
		cJSON_DeleteItemFromObject(cfg, "rootfs");
		rootfs = cJSON_AddObjectToObject(cfg, "rootfs");
		cJSON_AddStringToObject(rootfs, "type", "layers");
		cJSON_AddArrayToObject(rootfs, "diff_ids");
	}
	if (layer)
		cJSON_AddItemToArray(cJSON_GetObjectItem(rootfs, "diff_ids"),
				     cJSON_CreateString(cm->diff));
	hist = cJSON_GetObjectItem(cfg, "history");
	if (!cJSON_IsArray(hist))
		hist = cJSON_AddArrayToObject(cfg, "history");
	if (cJSON_IsArray(cJSON_GetObjectItem(cm->args, "history")) &&
	    cJSON_GetArraySize(cJSON_GetObjectItem(cm->args, "history"))) {
		/* berth build: one entry per instruction; only a layer step's has a layer */
		const cJSON *e;

		cJSON_ArrayForEach (e, cJSON_GetObjectItem(cm->args, "history")) {
			h = cJSON_CreateObject();
			cJSON_AddStringToObject(h, "created", created);
			cJSON_AddStringToObject(h, "created_by", arg_str(e, "created_by") ?: "");
			if (!layer || e->next ||
			    cJSON_IsTrue(cJSON_GetObjectItem(e, "empty_layer")))
				cJSON_AddTrueToObject(h, "empty_layer");
			cJSON_AddItemToArray(hist, h);
		}
		return cfg;
	}
	h = cJSON_CreateObject();
	cJSON_AddStringToObject(h, "created", created);
	if (author && *author)
		cJSON_AddStringToObject(h, "author", author);
	cJSON_AddStringToObject(h, "created_by", by ? by : "berth commit");
	if (comment && *comment)
		cJSON_AddStringToObject(h, "comment", comment);
	if (!layer)
		cJSON_AddTrueToObject(h, "empty_layer");
	cJSON_AddItemToArray(hist, h);
	return cfg;
}

static cJSON *new_manifest(struct commit *cm, const char *cfgd, size_t cfglen, bool layer)
{
	cJSON *layers, *m = oci_manifest_new(cfgd, cfglen, &layers);
	const cJSON *d;

	if (cm->has_parent)
		cJSON_ArrayForEach (d, cJSON_GetObjectItem(cm->parent.manifest, "layers"))
			cJSON_AddItemToArray(layers, layer_desc(d));
	if (layer)
		cJSON_AddItemToArray(
		    layers, oci_descriptor(MT_OCI_LAYER_GZ, cm->layer, (double)cm->layer_size));
	return m;
}

static int record(struct commit *cm, bool layer, cJSON *result, struct err *err)
{
	char stamp[RFC3339_LEN], cfgd[DIGEST_STR_LEN + 1], mand[DIGEST_STR_LEN + 1];
	const char *created = arg_str(cm->args, "created");
	cleanup_cjson cJSON *cfg = new_config(cm, layer, created ? created : rfc3339_now(stamp));
	cleanup_cjson cJSON *man = NULL, *names = cJSON_CreateArray();
	cleanup_free char *cfgtext = cJSON_PrintUnformatted(cfg), *mantext = NULL;
	const char **v = NULL;
	size_t n = 0;
	const cJSON *it;
	int r;

	if (blob_put(cm->s, cfgtext, strlen(cfgtext), cfgd, err) < 0)
		return -err->code;
	man = new_manifest(cm, cfgd, strlen(cfgtext), layer);
	mantext = cJSON_PrintUnformatted(man);
	if (blob_put(cm->s, mantext, strlen(mantext), mand, err) < 0)
		return -err->code;
	v = xcalloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItem(cm->args, "names")) + 1,
		    sizeof(*v));
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(cm->args, "names"))
		if (cJSON_IsString(it))
			v[n++] = it->valuestring;
	r = store_add_image(cm->s, mand, v, n, names, err);
	free(v);
	if (r == 0 && arg_str(cm->args, "cache"))
		r = store_cache_put(cm->s, arg_str(cm->args, "cache"), mand, err);
	if (r < 0)
		return r;
	cJSON_AddStringToObject(result, "id", cfgd);
	cJSON_AddStringToObject(result, "manifest", mand);
	cJSON_AddItemToObject(result, "names", steal_ptr(&names));
	return 0;
}

void commit_run(const struct store *s, int fd, int out, const char *args_text)
{
	/* held until this worker exits: no gc while we store blobs */
	int ingest = ingest_lock(s, false, NULL);
	struct err err = ERR_INIT;
	cleanup_cjson cJSON *args = cJSON_Parse(args_text), *result = cJSON_CreateObject();
	struct commit cm = {.s = s, .args = args};
	const char *parent = arg_str(args, "parent");
	bool layer = arg_str(args, "key") || cJSON_IsTrue(cJSON_GetObjectItem(args, "layer"));
	char chain[DIGEST_STR_LEN + 1];

	(void)ingest;
	if (!cJSON_IsObject(args)) {
		err_set(&err, EINVAL, "malformed commit arguments");
		job_fail(out, &err);
	}
	if (parent && *parent) {
		if (image_open(s, parent, &cm.parent, &err) < 0)
			job_fail(out, &err);
		cm.has_parent = true;
		if (snapshots_ensure(s, &cm.parent, -1, &err) < 0)
			job_fail(out, &err);
	}
	{
		const cJSON *ch;
		cJSON *cfg = cJSON_GetObjectItem(args, "config");

		if (!cJSON_IsObject(cfg)) {
			cJSON_DeleteItemFromObject(args, "config");
			cfg = cJSON_AddObjectToObject(args, "config");
		}
		cJSON_ArrayForEach (ch, cJSON_GetObjectItem(args, "changes"))
			if (!cJSON_IsString(ch) ||
			    config_apply_change(cfg, ch->valuestring, &err) < 0)
				job_fail(out, &err);
	}
	if (layer && (store_layer(&cm, fd, &err) < 0 || snapshot_layer(&cm, chain, &err) < 0))
		goto fail;
	if (record(&cm, layer, result, &err) < 0)
		goto fail;
	if (cm.has_parent)
		image_free(&cm.parent);
	{
		cleanup_free char *text = cJSON_PrintUnformatted(result);

		job_done(out, text);
	}
fail:
	if (cm.fresh_blob) {
		cleanup_free char *p = blob_path(s, cm.layer);

		unlink(p);
	}
	job_fail(out, &err);
}
