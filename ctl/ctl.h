/* The berth command-line client. */
#ifndef BERTH_CTL_H
#define BERTH_CTL_H

#include <stdbool.h>

#include "common/paths.h"
#include "proto/client.h"

/* Exit codes, as Docker's CLI uses them. */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_DAEMON 125 /* the daemon could not be reached, or bad usage */

struct ctl {
	struct berth_paths paths;
	const char *log_level; /* passed to daemons we start */
	const char *group;
};

struct ctl_cmd {
	const char *name;
	int (*fn)(struct ctl *ctl, int argc, char **argv);
	const char *summary;
	const char *usage; /* full help text after "Usage: berth " */
};

/* Command groups; each file lists its commands. */
int cmd_version(struct ctl *ctl, int argc, char **argv);
int cmd_info(struct ctl *ctl, int argc, char **argv);
int cmd_system(struct ctl *ctl, int argc, char **argv);
extern const char cmd_version_usage[], cmd_info_usage[], cmd_system_usage[];
int cmd_load(struct ctl *ctl, int argc, char **argv);
int cmd_images(struct ctl *ctl, int argc, char **argv);
int cmd_tag(struct ctl *ctl, int argc, char **argv);
int cmd_rmi(struct ctl *ctl, int argc, char **argv);
int cmd_history(struct ctl *ctl, int argc, char **argv);
int cmd_image(struct ctl *ctl, int argc, char **argv);
int cmd_save(struct ctl *ctl, int argc, char **argv);
int cmd_import(struct ctl *ctl, int argc, char **argv);
extern const char cmd_save_usage[], cmd_import_usage[];
extern const char cmd_load_usage[], cmd_images_usage[], cmd_tag_usage[], cmd_rmi_usage[],
    cmd_history_usage[], cmd_image_usage[];

/*
 * Connect to a daemon. On failure prints one clear line (which socket, and
 * the fix) and returns the exit code to use (125).
 */
int ctl_connect(struct ctl *ctl, enum berth_daemon d, struct client *c);
/* Like ctl_connect, but quiet: 0 or a negative code with err. */
int ctl_try_connect(struct ctl *ctl, enum berth_daemon d, struct client *c, struct err *err);
/* Print "berth: <msg>" to stderr and return code. */
int ctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Standard handling of an option parse: prints usage on --help (returns 0) or error (125). */
void ctl_usage(FILE *out, const char *usage);

#endif
