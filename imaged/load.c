/*
 * berth load: a docker-archive (docker save) or an OCI layout tarball,
 * plain or compressed, read once from the fd the client passed. Every file
 * of the archive is stored as it streams by: blobs go straight into the
 * content store (OCI blobs are checked against their names), JSON documents
 * are kept in memory up to a limit. Then the images are assembled, their
 * layers unpacked, and their names recorded.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "imaged.h"
#include "job.h"
#include "pull.h"
#include "oci.h"
#include "common/reference.h"

#define SMALL_MAX (8u * 1024 * 1024)

struct member {
	char *path;
	char *link; /* a symlink's target (older docker save links shared layers) */
	char *data; /* small JSON documents */
	size_t len;
	char digest[DIGEST_STR_LEN + 1]; /* stored blobs */
	bool fresh;			 /* stored by this load: removed if it fails */
};

struct archive_index {
	struct member *m;
	size_t n;
	char (*fresh)[DIGEST_STR_LEN + 1]; /* blobs made while assembling (configs, manifests) */
	size_t nfresh;
};

/* blob_put that remembers a blob this load added, to take it back on failure. */
static int put_tracked(const struct store *s, struct archive_index *ix, const void *buf, size_t len,
		       char out[DIGEST_STR_LEN + 1], struct err *err)
{
	struct blob_writer w;
	int r = bw_open(s, &w, err);

	if (r < 0)
		return r;
	if ((r = bw_write(&w, buf, len, err)) < 0) {
		bw_abort(&w);
		return r;
	}
	if ((r = bw_commit(s, &w, NULL, out, err)) < 0)
		return r;
	if (!w.existed) {
		ix->fresh = xreallocarray(ix->fresh, ix->nfresh + 1, sizeof(*ix->fresh));
		memcpy(ix->fresh[ix->nfresh++], out, DIGEST_STR_LEN + 1);
	}
	return 0;
}

static struct member *find(struct archive_index *ix, const char *path, int depth)
{
	while (*path == '.' && path[1] == '/')
		path += 2;
	for (size_t i = 0; i < ix->n; i++) {
		if (strcmp(ix->m[i].path, path) != 0)
			continue;
		if (ix->m[i].link && depth < 8) {
			char buf[4096];
			const char *slash = strrchr(path, '/');

			if (ix->m[i].link[0] == '/')
				return NULL;
			snprintf(buf, sizeof(buf), "%.*s%s", slash ? (int)(slash - path + 1) : 0,
				 path, ix->m[i].link);
			/* fold "dir/../x" */
			for (char *up; (up = strstr(buf, "/../"));) {
				char *start = up;

				while (start > buf && start[-1] != '/')
					start--;
				memmove(start, up + 4, strlen(up + 4) + 1);
			}
			return find(ix, buf, depth + 1);
		}
		return &ix->m[i];
	}
	return NULL;
}

static bool is_small(const char *path)
{
	size_t n = strlen(path);

	return (n > 5 && !strcmp(path + n - 5, ".json")) || !strcmp(path, "oci-layout") ||
	       !strcmp(path, "repositories");
}

static int read_member(struct archive *a, struct archive_entry *ae, const struct store *s,
		       struct member *m, struct err *err)
{
	const char *path = m->path;
	int64_t size = archive_entry_size(ae);
	char buf[65536];
	la_ssize_t n;

	if (is_small(path)) {
		if (size > (int64_t)SMALL_MAX)
			return err_set(err, EFBIG, "archive member %s is over the %u byte limit",
				       path, SMALL_MAX);
		m->data = xmalloc((size_t)size + 1);
		while ((n = archive_read_data(a, m->data + m->len, (size_t)size - m->len)) > 0)
			m->len += (size_t)n;
		if (n < 0)
			return err_set(err, EIO, "read %s: %s", path, archive_error_string(a));
		m->data[m->len] = '\0';
		return 0;
	}
	{
		struct blob_writer w;
		const char *expected = NULL;
		char name[DIGEST_STR_LEN + 1];
		int r = bw_open(s, &w, err);

		if (r < 0)
			return r;
		if (!strncmp(path, "blobs/sha256/", 13)) {
			snprintf(name, sizeof(name), "sha256:%s", path + 13);
			if (!digest_valid(name)) {
				bw_abort(&w);
				return err_set(err, EINVAL,
					       "archive member %s is not named by a digest", path);
			}
			expected = name;
		}
		while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
			if ((r = bw_write(&w, buf, (size_t)n, err)) < 0) {
				bw_abort(&w);
				return r;
			}
		if (n < 0) {
			bw_abort(&w);
			return err_set(err, EIO, "read %s: %s", path, archive_error_string(a));
		}
		r = bw_commit(s, &w, expected, m->digest, err);
		if (r < 0)
			return err_wrap(err, "archive member %s", path);
		m->fresh = !w.existed;
		return 0;
	}
}

static int read_archive(const struct store *s, int fd, int out, struct archive_index *ix,
			struct err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int r = 0, ar;

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		r = err_set(err, EINVAL, "cannot read the archive: %s", archive_error_string(a));
		goto out;
	}
	while ((ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(ae);
		struct member *m;
		mode_t type = archive_entry_filetype(ae);

		while (*path == '.' && path[1] == '/')
			path += 2;
		if (type != AE_IFREG && type != AE_IFLNK)
			continue;
		ix->m = xreallocarray(ix->m, ix->n + 1, sizeof(*ix->m));
		m = &ix->m[ix->n++];
		memset(m, 0, sizeof(*m));
		m->path = xstrdup(path);
		if (type == AE_IFLNK) {
			m->link = xstrdup(archive_entry_symlink(ae));
			continue;
		}
		r = read_member(a, ae, s, m, err);
		if (r < 0)
			goto out;
		if (m->digest[0])
			job_progress(out, "%.12s: stored %s", m->digest + 7, path);
	}
	if (ar != ARCHIVE_EOF)
		r = err_set(err, EINVAL, "the archive is damaged: %s", archive_error_string(a));
	else if (ix->n == 0)
		r = err_set(err, EINVAL, "the input is not an image archive (no files in it)");
out:
	archive_read_free(a);
	return r;
}

/* A layer blob's media type, from its first bytes. */

/* Make an OCI manifest for a docker-archive image and store it. */
static int docker_manifest(const struct store *s, struct archive_index *ix,
			   const char *config_digest, size_t config_len,
			   char (*layers)[DIGEST_STR_LEN + 1], size_t n,
			   char out[DIGEST_STR_LEN + 1], struct err *err)
{
	cJSON *arr;
	cleanup_cjson cJSON *m = oci_manifest_new(config_digest, config_len, &arr);
	cleanup_free char *text = NULL;

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = blob_path(s, layers[i]);
		struct stat st;

		if (stat(p, &st) < 0)
			return err_sys(err, "layer %s", layers[i]);
		cJSON_AddItemToArray(arr, oci_descriptor(blob_layer_type(s, layers[i]), layers[i],
							 (double)st.st_size));
	}
	text = cJSON_PrintUnformatted(m);
	return put_tracked(s, ix, text, strlen(text), out, err);
}

static char *normalise(const char *name, struct err *err)
{
	struct ref r;
	char *full;

	if (ref_parse(name, &r, err) < 0)
		return NULL;
	full = ref_full(&r);
	ref_free(&r);
	return full;
}

/* Unpack, then record an image with its names; lines for the client. */
int load_finish_image(const struct store *s, int out, const char *manifest_digest, char **names,
		      size_t nnames, cJSON *loaded, struct err *err)
{
	struct image img;
	int r = image_open(s, manifest_digest, &img, err);

	if (r < 0)
		return r;
	r = snapshots_ensure(s, &img, out, err);
	if (r == 0)
		r = store_add_image(s, manifest_digest, (const char *const *)names, nnames, NULL,
				    err);
	if (r == 0) {
		for (size_t i = 0; i < nnames; i++) {
			cleanup_free char *fam = ref_familiar_of(names[i]);

			job_progress(out, "Loaded image: %s", fam);
			cJSON_AddItemToArray(loaded, cJSON_CreateString(fam));
		}
		if (!nnames) {
			job_progress(out, "Loaded image ID: %s", img.id);
			cJSON_AddItemToArray(loaded, cJSON_CreateString(img.id));
		}
	}
	image_free(&img);
	return r;
}

static int load_docker(const struct store *s, int out, struct archive_index *ix, struct member *mf,
		       cJSON *loaded, struct err *err)
{
	cleanup_cjson cJSON *doc = cJSON_ParseWithLength(mf->data, mf->len);
	const cJSON *it;
	size_t k = 0;

	if (!cJSON_IsArray(doc))
		return err_set(err, EINVAL, "manifest.json is not a JSON array");
	cJSON_ArrayForEach (it, doc) {
		const cJSON *cfg = cJSON_GetObjectItem(it, "Config");
		const cJSON *layers = cJSON_GetObjectItem(it, "Layers");
		const cJSON *tags = cJSON_GetObjectItem(it, "RepoTags"), *t;
		char config_digest[DIGEST_STR_LEN + 1], manifest[DIGEST_STR_LEN + 1];
		char(*ldig)[DIGEST_STR_LEN + 1] = NULL;
		char **names = NULL;
		struct member *cm;
		size_t n = 0, nn = 0, i = 0;
		int r;

		if (!cJSON_IsString(cfg) || !cJSON_IsArray(layers))
			return err_set(err, EINVAL, "manifest.json[%zu] needs Config and Layers",
				       k);
		cm = find(ix, cfg->valuestring, 0);
		if (!cm || !cm->data)
			return err_set(err, ENOENT,
				       "manifest.json[%zu]: config %s is not in the archive", k,
				       cfg->valuestring);
		r = put_tracked(s, ix, cm->data, cm->len, config_digest, err);
		if (r < 0)
			return r;
		n = (size_t)cJSON_GetArraySize(layers);
		ldig = xcalloc(n + 1, sizeof(*ldig));
		cJSON_ArrayForEach (t, layers) {
			struct member *lm = cJSON_IsString(t) ? find(ix, t->valuestring, 0) : NULL;

			if (!lm || !lm->digest[0]) {
				free(ldig);
				return err_set(
				    err, ENOENT,
				    "manifest.json[%zu].Layers[%zu]: %s is not in the archive", k,
				    i, cJSON_IsString(t) ? t->valuestring : "?");
			}
			memcpy(ldig[i++], lm->digest, DIGEST_STR_LEN + 1);
		}
		r = docker_manifest(s, ix, config_digest, cm->len, ldig, n, manifest, err);
		free(ldig);
		if (r < 0)
			return r;
		names = xcalloc((size_t)cJSON_GetArraySize(tags) + 1, sizeof(char *));
		cJSON_ArrayForEach (t, tags) {
			char *full = cJSON_IsString(t) ? normalise(t->valuestring, err) : NULL;

			if (!full) {
				for (size_t j = 0; j < nn; j++)
					free(names[j]);
				free(names);
				return err_set(err, EINVAL, "manifest.json[%zu].RepoTags: bad name",
					       k);
			}
			names[nn++] = full;
		}
		r = load_finish_image(s, out, manifest, names, nn, loaded, err);
		for (size_t j = 0; j < nn; j++)
			free(names[j]);
		free(names);
		if (r < 0)
			return r;
		k++;
	}
	return 0;
}

static int load_oci(const struct store *s, int out, struct member *index, cJSON *loaded,
		    struct err *err)
{
	cleanup_cjson cJSON *doc = cJSON_ParseWithLength(index->data, index->len);
	const cJSON *it;
	size_t k = 0;

	if (!cJSON_IsObject(doc) || !cJSON_IsArray(cJSON_GetObjectItem(doc, "manifests")))
		return err_set(err, EINVAL, "index.json is not an OCI image index");
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(doc, "manifests")) {
		const cJSON *ann = cJSON_GetObjectItem(it, "annotations");
		const cJSON *name = cJSON_GetObjectItem(ann, "io.containerd.image.name");
		const char *mt, *digest;
		char where[40], *names[1] = {NULL};
		int r;

		snprintf(where, sizeof(where), "index.json manifests[%zu]", k++);
		if ((r = oci_descriptor_check(it, where, err)) < 0)
			return r;
		mt = cJSON_GetObjectItem(it, "mediaType")->valuestring;
		digest = cJSON_GetObjectItem(it, "digest")->valuestring;
		if (!blob_exists(s, digest))
			return err_set(err, ENOENT, "%s: blob %s is not in the archive", where,
				       digest);
		if (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST)) {
			cleanup_free char *text = NULL;
			cleanup_cjson cJSON *nested = NULL;
			size_t len = 0;
			const char *pick;

			if ((r = blob_read(s, digest, MANIFEST_MAX, &text, &len, err)) < 0)
				return r;
			nested = cJSON_ParseWithLength(text, len);
			if (!nested || (r = oci_index_pick(nested, &pick, err)) < 0)
				return r < 0 ? r
					     : err_set(err, EINVAL, "%s: nested index is not JSON",
						       where);
			digest = pick;
		}
		if (!cJSON_IsString(name))
			name = cJSON_GetObjectItem(ann, "org.opencontainers.image.ref.name");
		if (cJSON_IsString(name) &&
		    (strchr(name->valuestring, ':') || strchr(name->valuestring, '/'))) {
			names[0] = normalise(name->valuestring, err);
			if (!names[0])
				return err_wrap(err, "%s: annotation %s", where, name->string);
		}
		r = load_finish_image(s, out, digest, names, names[0] ? 1 : 0, loaded, err);
		free(names[0]);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool referenced(const struct store *s, const cJSON *refs, const char *digest)
{
	const cJSON *it;

	cJSON_ArrayForEach (it, cJSON_GetObjectItem(refs, "images")) {
		struct image img;
		struct err e = ERR_INIT;
		bool hit;

		if (!cJSON_IsString(it))
			continue;
		if (!strcmp(it->valuestring, digest))
			return true;
		if (image_open(s, it->valuestring, &img, &e) < 0) {
			err_clear(&e);
			continue;
		}
		hit = !strcmp(img.id, digest);
		for (size_t i = 0; !hit && i < img.nlayers; i++)
			hit = !strcmp(img.layers[i], digest);
		image_free(&img);
		if (hit)
			return true;
	}
	return false;
}

static void unlink_unused(const struct store *s, const cJSON *refs, const char *digest)
{
	cleanup_free char *p = NULL;

	if (refs && referenced(s, refs, digest))
		return;
	p = blob_path(s, digest);
	unlink(p);
}

/*
 * A failed load leaves the store as it was: the blobs it brought go, except
 * those an image recorded before the failure (same archive) now uses.
 */
static void __attribute__((noreturn))
load_fail(const struct store *s, struct archive_index *ix, int out, struct err *err)
{
	struct err e = ERR_INIT;
	cJSON *refs = NULL;
	int lock = refs_lock(s, &e);

	if (refs_load(s, &refs, &e) < 0)
		refs = NULL;
	for (size_t i = 0; i < ix->n; i++)
		if (ix->m[i].fresh && ix->m[i].digest[0])
			unlink_unused(s, refs, ix->m[i].digest);
	for (size_t i = 0; i < ix->nfresh; i++)
		unlink_unused(s, refs, ix->fresh[i]);
	cJSON_Delete(refs);
	refs_unlock(lock);
	err_clear(&e);
	job_fail(out, err);
}

void load_run(const struct store *s, int fd, int out, void *arg)
{
	/* held until this worker exits: no gc while we store blobs */
	int ingest = ingest_lock(s, false, NULL);

	(void)ingest;
	struct archive_index ix = {0};
	struct err err = ERR_INIT;
	cleanup_cjson cJSON *result = cJSON_CreateObject();
	cJSON *loaded = cJSON_AddArrayToObject(result, "loaded");
	struct member *m;
	cleanup_free char *text = NULL;
	int r;

	(void)arg;
	r = read_archive(s, fd, out, &ix, &err);
	close(fd);
	if (r < 0)
		load_fail(s, &ix, out, &err);
	if ((m = find(&ix, "manifest.json", 0)) && m->data)
		r = load_docker(s, out, &ix, m, loaded, &err);
	else if ((m = find(&ix, "index.json", 0)) && m->data)
		r = load_oci(s, out, m, loaded, &err);
	else
		r = err_set(&err, EINVAL,
			    "the archive has neither manifest.json (docker-archive) nor index.json "
			    "(OCI layout)");
	if (r < 0)
		load_fail(s, &ix, out, &err);
	text = cJSON_PrintUnformatted(result);
	job_done(out, text);
}
