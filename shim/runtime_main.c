/*
 * berth-runtime: an OCI runtime with runc's command line, over the runtime
 * core that berth-shim links directly.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/signame.h"
#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "cgroup.h"
#include "runtime.h"

#define DEFAULT_ROOT "/run/berth-runtime"

struct rt {
	const char *root;
	char **orig_argv;
};

static int fail(struct err *err, const char *what)
{
	fprintf(stderr, "berth-runtime: %s: %s\n", what, err_msg(err));
	err_clear(err);
	return 1;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "berth-runtime: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see berth-runtime --help)\n");
	return 2;
}

static int one_id(int argc, char **argv, const char *cmd)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};

	if (optind == 0)
		while (getopt_long(argc, argv, "+", none, NULL) != -1)
			return -1;
	if (optind != argc - 1) {
		fprintf(stderr, "berth-runtime %s: expects exactly one container id\n", cmd);
		return -1;
	}
	return 0;
}

static const struct option create_opts[] = {
    {"bundle", required_argument, NULL, 'b'},
    {"pid-file", required_argument, NULL, 'p'},
    {"console-socket", required_argument, NULL, 'c'},
    {"preserve-fds", required_argument, NULL, 'P'},
    {"no-pivot", no_argument, NULL, 'N'},
    {"no-new-keyring", no_argument, NULL, 'K'},
    {"detach", no_argument, NULL, 'd'},
    {"keep", no_argument, NULL, 'k'},
    {NULL, 0, NULL, 0},
};

static int parse_create(struct rt *rt, int argc, char **argv, struct container_opts *o,
			bool *detach, bool *keep, const char *cmd)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->state_root = rt->root;
	o->bundle = ".";
	while ((c = getopt_long(argc, argv, "+b:dk", create_opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bundle = optarg;
			break;
		case 'p':
			o->pid_file = optarg;
			break;
		case 'c':
			o->console_socket = optarg;
			break;
		case 'P':
			o->preserve_fds = atoi(optarg);
			if (o->preserve_fds < 0 || o->preserve_fds > 1000)
				return usage_error("invalid --preserve-fds '%s'", optarg);
			break;
		case 'N':
			o->no_pivot = true;
			break;
		case 'K':
			break;
		case 'd':
			*detach = true;
			break;
		case 'k':
			*keep = true;
			break;
		default:
			return 2;
		}
	}
	if (one_id(argc, argv, cmd) < 0)
		return 2;
	o->id = argv[optind];
	return 0;
}

static int cmd_create(struct rt *rt, int argc, char **argv)
{
	struct container_opts o;
	struct err err = ERR_INIT;
	bool detach = false, keep = false;
	int r = parse_create(rt, argc, argv, &o, &detach, &keep, "create");

	if (r)
		return r;
	if (sealed_reexec(rt->orig_argv, &err) < 0)
		return fail(&err, "create");
	if (container_create(&o, NULL, &err) < 0)
		return fail(&err, "create");
	return 0;
}

static int cmd_run(struct rt *rt, int argc, char **argv)
{
	struct container_opts o;
	struct err err = ERR_INIT;
	struct exit_status es = {0};
	bool detach = false, keep = false;
	int r = parse_create(rt, argc, argv, &o, &detach, &keep, "run");

	if (r)
		return r;
	if (sealed_reexec(rt->orig_argv, &err) < 0)
		return fail(&err, "run");
	if (detach) {
		if (container_create(&o, NULL, &err) < 0 ||
		    container_start(rt->root, o.id, &err) < 0)
			return fail(&err, "run");
		return 0;
	}
	if (container_run(&o, &es, keep, &err) < 0) {
		int code = err.code == ERR_NOCMD ? 127 : err.code == ERR_CANTRUN ? 126 : 0;

		fail(&err, "run");
		return code ? code : es.code ? es.code : 1;
	}
	return es.code;
}

static int cmd_start(struct rt *rt, int argc, char **argv)
{
	struct err err = ERR_INIT;

	if (one_id(argc, argv, "start") < 0)
		return 2;
	if (container_start(rt->root, argv[optind], &err) < 0)
		return fail(&err, "start");
	return 0;
}

static int cmd_state(struct rt *rt, int argc, char **argv)
{
	struct err err = ERR_INIT;
	char *json = NULL;

	if (one_id(argc, argv, "state") < 0)
		return 2;
	if (container_state_json(rt->root, argv[optind], &json, &err) < 0)
		return fail(&err, "state");
	puts(json);
	free(json);
	return 0;
}

/* runc's update -r: new linux.resources (devices aside) for a container's cgroup. */
static int cmd_update(struct rt *rt, int argc, char **argv)
{
	static const struct option opts[] = {{"resources", required_argument, NULL, 'r'},
					     {NULL, 0, NULL, 0}};
	struct err err = ERR_INIT;
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *res = NULL;
	const char *file = NULL;
	struct cgroup cg;
	int c, r;

	while ((c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
		if (c != 'r')
			return usage_error("update: unknown option");
		file = optarg;
	}
	if (!file)
		return usage_error("update needs --resources FILE (or - for stdin)");
	if (optind != argc - 1)
		return usage_error("update expects exactly one container id");
	if (read_file_at(AT_FDCWD, strcmp(file, "-") ? file : "/dev/stdin", 1 << 20, &text, NULL,
			 &err) < 0)
		return fail(&err, "update");
	if (!cJSON_IsObject(res = cJSON_Parse(text))) {
		fprintf(stderr, "berth-runtime: update: %s is not a JSON object\n", file);
		return 1;
	}
	if (container_cgroup(rt->root, argv[optind], &cg, &err) < 0)
		return fail(&err, "update");
	r = cg.ops->update(&cg, res, &err);
	cgroup_close(&cg);
	return r < 0 ? fail(&err, "update") : 0;
}

static int cmd_kill(struct rt *rt, int argc, char **argv)
{
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
	struct err err = ERR_INIT;
	bool all = false;
	int sig = SIGTERM, c;

	while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
		if (c != 'a')
			return 2;
		all = true;
	}
	if (optind >= argc || argc - optind > 2)
		return usage_error("kill expects ID [SIGNAL]");
	if (argc - optind == 2 && (sig = signal_parse(argv[optind + 1])) < 0)
		return usage_error("unknown signal '%s'", argv[optind + 1]);
	if (container_kill(rt->root, argv[optind], sig, all, &err) < 0)
		return fail(&err, "kill");
	return 0;
}

static int cmd_delete(struct rt *rt, int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
	struct err err = ERR_INIT;
	bool force = false;
	int c;

	while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (c != 'f')
			return 2;
		force = true;
	}
	if (one_id(argc, argv, "delete") < 0)
		return 2;
	if (container_delete(rt->root, argv[optind], force, &err) < 0)
		return fail(&err, "delete");
	return 0;
}

static int cmd_list(struct rt *rt, int argc, char **argv)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
					     {"quiet", no_argument, NULL, 'q'},
					     {NULL, 0, NULL, 0}};
	cleanup_cjson cJSON *arr = cJSON_CreateArray();
	bool json = false, quiet = false;
	struct dirent *de;
	DIR *d;
	int c;

	while ((c = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
		if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
			json = strcmp(optarg, "json") == 0;
		else if (c == 'q')
			quiet = true;
		else
			return usage_error("list: bad option");
	}
	d = opendir(rt->root);
	if (!quiet && !json)
		printf("%-24s %-8s %-10s %s\n", "ID", "PID", "STATUS", "BUNDLE");
	while (d && (de = readdir(d))) {
		struct container_state st;
		struct err err = ERR_INIT;
		enum container_status s;

		if (de->d_name[0] == '.' || state_read(rt->root, de->d_name, &st, &err) < 0) {
			err_clear(&err);
			continue;
		}
		s = state_status(rt->root, &st);
		if (quiet) {
			puts(st.id);
		} else if (json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "id", st.id);
			cJSON_AddNumberToObject(o, "pid", s == ST_STOPPED ? 0 : st.pid);
			cJSON_AddStringToObject(o, "status", status_name(s));
			cJSON_AddStringToObject(o, "bundle", st.bundle);
			cJSON_AddStringToObject(o, "created", st.created ? st.created : "");
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-24s %-8d %-10s %s\n", st.id, s == ST_STOPPED ? 0 : (int)st.pid,
			       status_name(s), st.bundle);
		}
		state_free(&st);
	}
	if (d)
		closedir(d);
	if (json) {
		char *s = cJSON_Print(arr);
		puts(s);
		free(s);
	}
	return 0;
}

/* exec [--process FILE] [-t] [-d] [--cwd D] [-e K=V] [-u UID[:GID]] [--pid-file F] ID [CMD...] */
static int cmd_exec(struct rt *rt, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"process", required_argument, NULL, 'p'},
	    {"tty", no_argument, NULL, 't'},
	    {"detach", no_argument, NULL, 'd'},
	    {"cwd", required_argument, NULL, 'w'},
	    {"env", required_argument, NULL, 'e'},
	    {"user", required_argument, NULL, 'u'},
	    {"pid-file", required_argument, NULL, 'P'},
	    {"console-socket", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *process_file = NULL, *cwd = NULL, *user = NULL, *pid_file = NULL;
	char **extra_env = xcalloc((size_t)argc + 1, sizeof(char *));
	size_t nenv = 0;
	bool tty = false, detach = false;
	struct err err = ERR_INIT;
	struct spec_process p = {0};
	cleanup_cjson cJSON *doc = NULL;
	struct spec spec = {0};
	int c, code = 0;

	while ((c = getopt_long(argc, argv, "+p:tdw:e:u:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			process_file = optarg;
			break;
		case 't':
			tty = true;
			break;
		case 'd':
			detach = true;
			break;
		case 'w':
			cwd = optarg;
			break;
		case 'e':
			extra_env[nenv++] = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'P':
			pid_file = optarg;
			break;
		case 'c':
			break;
		default:
			free(extra_env);
			return 2;
		}
	}
	if (optind >= argc || (!process_file && optind + 1 >= argc)) {
		free(extra_env);
		return usage_error("exec expects ID and a command, or --process FILE");
	}
	if (sealed_reexec(rt->orig_argv, &err) < 0) {
		free(extra_env);
		return fail(&err, "exec");
	}
	if (process_file) {
		cleanup_free char *text = NULL;

		if (read_file_at(-100, process_file, 1 << 20, &text, NULL, &err) < 0 ||
		    !(doc = cJSON_Parse(text))) {
			if (!err.code)
				err_set(&err, EINVAL, "%s is not valid JSON", process_file);
			free(extra_env);
			return fail(&err, "exec --process");
		}
		if (spec_parse_process(&p, doc, &err) < 0) {
			free(extra_env);
			return fail(&err, "exec --process");
		}
	} else {
		/* the container's process, with these args: as runc does */
		struct container_state st;

		if (state_read(rt->root, argv[optind], &st, &err) < 0 ||
		    spec_load(&spec, st.bundle, &err) < 0) {
			state_free(&st);
			free(extra_env);
			return fail(&err, "exec");
		}
		state_free(&st);
		p = spec.proc;
		memset(&spec.proc, 0, sizeof(spec.proc));
		free(p.argv);
		p.argv = argv + optind + 1;
		p.terminal = tty;
	}
	if (cwd)
		p.cwd = cwd;
	if (user) {
		char *colon;

		p.uid = (uid_t)strtoul(user, &colon, 10);
		if (*colon == ':')
			p.gid = (gid_t)strtoul(colon + 1, NULL, 10);
	}
	if (nenv) {
		size_t n = 0;

		while (p.env && p.env[n])
			n++;
		p.env = xreallocarray(p.env, n + nenv + 1, sizeof(char *));
		memcpy(p.env + n, extra_env, nenv * sizeof(char *));
		p.env[n + nenv] = NULL;
	}
	if (container_exec(rt->root, argv[optind], &p, detach, pid_file, -1, &code, &err) < 0) {
		fail(&err, "exec");
		code = code ? code : 1;
	}
	if (!process_file)
		p.argv = NULL;
	spec_process_free(&p);
	spec_free(&spec);
	free(extra_env);
	return code;
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: berth-runtime [--root DIR] COMMAND [OPTIONS] ID\n"
	    "\n"
	    "An OCI runtime: runs an OCI bundle (config.json + rootfs) as an isolated container.\n"
	    "\n"
	    "Commands:\n"
	    "  create [--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] ID\n"
	    "                   set the container up and hold it before exec\n"
	    "  start ID         let a created container exec its process\n"
	    "  run [--bundle DIR] [--detach] [--keep] [--pid-file F] ID\n"
	    "                   create and start; without --detach, wait and exit with its status\n"
	    "  state ID         the runtime-spec state as JSON\n"
	    "  kill [--all] ID [SIGNAL]   signal the init (or every process); default TERM\n"
	    "  delete [--force] ID        remove a stopped (or, forced, a running) container\n"
	    "  exec [--process F] [-t] [-d] [--cwd D] [-e K=V] [-u UID[:GID]] ID [CMD...]\n"
	    "                   run another process inside a running container\n"
	    "  list [--format table|json] [-q]\n"
	    "  update --resources FILE|- ID   new linux.resources for its cgroup (as runc)\n"
	    "\n"
	    "Global options:\n"
	    "  --root DIR       state directory (default " DEFAULT_ROOT ")\n"
	    "  --log FILE, --log-format FMT, --debug   accepted for runc compatibility\n"
	    "\n"
	    "See berth-runtime(8).\n");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct rt *, int, char **);
	} cmds[] = {
	    {"create", cmd_create}, {"start", cmd_start}, {"run", cmd_run},
	    {"state", cmd_state},   {"kill", cmd_kill},	  {"delete", cmd_delete},
	    {"list", cmd_list},	    {"exec", cmd_exec},	  {"update", cmd_update},
	};
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},	  {"log", required_argument, NULL, 'l'},
	    {"log-format", required_argument, NULL, 'F'}, {"debug", no_argument, NULL, 'D'},
	    {"systemd-cgroup", no_argument, NULL, 'S'},	  {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},	  {NULL, 0, NULL, 0},
	};
	struct rt rt = {DEFAULT_ROOT, argv};
	int c;

	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rt.root = optarg;
			break;
		case 'l':
			if (!freopen(optarg, "a", stderr))
				return usage_error("cannot open --log %s", optarg);
			break;
		case 'F':
		case 'D':
			break;
		case 'S':
			fprintf(stderr, "berth-runtime: --systemd-cgroup is not supported: "
					"use cgroupfs paths\n");
			return 1;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("berth-runtime version %s\nspec: 1.0.2\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name) != 0)
			continue;
		argc -= optind;
		argv += optind;
		optind = 0;
		if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			usage(stdout);
			return 0;
		}
		return cmds[i].fn(&rt, argc, argv);
	}
	return usage_error("unknown command '%s'", argv[optind]);
}
