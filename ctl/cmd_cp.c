/*
 * berth cp and berth export: files between a container and the host. The
 * daemons only ever see a tar on an fd: imaged's worker reads or writes it
 * chrooted in the container's root; here it is made from, or unpacked to,
 * what the user named, as the user, with libarchive's secure flags.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/bc_copy.h"
#include "lib/build.h"
#include "common/cleanup.h"
#include "common/paths.h"
#include "common/xalloc.h"
#include "ctl.h"
#include "proto/proto.h"
#include "proto/tags.h"

const char cmd_cp_usage[] =
    "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
    "       berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n"
    "\n"
    "Copy files and directories between a container and the host. Paths inside the\n"
    "container are resolved inside its root filesystem only (a symlink there never\n"
    "leads to a host file). '-' is a tar stream on standard input or output.\n"
    "Files copied into a container belong to its root user.\n";

const char cmd_export_usage[] = "export [-o FILE] CONTAINER\n"
				"\n"
				"Write a container's whole filesystem as a tar archive.\n"
				"\n"
				"Options:\n"
				"  -o, --output FILE   write to FILE instead of standard output\n";

/* The container's id, its root held while it does not run; EXIT_OK or what was said. */
static int container_id(struct ctl *ctl, const char *ref, char id[65], struct bc_root_hold *h)
{
	struct err err = ERR_INIT;

	if (bc_container_root(&ctl->paths, ref, id, h, NULL, &err) < 0)
		return ctl_fail_err(&err, EXIT_FAIL);
	return EXIT_OK;
}

static int copy_job(struct ctl *ctl, const struct bc_root_hold *h, const char *path, bool put,
		    int fd, bc_consume_fn consume, int our_end, void *arg)
{
	struct err err = ERR_INIT;

	/* cp goes through the container's volumes and binds */
	if (bc_copy_job(&ctl->paths, h, path, put, true, fd, consume, our_end, arg, &err) < 0)
		return ctl_fail_err(&err, EXIT_FAIL);
	return EXIT_OK;
}

struct unpack_to {
	const char *dest;
	bool contents; /* SRC ended in "/.": its contents into DEST */
};

/* Unpack the worker's tar at dest, as Docker's cp does. */
static int unpack(int in, void *arg, struct err *err)
{
	const struct unpack_to *u = arg;
	cleanup_free char *dir = NULL, *rename_to = NULL;
	struct archive *a = archive_read_new(), *disk = archive_write_disk_new();
	struct archive_entry *e;
	struct stat st;
	bool first = true, dot_top = false;
	int r = 0, ar;

	if (stat(u->dest, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir = xstrdup(u->dest);
	} else {
		cleanup_free char *d1 = xstrdup(u->dest), *d2 = xstrdup(u->dest);

		dir = xstrdup(dirname(d1));
		rename_to = xstrdup(basename(d2));
	}
	if (chdir(dir) < 0) {
		r = err_sys(err, "%s", dir);
		goto out;
	}
	archive_read_support_format_tar(a);
	archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						 ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						 ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
						 ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME);
	if (archive_read_open_fd(a, in, 65536) != ARCHIVE_OK) {
		r = err_set(err, EIO, "the archive: %s", archive_error_string(a));
		goto out;
	}
	while (r == 0 && (ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e), *child;
		cleanup_free char *n = NULL;

		if (first) {
			dot_top = !strcmp(name, ".") || !strcmp(name, "./");
			first = false;
		}
		child = tar_child(name, dot_top);
		if (rename_to)
			n = *child ? xasprintf("%s/%s", rename_to, child) : xstrdup(rename_to);
		else if (u->contents || dot_top)
			n = xstrdup(*child ? child : ".");
		if (n)
			archive_entry_copy_pathname(e, n);
		if (archive_write_header(disk, e) != ARCHIVE_OK) {
			r = err_set(err, EIO, "%s: %s", archive_entry_pathname(e),
				    archive_error_string(disk));
			break;
		}
		{
			const void *buf;
			size_t len;
			la_int64_t off;

			while ((ar = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
				archive_write_data_block(disk, buf, len, off);
		}
		archive_write_finish_entry(disk);
	}
out:
	archive_write_close(disk);
	archive_write_free(disk);
	/* what the worker still sends goes nowhere */
	{
		char buf[4096];

		while (read(in, buf, sizeof(buf)) > 0)
			;
	}
	archive_read_free(a);
	return r;
}

static int from_container(struct ctl *ctl, const char *ref, const char *src, const char *dest)
{
	cleanup_hold struct bc_root_hold hold = {0};
	char id[65];
	int p[2], rc;
	struct unpack_to u = {dest, false};
	size_t n = strlen(src);

	if ((rc = container_id(ctl, ref, id, &hold)))
		return rc;
	if (!strcmp(dest, "-")) {
		struct err err = ERR_INIT;

		if (bc_copy_out(&ctl->paths, &hold, src, true, 1, &err) < 0)
			return ctl_fail_err(&err, EXIT_FAIL);
		return EXIT_OK;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return ctl_fail(EXIT_FAIL, "pipe: %s", strerror(errno));
	u.contents = n >= 2 && !strcmp(src + n - 2, "/.");
	return copy_job(ctl, &hold, src, false, p[1], unpack, p[0], &u);
}

static int to_container(struct ctl *ctl, const char *src, const char *ref, const char *dest)
{
	struct err err = ERR_INIT;
	struct layer_w w;
	struct build_ctx bc = {0};
	struct copy_opts o = {.uid = -1, .gid = -1, .mode = -1};
	cleanup_hold struct bc_root_hold hold = {0};
	char id[65], key[DIGEST_STR_LEN + 1];
	cleanup_free char *s1 = xstrdup(src), *s2 = xstrdup(src), *top = NULL;
	int rc, fd = -1;

	if ((rc = container_id(ctl, ref, id, &hold)))
		return rc;
	if (!strcmp(src, "-"))
		return copy_job(ctl, &hold, dest, true, dup(0), NULL, -1, NULL);
	{
		struct stat st;

		if (lstat(src, &st) < 0)
			return ctl_fail(EXIT_FAIL, "%s: %s", src, strerror(errno));
	}
	bc.dir = realpath(dirname(s1), NULL);
	if (!bc.dir)
		return ctl_fail(EXIT_FAIL, "%s: %s", src, strerror(errno));
	top = xasprintf("./%s", basename(s2));
	if (lw_open(&w, &err) < 0 ||
	    lw_add_context(&w, &bc, (const char *[]){basename(s2)}, 1, top, &o, "cp") < 0 ||
	    lw_finish(&w, key, &fd) < 0) {
		lw_free(&w);
		free(bc.dir);
		rc = ctl_fail(EXIT_FAIL, "%s", err_msg(&err));
		err_clear(&err);
		return rc;
	}
	lw_free(&w);
	free(bc.dir);
	return copy_job(ctl, &hold, dest, true, fd, NULL, -1, NULL);
}

/* "name:/path" names a container path; "./a:b" and "/x:y" are host paths. */
static char *container_part(const char *arg, const char **path)
{
	const char *colon = strchr(arg, ':');

	if (!colon || colon == arg || arg[0] == '/' || arg[0] == '.' ||
	    memchr(arg, '/', (size_t)(colon - arg)))
		return NULL;
	*path = colon + 1;
	return xstrndup(arg, (size_t)(colon - arg));
}

int cmd_cp(struct ctl *ctl, int argc, char **argv)
{
	cleanup_free char *csrc = NULL, *cdst = NULL, *abs = NULL;
	const char *spath = NULL, *dpath = NULL;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		ctl_usage(stdout, cmd_cp_usage);
		return EXIT_OK;
	}
	if (argc != 3)
		return ctl_fail(EXIT_DAEMON, "cp needs a source and a destination");
	csrc = container_part(argv[1], &spath);
	cdst = container_part(argv[2], &dpath);
	if (!!csrc == !!cdst)
		return ctl_fail(EXIT_DAEMON, "cp: exactly one of the paths must be CONTAINER:PATH");
	if (csrc) {
		abs = spath[0] == '/' ? xstrdup(spath) : xasprintf("/%s", spath);
		return from_container(ctl, csrc, abs, argv[2]);
	}
	abs = dpath[0] == '/' ? xstrdup(dpath) : xasprintf("/%s", dpath);
	return to_container(ctl, argv[1], cdst, abs);
}

int cmd_export(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	cleanup_hold struct bc_root_hold hold = {0};
	struct err err = ERR_INIT;
	const char *output = NULL;
	char id[65];
	int c, rc, out;

	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		if (c == 'o')
			output = optarg;
		else if (c == 'h') {
			ctl_usage(stdout, cmd_export_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (argc - optind != 1)
		return ctl_fail(EXIT_DAEMON, "export needs one container");
	if (!output && isatty(1))
		return ctl_fail(EXIT_FAIL,
				"refusing to write an archive to a terminal: use -o FILE "
				"or redirect");
	if ((rc = container_id(ctl, argv[optind], id, &hold)))
		return rc;
	out = output ? open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : 1;
	if (out < 0)
		return ctl_fail(EXIT_FAIL, "%s: %s", output, strerror(errno));
	/* the container's own filesystem: no volume, no bind */
	rc = bc_copy_out(&ctl->paths, &hold, "/", false, out, &err) < 0
		 ? ctl_fail_err(&err, EXIT_FAIL)
		 : EXIT_OK;
	if (output)
		close(out);
	return rc;
}
