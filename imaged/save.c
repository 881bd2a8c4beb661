/*
 * berth save: images to a docker-archive (what docker load, skopeo and podman
 * read) or an OCI layout tarball, written to the fd the client passed.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "imaged.h"
#include "job.h"
#include "oci.h"
#include "common/reference.h"
#include "save.h"

static int add_buf(struct archive *a, const char *name, const void *buf, size_t len,
		   struct err *err)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, 0, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (len && archive_write_data(a, buf, len) != (la_ssize_t)len))
		r = err_set(err, EIO, "write %s: %s", name, archive_error_string(a));
	archive_entry_free(e);
	return r;
}

static int add_dir(struct archive *a, const char *name, struct err *err)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFDIR);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_mtime(e, 0, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		r = err_set(err, EIO, "write %s: %s", name, archive_error_string(a));
	archive_entry_free(e);
	return r;
}

/*
 * Copy a blob into the archive; with decompress, the uncompressed stream
 * (docker-archive layers are plain tars whose digest is the diff_id).
 */
static int add_blob(struct archive *a, const struct store *s, const char *name, const char *digest,
		    bool decompress, struct err *err)
{
	cleanup_free char *path = blob_path(s, digest);
	struct archive_entry *e = archive_entry_new();
	char buf[65536];
	la_int64_t size = 0;
	int r = 0;

	for (int pass = decompress ? 0 : 1; pass < 2; pass++) {
		struct archive *in = archive_read_new();
		struct archive_entry *ie;
		la_ssize_t n;

		archive_read_support_filter_all(in);
		archive_read_support_format_raw(in);
		archive_read_support_format_empty(in);
		if (!decompress) {
			struct stat st;

			archive_read_free(in);
			if (stat(path, &st) < 0) {
				r = err_sys(err, "blob %s", digest);
				goto out;
			}
			size = st.st_size;
			in = NULL;
		}
		if (pass == 1) {
			archive_entry_set_pathname(e, name);
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, size);
			if (archive_write_header(a, e) != ARCHIVE_OK) {
				r = err_set(err, EIO, "write %s: %s", name,
					    archive_error_string(a));
				archive_read_free(in);
				goto out;
			}
		}
		if (in) {
			if (archive_read_open_filename(in, path, 65536) != ARCHIVE_OK ||
			    archive_read_next_header(in, &ie) != ARCHIVE_OK) {
				r = err_set(err, EIO, "read blob %s: %s", digest,
					    archive_error_string(in));
				archive_read_free(in);
				goto out;
			}
			while ((n = archive_read_data(in, buf, sizeof(buf))) > 0) {
				if (pass == 0)
					size += n;
				else if (archive_write_data(a, buf, (size_t)n) != n)
					break;
			}
			archive_read_free(in);
		} else {
			cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
			ssize_t n2;

			if (fd < 0) {
				r = err_sys(err, "open blob %s", digest);
				goto out;
			}
			while ((n2 = read(fd, buf, sizeof(buf))) > 0)
				if (archive_write_data(a, buf, (size_t)n2) != n2) {
					r = err_set(err, EIO, "write %s: %s", name,
						    archive_error_string(a));
					goto out;
				}
		}
	}
out:
	archive_entry_free(e);
	return r;
}

static int save_docker(struct archive *a, const struct store *s, const struct save_args *sa,
		       int out, struct err *err)
{
	cleanup_cjson cJSON *manifest = cJSON_CreateArray();
	cleanup_cjson cJSON *seen = cJSON_CreateObject();
	cleanup_free char *text = NULL;
	int r;

	for (size_t i = 0; i < sa->n; i++) {
		struct image img;
		cJSON *entry, *layers, *tags;
		char name[128];

		if ((r = image_open(s, sa->manifests[i], &img, err)) < 0)
			return r;
		entry = cJSON_CreateObject();
		snprintf(name, sizeof(name), "%s.json", img.id + 7);
		cJSON_AddStringToObject(entry, "Config", name);
		if (!cJSON_GetObjectItem(seen, name)) {
			cJSON_AddTrueToObject(seen, name);
			if ((r = add_blob(a, s, name, img.id, false, err)) < 0)
				goto fail;
		}
		tags = cJSON_AddArrayToObject(entry, "RepoTags");
		if (sa->names[i]) {
			cleanup_free char *fam = ref_familiar_of(sa->names[i]);

			cJSON_AddItemToArray(tags, cJSON_CreateString(fam));
		}
		layers = cJSON_AddArrayToObject(entry, "Layers");
		for (size_t l = 0; l < img.nlayers; l++) {
			char dir[80], file[96];

			snprintf(dir, sizeof(dir), "%s", img.diff_ids[l] + 7);
			snprintf(file, sizeof(file), "%s/layer.tar", dir);
			cJSON_AddItemToArray(layers, cJSON_CreateString(file));
			if (cJSON_GetObjectItem(seen, file))
				continue;
			cJSON_AddTrueToObject(seen, file);
			job_progress(out, "%.12s: saving layer", img.layers[l] + 7);
			if ((r = add_dir(a, dir, err)) < 0 ||
			    (r = add_blob(a, s, file, img.layers[l], true, err)) < 0)
				goto fail;
		}
		cJSON_AddItemToArray(manifest, entry);
		image_free(&img);
		continue;
	fail:
		cJSON_Delete(entry);
		image_free(&img);
		return r;
	}
	text = cJSON_PrintUnformatted(manifest);
	return add_buf(a, "manifest.json", text, strlen(text), err);
}

static int save_oci(struct archive *a, const struct store *s, const struct save_args *sa, int out,
		    struct err *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	cleanup_cjson cJSON *index = cJSON_CreateObject();
	cleanup_cjson cJSON *seen = cJSON_CreateObject();
	cleanup_free char *text = NULL;
	cJSON *list;
	int r;

	cJSON_AddNumberToObject(index, "schemaVersion", 2);
	cJSON_AddStringToObject(index, "mediaType", MT_OCI_INDEX);
	list = cJSON_AddArrayToObject(index, "manifests");
	if ((r = add_buf(a, "oci-layout", layout, strlen(layout), err)) < 0 ||
	    (r = add_dir(a, "blobs", err)) < 0 || (r = add_dir(a, "blobs/sha256", err)) < 0)
		return r;
	for (size_t i = 0; i < sa->n; i++) {
		const char *digests[3];
		struct image img;
		cJSON *d, *ann;
		struct stat st;
		cleanup_free char *mp = NULL;

		if ((r = image_open(s, sa->manifests[i], &img, err)) < 0)
			return r;
		digests[0] = img.manifest_digest;
		digests[1] = img.id;
		for (size_t l = 0; l <= img.nlayers; l++) {
			const char *dg = l < img.nlayers ? img.layers[l] : NULL;
			char name[96];

			for (int k = 0; k < 2 && l == 0; k++) {
				snprintf(name, sizeof(name), "blobs/sha256/%s", digests[k] + 7);
				if (!cJSON_GetObjectItem(seen, name)) {
					cJSON_AddTrueToObject(seen, name);
					if ((r = add_blob(a, s, name, digests[k], false, err)) < 0)
						goto fail;
				}
			}
			if (!dg)
				break;
			snprintf(name, sizeof(name), "blobs/sha256/%s", dg + 7);
			if (cJSON_GetObjectItem(seen, name))
				continue;
			cJSON_AddTrueToObject(seen, name);
			job_progress(out, "%.12s: saving layer", dg + 7);
			if ((r = add_blob(a, s, name, dg, false, err)) < 0)
				goto fail;
		}
		mp = blob_path(s, img.manifest_digest);
		if (stat(mp, &st) < 0) {
			r = err_sys(err, "manifest %s", img.manifest_digest);
			goto fail;
		}
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "mediaType", MT_OCI_MANIFEST);
		cJSON_AddStringToObject(d, "digest", img.manifest_digest);
		cJSON_AddNumberToObject(d, "size", (double)st.st_size);
		if (sa->names[i]) {
			const char *colon = strrchr(sa->names[i], ':');

			ann = cJSON_AddObjectToObject(d, "annotations");
			cJSON_AddStringToObject(ann, "io.containerd.image.name", sa->names[i]);
			cJSON_AddStringToObject(ann, "org.opencontainers.image.ref.name",
						colon ? colon + 1 : "latest");
		}
		cJSON_AddItemToArray(list, d);
		image_free(&img);
		continue;
	fail:
		image_free(&img);
		return r;
	}
	text = cJSON_PrintUnformatted(index);
	return add_buf(a, "index.json", text, strlen(text), err);
}

void save_run(const struct store *s, int fd, int out, void *arg)
{
	const struct save_args *sa = arg;
	struct archive *a = archive_write_new();
	struct err err = ERR_INIT;
	int r;

	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		err_set(&err, EIO, "cannot write the archive: %s", archive_error_string(a));
		job_fail(out, &err);
	}
	r = sa->oci ? save_oci(a, s, sa, out, &err) : save_docker(a, s, sa, out, &err);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = err_set(&err, EIO, "finish the archive: %s", archive_error_string(a));
	archive_write_free(a);
	close(fd);
	if (r < 0)
		job_fail(out, &err);
	job_done(out, "{}");
}
