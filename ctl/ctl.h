/* The berth command-line client. */
#ifndef BERTH_CTL_H
#define BERTH_CTL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

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
int cmd_pull(struct ctl *ctl, int argc, char **argv);
int cmd_login(struct ctl *ctl, int argc, char **argv);
int cmd_logout(struct ctl *ctl, int argc, char **argv);
int cmd_push(struct ctl *ctl, int argc, char **argv);
extern const char cmd_pull_usage[], cmd_login_usage[], cmd_logout_usage[], cmd_push_usage[];
/* An imaged job without data (login): its progress printed, its error the exit code. */
int ctl_imaged_job(struct ctl *ctl, uint16_t type, struct pbuf *pb);
/* The same, quiet or not, with the job's result document. */
int ctl_imaged_job_result(struct ctl *ctl, uint16_t type, struct pbuf *pb, bool quiet,
			  cJSON **result);
/*
 * Progress of an imaged job as berth shows it: lines a filter keeps, and on a
 * terminal each layer's line rewritten in place. ctl_progress_line is a
 * bc_line_fn with a struct ctl_progress as its argument.
 */
struct ctl_progress {
	bool tty, quiet;
	FILE *out;
	bool (*show)(const char *line, bool quiet);
	char ids[64][13];
	size_t n;
};
void ctl_progress_init(struct ctl_progress *p, FILE *out, bool quiet,
		       bool (*show)(const char *line, bool quiet));
void ctl_progress_line(const char *line, void *arg);
/* pull's filter: byte counts only on a terminal. */
bool ctl_show_pull(const char *line, bool quiet);
extern const char cmd_save_usage[], cmd_import_usage[];
extern const char cmd_load_usage[], cmd_images_usage[], cmd_tag_usage[], cmd_rmi_usage[],
    cmd_history_usage[], cmd_image_usage[];

struct err;
/*
 * A libberthclient error printed: exit 125 when a daemon could not be
 * reached or the arguments were refused, else code. Clears err.
 */
int ctl_fail_err(struct err *err, int code);
/* The exit code for a failure with err_code: 125 when the daemon was not reached or refused. */
int ctl_exit_for(int err_code, int code);
struct session;
/* session_run with its detach notice and error printed: 0, or -1. */
int ctl_session(const struct session *s, int *exit_code);

/* Containers (cmd_container.c, cmd_ps.c). */
int cmd_create(struct ctl *ctl, int argc, char **argv);
int cmd_run(struct ctl *ctl, int argc, char **argv);
int cmd_start(struct ctl *ctl, int argc, char **argv);
int cmd_stop(struct ctl *ctl, int argc, char **argv);
int cmd_restart(struct ctl *ctl, int argc, char **argv);
int cmd_kill(struct ctl *ctl, int argc, char **argv);
int cmd_rm(struct ctl *ctl, int argc, char **argv);
int cmd_wait(struct ctl *ctl, int argc, char **argv);
int cmd_rename(struct ctl *ctl, int argc, char **argv);
int cmd_attach(struct ctl *ctl, int argc, char **argv);
int cmd_exec(struct ctl *ctl, int argc, char **argv);
int cmd_ps(struct ctl *ctl, int argc, char **argv);
int cmd_inspect(struct ctl *ctl, int argc, char **argv);
int cmd_logs(struct ctl *ctl, int argc, char **argv);
int cmd_top(struct ctl *ctl, int argc, char **argv);
int cmd_stats(struct ctl *ctl, int argc, char **argv);
int cmd_container(struct ctl *ctl, int argc, char **argv);
int cmd_pause(struct ctl *ctl, int argc, char **argv);
int cmd_update(struct ctl *ctl, int argc, char **argv);
int cmd_unpause(struct ctl *ctl, int argc, char **argv);
int cmd_volume(struct ctl *ctl, int argc, char **argv);
int cmd_events(struct ctl *ctl, int argc, char **argv);
int cmd_network(struct ctl *ctl, int argc, char **argv);
int cmd_port(struct ctl *ctl, int argc, char **argv);
extern const char cmd_create_usage[], cmd_run_usage[], cmd_start_usage[], cmd_stop_usage[],
    cmd_restart_usage[], cmd_kill_usage[], cmd_rm_usage[], cmd_wait_usage[], cmd_rename_usage[],
    cmd_attach_usage[], cmd_exec_usage[], cmd_ps_usage[], cmd_inspect_usage[], cmd_logs_usage[],
    cmd_top_usage[], cmd_stats_usage[], cmd_container_usage[], cmd_pause_usage[],
    cmd_unpause_usage[], cmd_volume_usage[], cmd_events_usage[], cmd_network_usage[],
    cmd_port_usage[], cmd_update_usage[];

/*
 * Call containerd: the reply's JSON in *out (when out), its fds in fds/nfds.
 * On error prints the message and returns the exit code: fail_code, or
 * (when 0) 125, 126 or 127 as Docker's CLI gives for a failed start.
 */
int ctl_container_call(struct ctl *ctl, uint16_t type, struct pbuf *pb, cJSON **out, int *fds,
		       unsigned *nfds, int fail_code);
/* One request naming ref (TAG_REF); *out the reply. The error printed, its exit code. */
int ctl_ref_call(struct ctl *ctl, enum berth_daemon d, uint16_t type, const char *ref, cJSON **out);
/* One request for each argument after argv[0]: each name that worked printed; the last
 * failure's exit code. */
int ctl_each_ref(struct ctl *ctl, enum berth_daemon d, uint16_t type, int argc, char **argv,
		 const char *what);
/* What inspect looks references up as: "container" from containerd's CONTAINER_INSPECT... */
struct inspect_kind {
	const char *name;
	enum berth_daemon d;
	uint16_t type;
};
/*
 * inspect: each reference's JSON in one array, or -f/--format TEMPLATE rendered per object;
 * with several kinds, the first that knows the reference (--type picks one).
 */
int ctl_inspect(struct ctl *ctl, const struct inspect_kind *kinds, size_t nkinds, int argc,
		char **argv, const char *usage);
/* Like ctl_daemon_call, but a daemon's error is not printed: it comes back in err (and the
 * return value is its negative code); a daemon that cannot be reached is still told. */
int ctl_daemon_try(struct ctl *ctl, enum berth_daemon d, uint16_t type, struct pbuf *pb,
		   cJSON **out, int *fds, unsigned *nfds, struct err *err);
/* The same for any daemon. */
int ctl_daemon_call(struct ctl *ctl, enum berth_daemon d, uint16_t type, struct pbuf *pb,
		    cJSON **out, int *fds, unsigned *nfds, int fail_code);

/* Call imaged; the reply's JSON in *out. Prints the error and returns the exit code. */
int ctl_imaged_call(struct ctl *ctl, uint16_t type, struct pbuf *pb, cJSON **out);
/* The container's record as containerd has it (*out: an object with its Id). */
int ctl_container_inspect(struct ctl *ctl, const char *ref, cJSON **out);
int cmd_build(struct ctl *ctl, int argc, char **argv);
int cmd_commit(struct ctl *ctl, int argc, char **argv);
int cmd_diff(struct ctl *ctl, int argc, char **argv);
int cmd_cp(struct ctl *ctl, int argc, char **argv);
int cmd_export(struct ctl *ctl, int argc, char **argv);
extern const char cmd_build_usage[], cmd_commit_usage[], cmd_diff_usage[], cmd_cp_usage[],
    cmd_export_usage[];
/* The prunes `berth system prune` runs one after the other. */
int ctl_container_prune(struct ctl *ctl, int argc, char **argv);
int ctl_network_prune(struct ctl *ctl);
int ctl_image_prune(struct ctl *ctl, int argc, char **argv);
int ctl_volume_prune(struct ctl *ctl, int argc, char **argv);
/* berth system df (cmd_ps.c). */
int system_df(struct ctl *ctl, int argc, char **argv);

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
