/* Container commands that act: create, run, start, stop, restart, kill, rm, wait, rename, attach,
 * exec. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/signame.h"
#include "common/xalloc.h"
#include "ctl.h"
#include "lib/bclient.h"
#include "format.h"
#include "proto/tags.h"
#include "run_opts.h"
#include "lib/bc_session.h"

const char cmd_create_usage[] = "create [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
				"\n"
				"Create a container without starting it; prints its id.\n"
				"\n"
				"Options:\n";
const char cmd_run_usage[] =
    "run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
    "\n"
    "Create and start a container. In the foreground, berth exits with the\n"
    "container's exit code (125: berth failed, 126: the command cannot be\n"
    "run, 127: the command was not found).\n"
    "\n"
    "Options:\n";
const char cmd_start_usage[] = "start [-a] [-i] CONTAINER...\n"
			       "\n"
			       "Start stopped containers.\n"
			       "  -a, --attach       attach to its output and exit with its code\n"
			       "  -i, --interactive  forward stdin\n";
const char cmd_stop_usage[] = "stop [-t SECONDS] CONTAINER...\n"
			      "\n"
			      "Send the stop signal, then KILL after the timeout (default 10s).\n";
const char cmd_restart_usage[] = "restart [-t SECONDS] CONTAINER...\n"
				 "\n"
				 "Stop, then start containers.\n";
const char cmd_kill_usage[] = "kill [-s SIGNAL] CONTAINER...\n"
			      "\n"
			      "Send a signal (default KILL) to the container's init.\n";
const char cmd_rm_usage[] = "rm [-f] [-v] CONTAINER...\n"
			    "\n"
			    "Remove containers.\n"
			    "  -f, --force    kill and remove a running container\n"
			    "  -v, --volumes  also remove anonymous volumes\n";
const char cmd_update_usage[] =
    "update [OPTIONS] CONTAINER...\n"
    "\n"
    "Change the resource limits or the restart policy of containers; a running one\n"
    "gets the new limits at once, every later start keeps them.\n"
    "  -m, --memory BYTES       memory limit (512m, 2g; 0 lifts it)\n"
    "      --memory-swap BYTES  memory plus swap (-1: unlimited swap)\n"
    "      --cpus N             CPU time, in CPUs (1.5; 0 lifts it)\n"
    "      --cpu-shares N       relative CPU weight (2 to 262144)\n"
    "      --cpuset-cpus LIST   CPUs it may run on (0-1, 0,2)\n"
    "      --pids-limit N       at most N processes (-1: unlimited)\n"
    "      --restart POLICY     no, always, unless-stopped, on-failure[:N]\n";
const char cmd_pause_usage[] = "pause CONTAINER...\n"
			       "\n"
			       "Freeze every process of containers (the cgroup freezer).\n";
const char cmd_unpause_usage[] = "unpause CONTAINER...\n"
				 "\n"
				 "Thaw paused containers.\n";
const char cmd_wait_usage[] = "wait CONTAINER...\n"
			      "\n"
			      "Wait until containers stop; print their exit codes.\n";
const char cmd_rename_usage[] = "rename CONTAINER NEW_NAME\n"
				"\n"
				"Rename a container.\n";
const char cmd_attach_usage[] = "attach [--no-stdin] [--detach-keys KEYS] CONTAINER\n"
				"\n"
				"Attach to a running container's output (and stdin).\n";
const char cmd_exec_usage[] = "exec [-i] [-t] [-d] [-e KEY=VALUE] [-u USER] [-w DIR] CONTAINER "
			      "COMMAND [ARG...]\n"
			      "\n"
			      "Run a command in a running container; exits with its code.\n"
			      "  -i, --interactive  forward stdin\n"
			      "  -t, --tty          give the command a terminal\n"
			      "  -d, --detach       run it in the background: back once it runs\n"
			      "  -e, --env          set an environment variable\n"
			      "  -u, --user         user[:group] to run as\n"
			      "  -w, --workdir      working directory\n";

/* containerd's error code as the exit code Docker's CLI would give. */
static int exit_for(int code)
{
	if (code == ERR_NOCMD)
		return 127;
	if (code == ERR_CANTRUN)
		return 126;
	return EXIT_DAEMON;
}

int ctl_container_call(struct ctl *ctl, uint16_t type, struct pbuf *pb, cJSON **out, int *fds,
		       unsigned *nfds, int fail_code)
{
	return ctl_daemon_call(ctl, DAEMON_CONTAINERD, type, pb, out, fds, nfds, fail_code);
}

int ctl_daemon_try(struct ctl *ctl, enum berth_daemon d, uint16_t type, struct pbuf *pb,
		   cJSON **out, int *fds, unsigned *nfds, struct err *err)
{
	return bc_call(&ctl->paths, d, type, pb, out, fds, nfds, err);
}

int ctl_daemon_call(struct ctl *ctl, enum berth_daemon d, uint16_t type, struct pbuf *pb,
		    cJSON **out, int *fds, unsigned *nfds, int fail_code)
{
	struct err err = ERR_INIT;
	int rc = ctl_daemon_try(ctl, d, type, pb, out, fds, nfds, &err);

	if (rc < 0) {
		rc = ctl_fail(ctl_exit_for(err.code, fail_code ? fail_code : exit_for(err.code)),
			      "%s", err_msg(&err));
		err_clear(&err);
	}
	return rc;
}

static int ref_call(struct ctl *ctl, uint16_t type, const char *ref, cJSON **out, int fail_code)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, ref);
	return ctl_container_call(ctl, type, &pb, out, NULL, NULL, fail_code);
}

static void pull_missing(const char *image, void *arg)
{
	(void)arg;
	fprintf(stderr, "Unable to find image '%s' locally\n", image);
}

static int create(struct ctl *ctl, struct run_opts *ro, char id[65])
{
	struct ctl_progress prog;
	struct bc_create cr = {.req = ro->req, .pull = ro->pull, .missing = pull_missing};
	struct err err = ERR_INIT;
	int rc;

	/* Docker refuses to reuse an id file: a container may still be running from it */
	if (ro->cidfile && access(ro->cidfile, F_OK) == 0)
		return ctl_fail(EXIT_DAEMON,
				"container ID file found, make sure the other container isn't "
				"running or delete %s",
				ro->cidfile);
	ctl_progress_init(&prog, stdout, false, ctl_show_pull);
	cr.on_line = ctl_progress_line;
	cr.arg = &prog;
	if (bc_create(&ctl->paths, &cr, id, &err) < 0) {
		rc = ctl_fail(exit_for(err.code), "%s", err_msg(&err));
		err_clear(&err);
		return rc;
	}
	if (ro->cidfile) {
		int fd = open(ro->cidfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		if (fd < 0 || write(fd, id, strlen(id)) != (ssize_t)strlen(id)) {
			err_sys(&err, "write the container id to %s", ro->cidfile);
			if (fd >= 0)
				close(fd);
			rc = ctl_fail(EXIT_DAEMON, "%s", err_msg(&err));
			err_clear(&err);
			return rc;
		}
		close(fd);
	}
	return 0;
}

int cmd_create(struct ctl *ctl, int argc, char **argv)
{
	cleanup_free char *usage = xasprintf("%s%s", cmd_create_usage, run_options_help);
	struct run_opts ro;
	char id[65];
	int rc = run_opts_parse(&ro, argc, argv, usage);

	if (rc) {
		run_opts_free(&ro);
		return rc == 1 ? EXIT_OK : rc;
	}
	rc = create(ctl, &ro, id);
	run_opts_free(&ro);
	if (rc)
		return rc;
	printf("%s\n", id);
	return EXIT_OK;
}

/* START; with attach, a session on the handed-over connection. */
static int start_one(struct ctl *ctl, const char *ref, bool attach, bool interactive, bool tty,
		     const char *detach_keys, int *exit_code)
{
	cleanup_cjson cJSON *out = NULL;
	struct err err = ERR_INIT;
	int fd, rc;

	if (bc_start(&ctl->paths, ref, attach, &out, &fd, &err) < 0) {
		rc = ctl_fail(exit_for(err.code), "%s", err_msg(&err));
		err_clear(&err);
		return rc;
	}
	if (!attach)
		return 0;
	{
		struct session s = {
		    .fd = fd,
		    .req_id = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(out, "AttachId")),
		    .tty = tty || cJSON_IsTrue(cJSON_GetObjectItem(out, "Tty")),
		    .stdin = interactive,
		    .detach_keys = detach_keys_parse(detach_keys ? detach_keys : "ctrl-p,ctrl-q"),
		};

		rc = ctl_session(&s, exit_code);
		close(fd);
	}
	return rc < 0 ? EXIT_DAEMON : 0;
}

static int wait_removed(struct ctl *ctl, const char *id)
{
	struct err err = ERR_INIT;
	int rc = 0;

	if (bc_wait_removed(&ctl->paths, id, &err) < 0) {
		rc = ctl_fail(EXIT_DAEMON, "%s", err_msg(&err));
		err_clear(&err);
	}
	return rc;
}

int cmd_run(struct ctl *ctl, int argc, char **argv)
{
	cleanup_free char *usage = xasprintf("%s%s", cmd_run_usage, run_options_help);
	struct run_opts ro;
	int code = 0;
	char id[65];
	int rc = run_opts_parse(&ro, argc, argv, usage);

	if (rc) {
		run_opts_free(&ro);
		return rc == 1 ? EXIT_OK : rc;
	}
	if (ro.tty && !ro.detach && ro.interactive && !isatty(STDIN_FILENO)) {
		run_opts_free(&ro);
		return ctl_fail(EXIT_DAEMON, "the input device is not a TTY: drop -t, or run berth "
					     "from a terminal");
	}
	rc = create(ctl, &ro, id);
	if (rc) {
		run_opts_free(&ro);
		return rc;
	}
	if (ro.detach) {
		rc = start_one(ctl, id, false, false, false, NULL, &code);
		if (!rc)
			printf("%s\n", id);
		run_opts_free(&ro);
		return rc;
	}
	rc = start_one(ctl, id, true, ro.interactive, ro.tty, ro.detach_keys, &code);
	if (!rc && ro.rm && code >= 0)
		wait_removed(ctl, id);
	run_opts_free(&ro);
	if (rc)
		return rc;
	return code < 0 ? EXIT_DAEMON : code;
}

int cmd_start(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"attach", no_argument, NULL, 'a'},
					     {"interactive", no_argument, NULL, 'i'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	bool attach = false, interactive = false;
	int c, rc = EXIT_OK, code = 0;

	while ((c = getopt_long(argc, argv, "+ai", opts, NULL)) != -1) {
		if (c == 'a')
			attach = true;
		else if (c == 'i')
			interactive = true;
		else if (c == 'H') {
			ctl_usage(stdout, cmd_start_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (optind >= argc)
		return ctl_fail(EXIT_DAEMON, "start needs at least one container");
	if ((attach || interactive) && argc - optind > 1)
		return ctl_fail(EXIT_DAEMON, "start -a/-i takes one container");
	for (int i = optind; i < argc; i++) {
		int r =
		    start_one(ctl, argv[i], attach || interactive, interactive, false, NULL, &code);

		if (r) {
			rc = r;
			continue;
		}
		if (attach || interactive)
			return code < 0 ? EXIT_DAEMON : code;
		printf("%s\n", argv[i]);
	}
	return rc;
}

static int timeout_opt(int argc, char **argv, const char *usage, long *timeout)
{
	static const struct option opts[] = {{"time", required_argument, NULL, 't'},
					     {"timeout", required_argument, NULL, 't'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	int c;

	*timeout = -1;
	while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1) {
		if (c == 't') {
			char *end;

			*timeout = strtol(optarg, &end, 10);
			if (end == optarg || *end || *timeout < 0)
				return ctl_fail(EXIT_DAEMON, "invalid --time '%s': seconds",
						optarg);
		} else if (c == 'H') {
			ctl_usage(stdout, usage);
			return -1;
		} else
			return EXIT_DAEMON;
	}
	if (optind >= argc)
		return ctl_fail(EXIT_DAEMON, "%s needs at least one container", argv[0]);
	return 0;
}

static int stop_one(struct ctl *ctl, const char *ref, long timeout)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, ref);
	if (timeout >= 0)
		pb_put_u32(&pb, TAG_TIMEOUT, (uint32_t)timeout);
	return ctl_container_call(ctl, MSG_CONTAINER_STOP, &pb, NULL, NULL, NULL, EXIT_FAIL);
}

int cmd_stop(struct ctl *ctl, int argc, char **argv)
{
	long timeout;
	int rc = timeout_opt(argc, argv, cmd_stop_usage, &timeout);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	for (int i = optind; i < argc; i++) {
		int r = stop_one(ctl, argv[i], timeout);

		if (r)
			rc = r;
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

int cmd_restart(struct ctl *ctl, int argc, char **argv)
{
	long timeout;
	int rc = timeout_opt(argc, argv, cmd_restart_usage, &timeout), code;

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	for (int i = optind; i < argc; i++) {
		int r = stop_one(ctl, argv[i], timeout);

		if (!r)
			r = start_one(ctl, argv[i], false, false, false, NULL, &code);
		if (r)
			rc = r;
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

/* What goes with each container's reference in per_container's requests. */
struct per_fields {
	const char *json; /* TAG_JSON, when set */
	bool flags;	  /* TAG_FORCE and TAG_ALL */
	uint32_t force, all;
	bool has_signal; /* TAG_SIGNAL */
	int signal;
};

/* One request per container named; prints each name that worked; the last failure's code. */
static int per_container(struct ctl *ctl, char **refs, int n, uint16_t type,
			 const struct per_fields *x)
{
	int rc = EXIT_OK;

	for (int i = 0; i < n; i++) {
		struct pbuf pb;
		int r;

		pb_init(&pb);
		pb_put_str(&pb, TAG_REF, refs[i]);
		if (x && x->json)
			pb_put_str(&pb, TAG_JSON, x->json);
		if (x && x->has_signal)
			pb_put_u32(&pb, TAG_SIGNAL, (uint32_t)x->signal);
		if (x && x->flags) {
			pb_put_u32(&pb, TAG_FORCE, x->force);
			pb_put_u32(&pb, TAG_ALL, x->all);
		}
		r = ctl_container_call(ctl, type, &pb, NULL, NULL, NULL, EXIT_FAIL);
		if (r)
			rc = r;
		else
			printf("%s\n", refs[i]);
	}
	return rc;
}

int cmd_kill(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"signal", required_argument, NULL, 's'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	int c, sig = SIGKILL;

	while ((c = getopt_long(argc, argv, "+s:", opts, NULL)) != -1) {
		if (c == 's') {
			sig = signal_parse(optarg);
			if (sig < 0)
				return ctl_fail(EXIT_DAEMON, "invalid signal '%s'", optarg);
		} else if (c == 'H') {
			ctl_usage(stdout, cmd_kill_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (optind >= argc)
		return ctl_fail(EXIT_DAEMON, "kill needs at least one container");
	return per_container(ctl, argv + optind, argc - optind, MSG_CONTAINER_KILL,
			     &(struct per_fields){.has_signal = true, .signal = sig});
}

int cmd_rm(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
					     {"volumes", no_argument, NULL, 'v'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	bool force = false, volumes = false;
	int c;

	while ((c = getopt_long(argc, argv, "+fv", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'v')
			volumes = true;
		else if (c == 'H') {
			ctl_usage(stdout, cmd_rm_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (optind >= argc)
		return ctl_fail(EXIT_DAEMON, "rm needs at least one container");
	return per_container(ctl, argv + optind, argc - optind, MSG_CONTAINER_REMOVE,
			     &(struct per_fields){.flags = true, .force = force, .all = volumes});
}

static bool help_asked(int argc, char **argv, const char *usage);

/* One request per container named; prints each name that worked. */
static int each(struct ctl *ctl, int argc, char **argv, uint16_t type, const char *usage)
{
	if (help_asked(argc, argv, usage))
		return EXIT_OK;
	if (argc < 2)
		return ctl_fail(EXIT_DAEMON, "%s needs at least one container", argv[0]);
	return per_container(ctl, argv + 1, argc - 1, type, NULL);
}

int cmd_update(struct ctl *ctl, int argc, char **argv)
{
	cleanup_cjson cJSON *changes = NULL;
	cleanup_free char *text = NULL;
	int rc = update_opts_parse(&changes, argc, argv, cmd_update_usage);

	if (rc)
		return rc == 1 ? EXIT_OK : rc;
	text = cJSON_PrintUnformatted(changes);
	return per_container(ctl, argv + optind, argc - optind, MSG_CONTAINER_UPDATE,
			     &(struct per_fields){.json = text});
}

int cmd_pause(struct ctl *ctl, int argc, char **argv)
{
	return each(ctl, argc, argv, MSG_CONTAINER_PAUSE, cmd_pause_usage);
}

int cmd_unpause(struct ctl *ctl, int argc, char **argv)
{
	return each(ctl, argc, argv, MSG_CONTAINER_UNPAUSE, cmd_unpause_usage);
}

static bool help_asked(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help")) {
			ctl_usage(stdout, usage);
			return true;
		}
	return false;
}

int cmd_wait(struct ctl *ctl, int argc, char **argv)
{
	int rc = EXIT_OK;

	if (help_asked(argc, argv, cmd_wait_usage))
		return EXIT_OK;
	if (argc < 2)
		return ctl_fail(EXIT_DAEMON, "wait needs at least one container");
	for (int i = 1; i < argc; i++) {
		cleanup_cjson cJSON *out = NULL;
		int r = ref_call(ctl, MSG_CONTAINER_WAIT, argv[i], &out, EXIT_FAIL);

		if (r) {
			rc = r;
			continue;
		}
		printf("%d\n", (int)cJSON_GetNumberValue(cJSON_GetObjectItem(out, "StatusCode")));
	}
	return rc;
}

int cmd_rename(struct ctl *ctl, int argc, char **argv)
{
	struct pbuf pb;

	if (help_asked(argc, argv, cmd_rename_usage))
		return EXIT_OK;
	if (argc != 3)
		return ctl_fail(EXIT_DAEMON, "rename needs a container and its new name");
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, argv[1]);
	pb_put_str(&pb, TAG_NAME, argv[2]);
	return ctl_container_call(ctl, MSG_CONTAINER_RENAME, &pb, NULL, NULL, NULL, EXIT_FAIL);
}

int cmd_attach(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"no-stdin", no_argument, NULL, 'n'},
					     {"detach-keys", required_argument, NULL, 'k'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	cleanup_cjson cJSON *out = NULL;
	const char *keys = "ctrl-p,ctrl-q";
	bool no_stdin = false;
	int fds[PROTO_MAX_FDS], c, rc, code = 0;
	unsigned nfds = 0;
	struct pbuf pb;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'n')
			no_stdin = true;
		else if (c == 'k') {
			if (!detach_keys_parse(optarg))
				return ctl_fail(EXIT_DAEMON, "invalid --detach-keys '%s'", optarg);
			keys = optarg;
		} else if (c == 'H') {
			ctl_usage(stdout, cmd_attach_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (argc - optind != 1)
		return ctl_fail(EXIT_DAEMON, "attach needs one container");
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, argv[optind]);
	rc = ctl_container_call(ctl, MSG_CONTAINER_ATTACH, &pb, &out, fds, &nfds, EXIT_FAIL);
	if (rc)
		return rc;
	if (nfds < 1)
		return ctl_fail(EXIT_DAEMON, "berth-containerd did not hand over the container");
	{
		struct session s = {
		    .fd = fds[0],
		    .req_id = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(out, "AttachId")),
		    .tty = cJSON_IsTrue(cJSON_GetObjectItem(out, "Tty")),
		    .stdin = !no_stdin && cJSON_IsTrue(cJSON_GetObjectItem(out, "OpenStdin")),
		    .detach_keys = detach_keys_parse(keys),
		};

		rc = ctl_session(&s, &code);
		close(fds[0]);
	}
	return rc < 0 ? EXIT_DAEMON : code < 0 ? 0 : code;
}

int cmd_exec(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"interactive", no_argument, NULL, 'i'}, {"tty", no_argument, NULL, 't'},
	    {"detach", no_argument, NULL, 'd'},	     {"env", required_argument, NULL, 'e'},
	    {"user", required_argument, NULL, 'u'},  {"workdir", required_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'H'},	     {NULL, 0, NULL, 0}};
	cleanup_cjson cJSON *req = cJSON_CreateObject(), *out = NULL;
	bool interactive = false, tty = false, detach = false;
	int fds[PROTO_MAX_FDS], c, rc, code = 0;
	unsigned nfds = 0;
	struct pbuf pb;
	cJSON *env = cJSON_AddArrayToObject(req, "Env"), *cmd;
	char *text;

	while ((c = getopt_long(argc, argv, "+itde:u:w:", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			interactive = true;
			break;
		case 't':
			tty = true;
			break;
		case 'd':
			detach = true;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return ctl_fail(EXIT_DAEMON,
						"invalid --env '%s': expected KEY=VALUE", optarg);
			cJSON_AddItemToArray(env, cJSON_CreateString(optarg));
			break;
		case 'u':
			cJSON_AddStringToObject(req, "User", optarg);
			break;
		case 'w':
			cJSON_AddStringToObject(req, "WorkingDir", optarg);
			break;
		case 'H':
			ctl_usage(stdout, cmd_exec_usage);
			return EXIT_OK;
		default:
			return EXIT_DAEMON;
		}
	}
	if (argc - optind < 2)
		return ctl_fail(EXIT_DAEMON, "exec needs a container and a command");
	cmd = cJSON_AddArrayToObject(req, "Cmd");
	for (int i = optind + 1; i < argc; i++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
	cJSON_AddBoolToObject(req, "Tty", tty);
	text = cJSON_PrintUnformatted(req);
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, argv[optind]);
	pb_put_str(&pb, TAG_JSON, text);
	free(text);
	rc = ctl_container_call(ctl, MSG_CONTAINER_EXEC, &pb, &out, fds, &nfds, 0);
	if (rc)
		return rc;
	if (nfds < 1)
		return ctl_fail(EXIT_DAEMON, "berth-containerd did not hand over the exec");
	{
		uint32_t id = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(out, "ExecId"));
		struct session s = {
		    .fd = fds[0],
		    .req_id = id,
		    .exec_id = id,
		    .tty = tty,
		    .stdin = interactive,
		    .detach_keys = NULL,
		};

		if (!interactive || detach)
			session_close_stdin(&s);
		/* -d: back once the process runs, or with its error when it cannot start;
		 * its output is not kept */
		s.until_started = detach;
		s.stdin = s.stdin && !detach;
		rc = ctl_session(&s, &code);
		close(fds[0]);
	}
	return rc < 0 ? EXIT_DAEMON : code < 0 ? EXIT_DAEMON : code;
}

int ctl_ref_call(struct ctl *ctl, enum berth_daemon d, uint16_t type, const char *ref, cJSON **out)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, ref);
	return ctl_daemon_call(ctl, d, type, &pb, out, NULL, NULL, EXIT_FAIL);
}

int ctl_each_ref(struct ctl *ctl, enum berth_daemon d, uint16_t type, int argc, char **argv,
		 const char *what)
{
	int rc = EXIT_OK;

	if (argc < 2)
		return ctl_fail(EXIT_DAEMON, "%s needs at least one %s", argv[0], what);
	for (int i = 1; i < argc; i++) {
		cJSON *out = NULL;
		int r = ctl_ref_call(ctl, d, type, argv[i], &out);

		cJSON_Delete(out);
		if (r)
			rc = r;
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}
