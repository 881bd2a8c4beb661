/*
 * berth-imaged-worker: what berth-imaged runs for the work that touches
 * untrusted archives or the network (load, save, import, unpack). It is the
 * only program that links libarchive and libcurl, so the daemon itself maps
 * neither. It inherits the daemon's seccomp filter and no_new_privs; the
 * input is fd 3, the messages go to fd 4. Only unpack has CAP_SYS_CHROOT
 * and CAP_SYS_ADMIN effective (execve as root makes the daemon's permitted
 * set effective): the others make them permitted-only again at once.
 *
 *   berth-imaged-worker load|save|import STORE_DIR ARGS_JSON
 *   berth-imaged-worker pull|login STORE_DIR {}   (arguments on fd 3: they may hold credentials)
 *   berth-imaged-worker commit|archive|copy STORE_DIR ARGS_JSON (CAP_SYS_ADMIN and
 *     CAP_SYS_CHROOT kept: trusted.* xattrs, archive's private overlay mount, the chroot
 *     of archive and copy)
 *   berth-imaged-worker unpack DIR DIFF_ID|-
 */
#include "config.h"

#include <cap-ng.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commit.h"
#include "imaged.h"
#include "import.h"
#include "job.h"
#include "pull.h"
#include "save.h"
#include "unpack.h"

/* As in the daemon: permitted only (a load runs the unpack worker, which needs them). */
static void drop_unpack_caps(void)
{
	capng_get_caps_process();
	capng_update(CAPNG_DROP, CAPNG_EFFECTIVE, CAP_SYS_CHROOT);
	capng_update(CAPNG_DROP, CAPNG_EFFECTIVE, CAP_SYS_ADMIN);
	capng_apply(CAPNG_SELECT_CAPS);
}

int main(int argc, char **argv)
{
	struct store s = {0};
	struct err err = ERR_INIT;

	if (argc != 4) {
		fprintf(stderr, "berth-imaged-worker: run by berth-imaged only\n");
		return 2;
	}
	if (!strcmp(argv[1], "unpack"))
		return unpack_child_run(3, argv[2], strcmp(argv[3], "-") ? argv[3] : NULL, 4);
	s.dir = argv[2];
	/* commit reads trusted.overlay.* xattrs; archive mounts and chroots */
	if (!strcmp(argv[1], "commit"))
		commit_run(&s, 3, 4, argv[3]);
	if (!strcmp(argv[1], "archive"))
		archive_run(&s, 3, 4, argv[3]);
	if (!strcmp(argv[1], "copy"))
		ctrcopy_run(&s, 3, 4, argv[3]);
	drop_unpack_caps();
	if (!strcmp(argv[1], "diff"))
		diff_run(&s, 3, 4, argv[3]);
	if (!strcmp(argv[1], "load")) {
		load_run(&s, 3, 4, NULL);
	} else if (!strcmp(argv[1], "save")) {
		struct save_args sa;

		if (save_args_parse(argv[3], &sa) < 0) {
			err_set(&err, EINVAL, "malformed save arguments");
			job_fail(4, &err);
		}
		save_run(&s, 3, 4, &sa);
	} else if (!strcmp(argv[1], "pull")) {
		pull_run(&s, 3, 4, NULL);
	} else if (!strcmp(argv[1], "login")) {
		login_run(&s, 3, 4, NULL);
	} else if (!strcmp(argv[1], "push")) {
		push_run(&s, 3, 4, NULL);
	} else if (!strcmp(argv[1], "import")) {
		struct import_args ia;

		if (import_args_parse(argv[3], &ia) < 0) {
			err_set(&err, EINVAL, "malformed import arguments");
			job_fail(4, &err);
		}
		import_run(&s, ia.url[0] ? -1 : 3, 4, &ia);
	} else {
		err_set(&err, EINVAL, "unknown job '%s'", argv[1]);
		job_fail(4, &err);
	}
	return 0;
}
