/*
 * Snapshots: each layer unpacked once into snapshots/<chain id>/fs and shared
 * by every image that has it; active snapshots (a container's upper and work
 * directories) under snapshots/active-<key>/.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "imaged.h"
#include "job.h"
#include "unpack.h"

char *snapshot_dir(const struct store *s, const char *chain_id)
{
	return xasprintf("%s/snapshots/%s", s->dir, chain_id + 7);
}

static char *tmp_name(const struct store *s, const char *what)
{
	uint64_t rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = (uint64_t)getpid();
	return xasprintf("%s/snapshots/tmp-%s-%016llx", s->dir, what, (unsigned long long)rnd);
}

int snapshot_ensure_layer(const struct store *s, const struct image *img, size_t i, int out,
			  struct err *err)
{
	cleanup_free char *dir = snapshot_dir(s, img->chain_ids[i]);
	cleanup_free char *tmp = NULL, *fs = NULL, *blob = NULL, *meta = NULL;
	uint64_t size = 0;
	int r;

	if (access(dir, F_OK) == 0) {
		if (out >= 0)
			job_progress(out, "%.12s: Already exists", img->layers[i] + 7);
		return 0;
	}
	tmp = tmp_name(s, "layer");
	fs = xasprintf("%s/fs", tmp);
	if (mkdir(tmp, 0700) < 0 || mkdir(fs, 0755) < 0)
		return err_sys(err, "create %s", fs);
	blob = blob_path(s, img->layers[i]);
	if (out >= 0)
		job_progress(out, "%.12s: Extracting layer %zu/%zu", img->layers[i] + 7, i + 1,
			     img->nlayers);
	r = unpack_layer(blob, fs, img->diff_ids[i], NULL, &size, err);
	if (r < 0) {
		struct err ignore = ERR_INIT;

		rm_tree(tmp, &ignore);
		err_clear(&ignore);
		return err_wrap(err, "layer %zu (%.19s)", i + 1, img->layers[i]);
	}
	meta = xasprintf("{\"diff_id\":\"%s\",\"parent\":\"%s\",\"size\":%llu}", img->diff_ids[i],
			 i ? img->chain_ids[i - 1] : "", (unsigned long long)size);
	{
		cleanup_free char *mp = xasprintf("%s/meta.json", tmp);

		r = atomic_write_file(mp, meta, strlen(meta), 0600, err);
	}
	if (r < 0)
		return r;
	/* the rename is the commit: a crash before it leaves only a tmp- dir */
	if (rename(tmp, dir) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY) {
			struct err ignore = ERR_INIT;

			rm_tree(tmp, &ignore); /* a concurrent load made it first */
			err_clear(&ignore);
			return 0;
		}
		return err_sys(err, "commit snapshot %s", dir);
	}
	if (out >= 0)
		job_progress(out, "%.12s: Extracted", img->layers[i] + 7);
	return 0;
}

/* Unpack the layers of img that are not there yet; report each on out (or not, if -1). */
int snapshots_ensure(const struct store *s, const struct image *img, int out, struct err *err)
{
	for (size_t i = 0; i < img->nlayers; i++)
		if (snapshot_ensure_layer(s, img, i, out, err) < 0)
			return -err->code;
	return 0;
}

void store_cleanup_tmp(const struct store *s)
{
	cleanup_free char *snaps = xasprintf("%s/snapshots", s->dir);
	cleanup_free char *tmp = xasprintf("%s/tmp", s->dir);
	struct err ignore = ERR_INIT;
	DIR *d;
	struct dirent *de;

	d = opendir(snaps);
	while (d && (de = readdir(d))) {
		if (!strncmp(de->d_name, "tmp-", 4)) {
			cleanup_free char *p = xasprintf("%s/%s", snaps, de->d_name);

			rm_tree(p, &ignore);
		}
	}
	if (d)
		closedir(d);
	d = opendir(tmp);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] != '.') {
			cleanup_free char *p = xasprintf("%s/%s", tmp, de->d_name);

			rm_tree(p, &ignore);
		}
	}
	if (d)
		closedir(d);
	err_clear(&ignore);
}

static bool in_array(const cJSON *arr, const char *s)
{
	const cJSON *it;

	cJSON_ArrayForEach (it, arr)
		if (cJSON_IsString(it) && !strcmp(it->valuestring, s))
			return true;
	return false;
}

int store_add_image(const struct store *s, const char *manifest_digest, const char *const *names,
		    size_t nnames, cJSON *result, struct err *err)
{
	cJSON *refs = NULL;
	int lock = refs_lock(s, err), r;

	if (lock < 0)
		return lock;
	r = refs_load(s, &refs, err);
	if (r < 0)
		goto out;
	if (!in_array(cJSON_GetObjectItem(refs, "images"), manifest_digest))
		cJSON_AddItemToArray(cJSON_GetObjectItem(refs, "images"),
				     cJSON_CreateString(manifest_digest));
	for (size_t i = 0; i < nnames; i++) {
		cJSON *map = cJSON_GetObjectItem(refs, "refs");

		cJSON_DeleteItemFromObject(map, names[i]);
		cJSON_AddStringToObject(map, names[i], manifest_digest);
		if (result)
			cJSON_AddItemToArray(result, cJSON_CreateString(names[i]));
	}
	r = refs_save(s, refs, err);
out:
	cJSON_Delete(refs);
	refs_unlock(lock);
	return r;
}

int store_cache_put(const struct store *s, const char *key, const char *manifest_digest,
		    struct err *err)
{
	cJSON *refs = NULL, *cache;
	int lock = refs_lock(s, err), r;

	if (lock < 0)
		return lock;
	r = refs_load(s, &refs, err);
	if (r == 0) {
		cache = cJSON_GetObjectItem(refs, "cache");
		if (!cJSON_IsObject(cache)) {
			cJSON_DeleteItemFromObject(refs, "cache");
			cache = cJSON_AddObjectToObject(refs, "cache");
		}
		cJSON_DeleteItemFromObject(cache, key);
		cJSON_AddStringToObject(cache, key, manifest_digest);
		r = refs_save(s, refs, err);
	}
	cJSON_Delete(refs);
	refs_unlock(lock);
	return r;
}

int store_mark_result(const struct store *s, const char *manifest_digest, struct err *err)
{
	cJSON *refs = NULL, *results;
	int lock = refs_lock(s, err), r;

	if (lock < 0)
		return lock;
	r = refs_load(s, &refs, err);
	if (r == 0) {
		results = cJSON_GetObjectItem(refs, "results");
		if (!cJSON_IsArray(results)) {
			cJSON_DeleteItemFromObject(refs, "results");
			results = cJSON_AddArrayToObject(refs, "results");
		}
		if (!in_array(results, manifest_digest))
			cJSON_AddItemToArray(results, cJSON_CreateString(manifest_digest));
		r = refs_save(s, refs, err);
	}
	cJSON_Delete(refs);
	refs_unlock(lock);
	return r;
}

const char *store_cache_get(const cJSON *refs, const char *key)
{
	const char *m =
	    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(refs, "cache"), key));

	return m && in_array(cJSON_GetObjectItem(refs, "images"), m) ? m : NULL;
}

static int gc_locked(const struct store *s, cJSON *refs, struct err *err);

/* Delete blobs and snapshots no image (and no active snapshot) refers to. */
int store_gc(const struct store *s, cJSON *refs, struct err *err)
{
	int lock = ingest_lock(s, true, err), r;

	/* a load or import is storing blobs it has not recorded yet: collect later */
	if (lock == -EWOULDBLOCK)
		return 0;
	if (lock < 0)
		return lock;
	/* held to the end: a new load waits for it before storing anything */
	r = gc_locked(s, refs, err);
	close(lock);
	return r;
}

static int gc_locked(const struct store *s, cJSON *refs, struct err *err)
{
	cleanup_cjson cJSON *keep_blobs = cJSON_CreateObject();
	cleanup_cjson cJSON *keep_snaps = cJSON_CreateObject();
	cleanup_free char *blobs = xasprintf("%s/blobs/sha256", s->dir);
	cleanup_free char *snaps = xasprintf("%s/snapshots", s->dir);
	const cJSON *it;
	struct dirent *de;
	DIR *d;

	cJSON_ArrayForEach (it, cJSON_GetObjectItem(refs, "images")) {
		struct image img;
		struct err e = ERR_INIT;

		if (!cJSON_IsString(it))
			continue;
		cJSON_AddTrueToObject(keep_blobs, it->valuestring + 7);
		if (image_open(s, it->valuestring, &img, &e) < 0) {
			err_clear(&e);
			continue;
		}
		cJSON_AddTrueToObject(keep_blobs, img.id + 7);
		for (size_t i = 0; i < img.nlayers; i++) {
			cJSON_AddTrueToObject(keep_blobs, img.layers[i] + 7);
			cJSON_AddTrueToObject(keep_snaps, img.chain_ids[i] + 7);
		}
		image_free(&img);
	}
	d = opendir(blobs);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || cJSON_GetObjectItem(keep_blobs, de->d_name))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			closedir(d);
			return err_sys(err, "remove blob %s", de->d_name);
		}
	}
	if (d)
		closedir(d);
	d = opendir(snaps);
	while (d && (de = readdir(d))) {
		cleanup_free char *p = NULL;

		if (de->d_name[0] == '.' || !strncmp(de->d_name, "active-", 7) ||
		    !strncmp(de->d_name, "tmp-", 4) || cJSON_GetObjectItem(keep_snaps, de->d_name))
			continue;
		p = xasprintf("%s/%s", snaps, de->d_name);
		if (rm_tree(p, err) < 0) {
			closedir(d);
			return -err->code;
		}
	}
	if (d)
		closedir(d);
	return 0;
}
