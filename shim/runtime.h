/* The runtime core: turning a parsed spec into an isolated process (used by berth-runtime and the
 * shim). */
#ifndef BERTH_RUNTIME_H
#define BERTH_RUNTIME_H

#include <stdbool.h>
#include <sys/types.h>

#include <seccomp.h>

#include "cgroup.h"
#include "spec.h"

/* ---- pieces run inside the new container process (child side) ---- */

/*
 * The root in two steps, with the hooks of the create operation between them:
 * prepare mounts the rootfs, the spec's mounts and /dev; enter pivots into it
 * (chroot without a mount namespace), sets the hostname and sysctls and masks
 * and write-protects paths.
 */
int rootfs_prepare(const struct spec *s, struct cgroup *cg, bool in_userns, int console_fd,
		   struct err *err);
int rootfs_enter(const struct spec *s, struct err *err);
int sysctl_apply(const struct spec *s, struct err *err);
/* Bounding set, user ids, then the other capability sets. */
int caps_drop_bounding(const struct spec_process *p, struct err *err);
/* The sets of p, with `extra` also permitted and effective (CAP_SYS_ADMIN to load seccomp). */
int caps_apply(const struct spec_process *p, uint64_t extra, struct err *err);
/* Load the filter seccomp_prepare() compiled (or compile linux.seccomp and load it). */
int seccomp_apply(const struct spec *s, struct err *err);
/*
 * In the parent, before clone: check linux.seccomp and compile it to BPF
 * once. With the annotation org.berth.seccomp-cache naming a root-owned
 * directory, the program is kept there by a digest of the profile, so the
 * next container with the same profile only reads it (compiling Docker's
 * default profile costs more than the rest of a container start).
 */
int seccomp_prepare(struct spec *s, struct err *err);
/* Build a libseccomp context from linux.seccomp (only checks it when out is NULL). */
int seccomp_build(const cJSON *seccomp, scmp_filter_ctx *out, struct err *err);
/* Check a seccomp section without loading it (create-time errors). */
int seccomp_check(const cJSON *seccomp, struct err *err);
int rlimits_apply(const struct spec_process *p, struct err *err);
int user_apply(const struct spec_process *p, struct err *err);
/* chdir, and check the result is inside the root (CVE-2024-21626). */
int cwd_apply(const char *cwd, struct err *err);
/* Mark every fd from `first` on close-on-exec (close_range). */
int fds_cloexec_from(unsigned first, struct err *err);
/* Find argv[0] in the process's PATH; returns the path to exec. */
char *exec_path(const struct spec_process *p);
/* Check the command exists and can run (ERR_NOCMD, ERR_CANTRUN), before start. */
int exec_check(const struct spec_process *p, struct err *err);
/*
 * Everything between the runtime's setup and execve: ids, cwd, fds from
 * first_fd on made close-on-exec, capabilities, no_new_privs and, last, the
 * seccomp filter. *path is what to exec. Errors from exec_check keep its codes.
 */
int process_finalize(const struct spec *s, const struct spec_process *p, unsigned first_fd,
		     char **path, struct err *err);

/* ---- the parent side ---- */

enum container_status { ST_CREATING, ST_CREATED, ST_RUNNING, ST_STOPPED };
const char *status_name(enum container_status s);

struct container_opts {
	const char *state_root; /* --root of berth-runtime */
	const char *id;
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
	bool detach; /* create: the caller, not we, is the parent from now on */
	bool no_pivot;
	bool has_stdio; /* stdio[] holds the init's stdin, stdout, stderr */
	int stdio[3];
	int *master_out; /* with a terminal and no console socket: receives the pty master */
};

/* The persistent record in <root>/<id>/state.json. */
struct container_state {
	char *id;
	char *bundle;
	char *rootfs;
	char *cgroup_path;
	pid_t pid;
	unsigned long long start_time; /* /proc/<pid>/stat field 22, against pid reuse */
	char *created;		       /* RFC 3339 */
	char *annotations;	       /* JSON text of the annotations object, or NULL */
};

/* Exit record in <root>/<id>/exit: written once, atomically. */
struct exit_status {
	int code; /* exit code, or 128 + signal */
	int signal;
	bool oom_killed;
};

int container_create(const struct container_opts *o, pid_t *pid_out, struct err *err);
/* create + start + wait in the foreground; the state is removed afterwards unless keep. */
int container_run(const struct container_opts *o, struct exit_status *es, bool keep,
		  struct err *err);
int container_start(const char *root, const char *id, struct err *err);
int container_kill(const char *root, const char *id, int sig, bool all, struct err *err);
int container_delete(const char *root, const char *id, bool force, struct err *err);
/* Wait for the init (we must be its parent), record the exit file, return the status. */
int container_wait(const char *root, const char *id, pid_t pid, struct exit_status *st,
		   struct err *err);
/* runtime-spec state JSON (heap string). */
int container_state_json(const char *root, const char *id, char **out, struct err *err);
/*
 * Run p in the container; detach: return once it runs, else wait for it.
 * Once it runs, its pid goes to pid_file and as "P<pid>" to ready_fd (each
 * unless NULL or -1).
 */
int container_exec(const char *root, const char *id, struct spec_process *p, bool detach,
		   const char *pid_file, int ready_fd, int *exit_code, struct err *err);

/* Open the cgroup a container was created in (from its state). */
int container_cgroup(const char *root, const char *id, struct cgroup *cg, struct err *err);

/* State files. */
char *state_dir(const char *root, const char *id);
int state_write(const char *root, const struct container_state *st, struct err *err);
int state_read(const char *root, const char *id, struct container_state *st, struct err *err);
void state_free(struct container_state *st);
enum container_status state_status(const char *root, const struct container_state *st);
unsigned long long proc_start_time(pid_t pid);
int exit_write(const char *root, const char *id, const struct exit_status *es, struct err *err);
int exit_read(const char *root, const char *id, struct exit_status *es);

/* CVE-2019-5736: re-exec from a sealed memfd copy unless already done. */
int sealed_reexec(char **argv, struct err *err);

#endif
