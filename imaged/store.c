#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "oci.h"
#include "common/reference.h"
#include "store.h"

char *blob_path(const struct store *s, const char *digest)
{
	return xasprintf("%s/blobs/sha256/%s", s->dir, digest + 7);
}

bool blob_exists(const struct store *s, const char *digest)
{
	cleanup_free char *p = NULL;

	if (!digest_valid(digest))
		return false;
	p = blob_path(s, digest);
	return access(p, F_OK) == 0;
}

int blob_read(const struct store *s, const char *digest, size_t max, char **out, size_t *len,
	      struct err *err)
{
	cleanup_free char *p = NULL;
	char got[DIGEST_STR_LEN + 1];
	size_t n = 0;
	int r;

	if (!digest_valid(digest))
		return err_set(err, EINVAL, "invalid digest '%s'", digest);
	p = blob_path(s, digest);
	r = read_file_at(AT_FDCWD, p, max, out, &n, err);
	if (r < 0) {
		if (err->code == ENOENT)
			return err_set(err, ENOENT, "blob %s is missing from the store", digest);
		return r;
	}
	if (sha256_digest(*out, n, got, err) < 0 || strcmp(got, digest) != 0) {
		free(*out);
		*out = NULL;
		return err_set(err, EIO, "blob %s is corrupt (its content hashes to %s)", digest,
			       got);
	}
	if (len)
		*len = n;
	return 0;
}

int bw_open(const struct store *s, struct blob_writer *w, struct err *err)
{
	uint64_t rnd = 0;
	int r;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = (uint64_t)getpid();
	w->tmp = xasprintf("%s/tmp/blob-%016llx", s->dir, (unsigned long long)rnd);
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		r = err_sys(err, "create %s", w->tmp);
		free(w->tmp);
		w->tmp = NULL;
		return r;
	}
	r = sha256_init(&w->h, err);
	if (r < 0)
		bw_abort(w);
	return r;
}

int bw_write(struct blob_writer *w, const void *buf, size_t len, struct err *err)
{
	const char *p = buf;
	size_t left = len;

	while (left > 0) {
		ssize_t n = write(w->fd, p, left);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(err, "write %s", w->tmp);
		}
		p += n;
		left -= (size_t)n;
	}
	sha256_update(&w->h, buf, len);
	w->size += len;
	return 0;
}

int bw_commit(const struct store *s, struct blob_writer *w, const char *expected,
	      char out[DIGEST_STR_LEN + 1], struct err *err)
{
	cleanup_free char *dst = NULL;
	char got[DIGEST_STR_LEN + 1];
	int r = 0;

	sha256_final(&w->h, got);
	if (expected && strcmp(expected, got) != 0) {
		r = err_set(err, EIO, "digest mismatch: expected %s, the content is %s", expected,
			    got);
		goto out;
	}
	if (fsync(w->fd) < 0) {
		r = err_sys(err, "fsync %s", w->tmp);
		goto out;
	}
	dst = blob_path(s, got);
	w->existed = access(dst, F_OK) == 0;
	if (rename(w->tmp, dst) < 0) {
		r = err_sys(err, "store blob %s", got);
		goto out;
	}
	if (out)
		memcpy(out, got, DIGEST_STR_LEN + 1);
out:
	close(w->fd);
	w->fd = -1;
	if (r < 0)
		unlink(w->tmp);
	free(w->tmp);
	w->tmp = NULL;
	return r;
}

void bw_abort(struct blob_writer *w)
{
	if (w->h.md)
		sha256_free(&w->h);
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	free(w->tmp);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

int blob_put(const struct store *s, const void *buf, size_t len, char out[DIGEST_STR_LEN + 1],
	     struct err *err)
{
	struct blob_writer w;
	int r = bw_open(s, &w, err);

	if (r < 0)
		return r;
	r = bw_write(&w, buf, len, err);
	if (r < 0) {
		bw_abort(&w);
		return r;
	}
	return bw_commit(s, &w, NULL, out, err);
}

int refs_lock(const struct store *s, struct err *err)
{
	cleanup_free char *p = xasprintf("%s/refs.lock", s->dir);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_sys(err, "open %s", p);
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return err_sys(err, "lock %s", p);
	}
	return fd;
}

int ingest_lock(const struct store *s, bool exclusive, struct err *err)
{
	cleanup_free char *p = xasprintf("%s/ingest.lock", s->dir);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_sys(err, "open %s", p);
	if (flock(fd, exclusive ? LOCK_EX | LOCK_NB : LOCK_SH) < 0) {
		int r = errno == EWOULDBLOCK ? -EWOULDBLOCK : err_sys(err, "lock %s", p);

		close(fd);
		return r;
	}
	return fd;
}

void refs_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int refs_load(const struct store *s, cJSON **out, struct err *err)
{
	cleanup_free char *p = xasprintf("%s/refs.json", s->dir);
	cleanup_free char *text = NULL;
	cJSON *doc;
	int r = read_file_at(AT_FDCWD, p, 64u << 20, &text, NULL, err);

	if (r < 0 && err->code != ENOENT)
		return r;
	err_clear(err);
	doc = text ? cJSON_Parse(text) : cJSON_CreateObject();
	if (!doc || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return err_set(err, EINVAL, "%s is corrupt", p);
	}
	if (!cJSON_IsObject(cJSON_GetObjectItem(doc, "refs")))
		cJSON_AddObjectToObject(doc, "refs");
	if (!cJSON_IsArray(cJSON_GetObjectItem(doc, "images")))
		cJSON_AddArrayToObject(doc, "images");
	*out = doc;
	return 0;
}

int refs_save(const struct store *s, const cJSON *doc, struct err *err)
{
	cleanup_free char *p = xasprintf("%s/refs.json", s->dir);
	cleanup_free char *text = cJSON_PrintUnformatted(doc);

	return atomic_write_file(p, text, strlen(text), 0600, err);
}

void chain_id(const char *parent, const char *diff_id, char out[DIGEST_STR_LEN + 1])
{
	char buf[2 * DIGEST_STR_LEN + 2];

	if (!parent) {
		memcpy(out, diff_id, DIGEST_STR_LEN + 1);
		return;
	}
	snprintf(buf, sizeof(buf), "%s %s", parent, diff_id);
	sha256_digest(buf, strlen(buf), out, NULL);
}

void image_free(struct image *img)
{
	cJSON_Delete(img->manifest);
	cJSON_Delete(img->config);
	free(img->layers);
	free(img->diff_ids);
	free(img->chain_ids);
	memset(img, 0, sizeof(*img));
}

int image_open(const struct store *s, const char *manifest_digest, struct image *img,
	       struct err *err)
{
	cleanup_free char *mtext = NULL, *ctext = NULL;
	struct oci_manifest m;
	size_t mlen = 0, clen = 0;
	const cJSON *diffs, *it;
	size_t i = 0;
	int r;

	memset(img, 0, sizeof(*img));
	r = blob_read(s, manifest_digest, MANIFEST_MAX, &mtext, &mlen, err);
	if (r < 0)
		return r;
	r = oci_manifest_parse(mtext, mlen, &m, err);
	if (r < 0)
		return err_wrap(err, "manifest %s", manifest_digest);
	img->manifest = m.doc;
	snprintf(img->manifest_digest, sizeof(img->manifest_digest), "%s", manifest_digest);
	snprintf(img->id, sizeof(img->id), "%s", m.config_digest);
	img->nlayers = m.nlayers;
	img->layers = m.layers;
	r = blob_read(s, img->id, CONFIG_MAX, &ctext, &clen, err);
	if (r < 0)
		goto fail;
	img->config = cJSON_ParseWithLength(ctext, clen);
	if (!img->config) {
		r = err_set(err, EINVAL, "image config %s is not JSON", img->id);
		goto fail;
	}
	diffs = cJSON_GetObjectItem(cJSON_GetObjectItem(img->config, "rootfs"), "diff_ids");
	if (!cJSON_IsArray(diffs) || (size_t)cJSON_GetArraySize(diffs) != img->nlayers) {
		r = err_set(
		    err, EINVAL, "image config %s: rootfs.diff_ids has %d entries for %zu layers",
		    img->id, cJSON_IsArray(diffs) ? cJSON_GetArraySize(diffs) : 0, img->nlayers);
		goto fail;
	}
	img->diff_ids = xcalloc(img->nlayers + 1, sizeof(*img->diff_ids));
	img->chain_ids = xcalloc(img->nlayers + 1, sizeof(*img->chain_ids));
	cJSON_ArrayForEach (it, diffs) {
		if (!cJSON_IsString(it) || !digest_valid(it->valuestring)) {
			r = err_set(err, EINVAL,
				    "image config %s: rootfs.diff_ids[%zu] is not a digest",
				    img->id, i);
			goto fail;
		}
		snprintf(img->diff_ids[i], DIGEST_STR_LEN + 1, "%s", it->valuestring);
		chain_id(i ? img->chain_ids[i - 1] : NULL, img->diff_ids[i], img->chain_ids[i]);
		i++;
	}
	img->size = m.total_size;
	return 0;
fail:
	image_free(img);
	return r;
}

static int match_id(const struct store *s, const cJSON *refs, const char *prefix,
		    char out[DIGEST_STR_LEN + 1], struct err *err)
{
	const cJSON *it;
	int found = 0;

	cJSON_ArrayForEach (it, cJSON_GetObjectItem(refs, "images")) {
		struct image img;
		struct err ignore = ERR_INIT;
		bool hit;

		if (!cJSON_IsString(it) || image_open(s, it->valuestring, &img, &ignore) < 0) {
			err_clear(&ignore);
			continue;
		}
		hit = !strncmp(img.id + 7, prefix, strlen(prefix)) ||
		      !strncmp(img.id, prefix, strlen(prefix)) ||
		      !strcmp(img.manifest_digest, prefix);
		if (hit) {
			if (found && strcmp(out, it->valuestring) != 0) {
				image_free(&img);
				return err_set(err, EINVAL, "image id prefix '%s' is ambiguous",
					       prefix);
			}
			snprintf(out, DIGEST_STR_LEN + 1, "%s", it->valuestring);
			found = 1;
		}
		image_free(&img);
	}
	return found;
}

int image_resolve(const struct store *s, const cJSON *refs, const char *ref,
		  char out[DIGEST_STR_LEN + 1], struct err *err)
{
	cleanup_free char *full = NULL;
	struct ref r;
	const cJSON *hit;
	bool hexish = strlen(ref) >= 3 && strspn(ref, "0123456789abcdef") == strlen(ref);
	int rc;

	if (hexish || !strncmp(ref, "sha256:", 7)) {
		rc = match_id(s, refs, ref, out, err);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	if (ref_parse(ref, &r, err) < 0)
		return -err->code;
	full = ref_full(&r);
	hit = cJSON_GetObjectItem(cJSON_GetObjectItem(refs, "refs"), full);
	if (!hit && r.digest) {
		/* name@digest: any image with that manifest digest and name */
		snprintf(out, DIGEST_STR_LEN + 1, "%s", r.digest);
		ref_free(&r);
		if (match_id(s, refs, out, out, err) > 0)
			return 0;
		return err_set(err, ENOENT, "no such image: %s", ref);
	}
	ref_free(&r);
	if (!cJSON_IsString(hit))
		return err_set(err, ENOENT, "no such image: %s", ref);
	snprintf(out, DIGEST_STR_LEN + 1, "%s", hit->valuestring);
	return 0;
}

/* A layer blob's media type from its first bytes: gzip, zstd or a plain tar. */
const char *blob_layer_type(const struct store *s, const char *digest)
{
	cleanup_free char *p = blob_path(s, digest);
	unsigned char magic[4] = {0};
	FILE *f = fopen(p, "re");

	if (f) {
		if (fread(magic, 1, 4, f) < 4)
			memset(magic, 0, sizeof(magic));
		fclose(f);
	}
	if (magic[0] == 0x1f && magic[1] == 0x8b)
		return MT_OCI_LAYER_GZ;
	if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
		return MT_OCI_LAYER_ZSTD;
	return MT_OCI_LAYER;
}
