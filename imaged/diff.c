/*
 * berth diff: what a container changed, from its upper directory. An
 * overlayfs whiteout is a deletion (D); anything else is a change (C) when
 * one of the image's layers has that path, an addition (A) otherwise. Each
 * line goes to the client as a progress line of the job.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "commit.h"
#include "difftar.h"
#include "imaged.h"
#include "job.h"

struct diff {
	int *lowers; /* the image's layer directories, top first */
	size_t nlowers;
	int out;
	struct err *err;
};

static bool in_lowers(const struct diff *d, const char *rel)
{
	struct stat st;

	for (size_t i = 0; i < d->nlowers; i++) {
		if (fstatat(d->lowers[i], rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		/* a whiteout in a lower layer: the path is gone below it */
		return !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	}
	return false;
}

/* The lines for what is under rel, in lines; a changed directory shows only with changes in it. */
static int walk(const struct diff *d, int dfd, const char *rel, cJSON *lines)
{
	int fd = dup(dfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int r = 0;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return err_sys(d->err, "read /%s", rel);
	}
	while (r == 0 && (de = readdir(dir))) {
		cleanup_free char *path = NULL, *line = NULL;
		cleanup_cjson cJSON *sub_lines = NULL;
		struct stat st;
		bool changed;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = err_sys(d->err, "stat /%s", path);
			break;
		}
		if (difftar_mount_stub(dirfd(dir), de->d_name, path, &st))
			continue;
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			line = xasprintf("D /%s", path);
			cJSON_AddItemToArray(lines, cJSON_CreateString(line));
			continue;
		}
		changed = in_lowers(d, path);
		line = xasprintf("%c /%s", changed ? 'C' : 'A', path);
		if (!S_ISDIR(st.st_mode)) {
			cJSON_AddItemToArray(lines, cJSON_CreateString(line));
			continue;
		}
		sub_lines = cJSON_CreateArray();
		{
			cleanup_close int sub =
			    openat(dirfd(dir), de->d_name,
				   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			r = sub < 0 ? err_sys(d->err, "open /%s", path)
				    : walk(d, sub, path, sub_lines);
		}
		if (!changed || cJSON_GetArraySize(sub_lines))
			cJSON_AddItemToArray(lines, cJSON_CreateString(line));
		while (cJSON_GetArraySize(sub_lines))
			cJSON_AddItemToArray(lines, cJSON_DetachItemFromArray(sub_lines, 0));
	}
	closedir(dir);
	return r;
}

void diff_run(const struct store *s, int fd, int out, const char *args_text)
{
	struct err err = ERR_INIT;
	cleanup_cjson cJSON *args = cJSON_Parse(args_text);
	const char *key = cJSON_GetStringValue(cJSON_GetObjectItem(args, "key"));
	const char *manifest = cJSON_GetStringValue(cJSON_GetObjectItem(args, "image"));
	cleanup_free char *upper = NULL;
	cleanup_close int ufd = -1;
	struct diff d = {.out = out, .err = &err};
	struct image img;

	(void)fd;
	if (!key || !manifest) {
		err_set(&err, EINVAL, "malformed diff arguments");
		job_fail(out, &err);
	}
	if (image_open(s, manifest, &img, &err) < 0)
		job_fail(out, &err);
	d.lowers = xcalloc(img.nlayers + 1, sizeof(int));
	for (size_t i = img.nlayers; i-- > 0;) {
		cleanup_free char *dir = snapshot_dir(s, img.chain_ids[i]);
		cleanup_free char *fs = xasprintf("%s/fs", dir);
		int l = open(fs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (l >= 0)
			d.lowers[d.nlowers++] = l;
	}
	image_free(&img);
	upper = xasprintf("%s/snapshots/active-%s/fs", s->dir, key);
	ufd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ufd < 0) {
		err_sys(&err, "no changes recorded for %.12s", key);
		job_fail(out, &err);
	}
	{
		cleanup_cjson cJSON *lines = cJSON_CreateArray();
		const cJSON *l;

		if (walk(&d, ufd, "", lines) < 0)
			job_fail(out, &err);
		cJSON_ArrayForEach (l, lines)
			job_progress(out, "%s", l->valuestring);
	}
	job_done(out, "{}");
}
