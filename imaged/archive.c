/*
 * A path out of an image, as a tar stream (COPY --from in berth build): the
 * image's layers are mounted read-only (overlayfs, lower directories only)
 * in a private mount namespace of this worker, which chroots into them
 * before it resolves the path, so a symlink in the image can only ever lead
 * to another file of the image.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "commit.h"
#include "difftar.h"
#include "imaged.h"
#include "job.h"

/* The image's root: one layer is its snapshot itself, more are an overlay at mnt. */
static char *image_root(const struct store *s, const struct image *img, const char *mnt,
			struct err *err)
{
	size_t cap = 64;
	char *opts;

	if (img->nlayers == 0) {
		err_set(err, ENOENT, "the image has no files");
		return NULL;
	}
	if (img->nlayers == 1) {
		cleanup_free char *d = snapshot_dir(s, img->chain_ids[0]);

		return xasprintf("%s/fs", d);
	}
	for (size_t i = 0; i < img->nlayers; i++)
		cap += strlen(s->dir) + 96;
	opts = xzalloc(cap);
	strcpy(opts, "lowerdir=");
	for (size_t i = img->nlayers; i-- > 0;) {
		cleanup_free char *d = snapshot_dir(s, img->chain_ids[i]);

		strcat(opts, d);
		strcat(opts, i ? "/fs:" : "/fs");
	}
	if (strlen(opts) >= 4000) {
		free(opts);
		err_set(err, E2BIG, "the image has too many layers to mount at once");
		return NULL;
	}
	if (mount("overlay", mnt, "overlay", MS_RDONLY, opts) < 0) {
		err_sys(err, "mount the image's layers");
		free(opts);
		return NULL;
	}
	free(opts);
	return xstrdup(mnt);
}

void archive_run(const struct store *s, int fd, int out, const char *args_text)
{
	struct err err = ERR_INIT;
	cleanup_cjson cJSON *args = cJSON_Parse(args_text);
	const char *manifest = cJSON_GetStringValue(cJSON_GetObjectItem(args, "image"));
	const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(args, "path"));
	cleanup_free char *mnt = NULL, *root = NULL, *tmpdir = NULL, *name = NULL;
	cleanup_close int tmpfd = -1;
	struct image img;
	bool mounted;
	int r;

	if (!manifest || !path || path[0] != '/') {
		err_set(&err, EINVAL, "malformed archive arguments");
		job_fail(out, &err);
	}
	if (image_open(s, manifest, &img, &err) < 0 || snapshots_ensure(s, &img, -1, &err) < 0)
		job_fail(out, &err);
	tmpdir = xasprintf("%s/tmp", s->dir);
	name = xasprintf("archive-%d", (int)getpid());
	mnt = xasprintf("%s/%s", tmpdir, name);
	tmpfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0) {
		err_sys(&err, "open %s", tmpdir);
		job_fail(out, &err);
	}
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		err_sys(&err, "a private mount namespace");
		job_fail(out, &err);
	}
	if (mkdir(mnt, 0700) < 0 && errno != EEXIST) {
		err_sys(&err, "create %s", mnt);
		job_fail(out, &err);
	}
	root = image_root(s, &img, mnt, &err);
	mounted = root && !strcmp(root, mnt) && img.nlayers > 1;
	if (!mounted)
		unlinkat(tmpfd, name, AT_REMOVEDIR);
	if (!root || chdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		if (root)
			err_sys(&err, "enter the image's root");
		if (mounted && umount2(mnt, MNT_DETACH) == 0)
			unlinkat(tmpfd, name, AT_REMOVEDIR);
		job_fail(out, &err);
	}
	image_free(&img);
	r = tar_send_path(path, fd, &err);
	close(fd);
	/* our root is the mount: detach it, then its directory can go */
	if (mounted && umount2("/", MNT_DETACH) == 0)
		unlinkat(tmpfd, name, AT_REMOVEDIR);
	if (r < 0)
		job_fail(out, &err);
	job_done(out, "{}");
}
