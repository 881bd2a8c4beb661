/* Where state lives: $ROOT, $RUN and the daemons' sockets. */
#ifndef BERTH_PATHS_H
#define BERTH_PATHS_H

#include <stdbool.h>

/* BERTH_DEFAULT_ROOT and BERTH_DEFAULT_RUN come from configure (--with-state-dir, --with-run-dir)
 */
#define BERTH_DEFAULT_GROUP "berth"

/* The three daemons, in start order (containerd needs the other two). */
enum berth_daemon {
	DAEMON_IMAGED = 0,
	DAEMON_NETD,
	DAEMON_CONTAINERD,
	DAEMON_COUNT,
};

struct daemon_desc {
	const char *name;   /* "containerd" */
	const char *binary; /* "berth-containerd" */
	const char *subdir; /* its own directory under $ROOT */
};

extern const struct daemon_desc berth_daemons[DAEMON_COUNT];

struct berth_paths {
	char *root;
	char *run;
};

/* Resolve from an explicit value, else the environment, else the default. */
void paths_init(struct berth_paths *p, const char *root, const char *run);
void paths_free(struct berth_paths *p);
/* "$RUN/<name>.sock" (heap). */
char *paths_socket(const struct berth_paths *p, enum berth_daemon d);
/* "$RUN/<binary>.pid" (heap). */
char *paths_pidfile(const struct berth_paths *p, enum berth_daemon d);

/*
 * One of berth's own programs (berth-shim, berth-imaged-worker ...):
 * $BERTH_DAEMON_DIR, beside this binary, or installed_dir (heap).
 */
char *paths_program(const char *name, const char *installed_dir);

/* Below an archive's top entry: "top/rest" or "./top/rest" -> "rest" ("./rest" under a "." top). */
const char *tar_child(const char *name, bool dot_top);

#endif
