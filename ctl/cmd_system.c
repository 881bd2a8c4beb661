/* berth system start|stop|status: run the three daemons without systemd. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "ctl.h"
#include "format.h"
#include "proto/tags.h"
#include "system.h"

const char cmd_system_usage[] =
    "system COMMAND\n"
    "\n"
    "Run the berth daemons on a host without systemd (or for tests).\n"
    "\n"
    "Commands:\n"
    "  start [--log-level LVL] [--group NAME] [--timeout SECONDS]\n"
    "            start berth-imaged, berth-netd and berth-containerd in the background,\n"
    "            then berth-apid (the Docker API on $RUN/docker.sock) when the socket\n"
    "            group exists; wait until each answers and print their pids; daemons\n"
    "            already running are left alone. Logs go to $ROOT/log/<daemon>.log.\n"
    "  stop [--timeout SECONDS]\n"
    "            ask each daemon to stop (SIGTERM) and wait for it; after the\n"
    "            timeout (default 10) it is killed.\n"
    "  status [--format table|json]\n"
    "            show which daemons answer; exits 3 when any is not running.\n"
    "  df [--format table|json]\n"
    "            disk used by images, containers' writable layers and volumes.\n"
    "  prune [-a] [--volumes] [-f]\n"
    "            remove stopped containers, networks no container uses and dangling\n"
    "            images (-a: every image no container uses; --volumes: unused volumes\n"
    "            too); asks first unless -f.\n"
    "\n"
    "The daemons are looked up in $BERTH_DAEMON_DIR, then beside the berth binary,\n"
    "then in " SBINDIR ".\n";

#define STATUS_NOT_RUNNING 3

uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static char *daemon_path(const char *bin)
{
	const char *env = getenv("BERTH_DAEMON_DIR");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return xasprintf("%s/%s", env, bin);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash, *cand;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			cand = xasprintf("%s/%s", self, bin);
			if (access(cand, X_OK) == 0)
				return cand;
			free(cand);
		}
	}
	return xasprintf("%s/%s", SBINDIR, bin);
}

/* 0 with the pid of the daemon answering on its socket; -1 if none answers. */
static int probe(struct ctl *ctl, enum berth_daemon d, pid_t *pid, struct err *err)
{
	struct client c;
	struct frame f;
	int r = ctl_try_connect(ctl, d, &c, err);

	if (r < 0)
		return r;
	r = client_call(&c, MSG_PING, NULL, NULL, 0, &f, err);
	if (r == 0) {
		*pid = c.peer_pid;
		frame_release(&f);
	}
	client_close(&c);
	return r;
}

void print_log_tail(const char *log)
{
	cleanup_fclose FILE *f = fopen(log, "re");
	char line[1024];
	char *lines[8] = {0};
	unsigned n = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		free(lines[n % 8]);
		lines[n % 8] = xstrdup(line);
		n++;
	}
	fprintf(stderr, "last lines of %s:\n", log);
	for (unsigned i = n > 8 ? n - 8 : 0; i < n; i++) {
		fprintf(stderr, "  %s", lines[i % 8]);
		free(lines[i % 8]);
		lines[i % 8] = NULL;
	}
}

pid_t system_spawn(struct ctl *ctl, const char *bin, const char *log, struct err *err)
{
	cleanup_free char *path = daemon_path(bin);
	const char *argv[16];
	int argc = 0;
	pid_t pid;

	if (access(path, X_OK) < 0)
		return err_sys(err, "cannot run %s", path);
	argv[argc++] = path;
	argv[argc++] = "--foreground";
	argv[argc++] = "--root";
	argv[argc++] = ctl->paths.root;
	argv[argc++] = "--run";
	argv[argc++] = ctl->paths.run;
	if (ctl->log_level) {
		argv[argc++] = "--log-level";
		argv[argc++] = ctl->log_level;
	}
	if (ctl->group) {
		argv[argc++] = "--group";
		argv[argc++] = ctl->group;
	}
	argv[argc] = NULL;
	pid = fork();
	if (pid < 0)
		return err_sys(err, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(out, 2) < 0)
			_exit(127);
		setsid();
		close_range(3, ~0U, 0);
		execv(path, (char *const *)argv);
		dprintf(2, "berth: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	return pid;
}

static int wait_ready(struct ctl *ctl, enum berth_daemon d, pid_t child, unsigned timeout_s,
		      const char *log)
{
	const char *bin = berth_daemons[d].binary;
	uint64_t deadline = mono_ms() + timeout_s * 1000ULL;

	for (;;) {
		struct err err = ERR_INIT;
		pid_t pid = 0;
		int status;

		if (probe(ctl, d, &pid, &err) == 0) {
			printf("%s started (pid %d)\n", bin, (int)pid);
			return EXIT_OK;
		}
		err_clear(&err);
		if (waitpid(child, &status, WNOHANG) == child) {
			if (WIFEXITED(status))
				ctl_fail(EXIT_FAIL, "%s exited with status %d while starting", bin,
					 WEXITSTATUS(status));
			else
				ctl_fail(EXIT_FAIL, "%s was killed by signal %d while starting",
					 bin, WTERMSIG(status));
			print_log_tail(log);
			return EXIT_FAIL;
		}
		if (mono_ms() > deadline) {
			kill(child, SIGTERM);
			ctl_fail(EXIT_FAIL, "%s did not answer within %us", bin, timeout_s);
			print_log_tail(log);
			return EXIT_FAIL;
		}
		sleep_ms(5);
	}
}

static int parse_timeout(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v == 0 || v > 3600)
		return ctl_fail(EXIT_DAEMON, "invalid --timeout '%s' (seconds, 1 to 3600)", s);
	*out = (unsigned)v;
	return 0;
}

static int system_start(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"log-level", required_argument, NULL, 'l'},
	    {"group", required_argument, NULL, 'g'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct err err = ERR_INIT;
	cleanup_free char *logdir = NULL;
	unsigned timeout = 10;
	int c;

	while ((c = getopt_long(argc, argv, "+l:g:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			ctl->log_level = optarg;
			break;
		case 'g':
			ctl->group = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &timeout))
				return EXIT_DAEMON;
			break;
		case 'h':
			ctl_usage(stdout, cmd_system_usage);
			return EXIT_OK;
		default:
			ctl_usage(stderr, cmd_system_usage);
			return EXIT_DAEMON;
		}
	}
	if (geteuid() != 0)
		return ctl_fail(EXIT_FAIL, "system start must run as root");
	logdir = xasprintf("%s/log", ctl->paths.root);
	if (mkdir_secure(ctl->paths.root, 0711, &err) < 0 || mkdir_secure(logdir, 0700, &err) < 0) {
		ctl_fail(EXIT_FAIL, "%s", err_msg(&err));
		err_clear(&err);
		return EXIT_FAIL;
	}
	for (int d = 0; d < DAEMON_COUNT; d++) {
		cleanup_free char *log = xasprintf("%s/%s.log", logdir, berth_daemons[d].binary);
		pid_t pid = 0, child;
		int rc;

		if (probe(ctl, (enum berth_daemon)d, &pid, &err) == 0) {
			printf("%s already running (pid %d)\n", berth_daemons[d].binary, (int)pid);
			continue;
		}
		err_clear(&err);
		child = system_spawn(ctl, berth_daemons[d].binary, log, &err);
		if (child < 0) {
			ctl_fail(EXIT_FAIL, "start %s: %s", berth_daemons[d].binary, err_msg(&err));
			err_clear(&err);
			return EXIT_FAIL;
		}
		rc = wait_ready(ctl, (enum berth_daemon)d, child, timeout, log);
		if (rc)
			return rc;
	}
	return apid_start(ctl, logdir, timeout);
}

/* True while pid exists and is not a zombie. */
bool system_alive(pid_t pid)
{
	char path[64], buf[512];
	cleanup_close int fd = -1;
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static int stop_one(struct ctl *ctl, enum berth_daemon d, unsigned timeout)
{
	const char *bin = berth_daemons[d].binary;
	struct err err = ERR_INIT;
	uint64_t deadline;
	pid_t pid = 0;

	if (probe(ctl, d, &pid, &err) < 0) {
		printf("%s is not running\n", bin);
		err_clear(&err);
		return EXIT_OK;
	}
	if (pid <= 1)
		return ctl_fail(EXIT_FAIL, "%s: cannot tell its pid", bin);
	if (kill(pid, SIGTERM) < 0)
		return ctl_fail(EXIT_FAIL, "signal %s (pid %d): %s", bin, (int)pid,
				strerror(errno));
	deadline = mono_ms() + timeout * 1000ULL;
	while (system_alive(pid)) {
		if (mono_ms() > deadline) {
			kill(pid, SIGKILL);
			return ctl_fail(EXIT_FAIL, "%s (pid %d) did not stop within %us: killed",
					bin, (int)pid, timeout);
		}
		sleep_ms(5);
	}
	printf("%s stopped (pid %d)\n", bin, (int)pid);
	return EXIT_OK;
}

static int system_stop(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned timeout = 10;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
		if (c == 'h') {
			ctl_usage(stdout, cmd_system_usage);
			return EXIT_OK;
		}
		if (c != 't' || parse_timeout(optarg, &timeout)) {
			ctl_usage(stderr, cmd_system_usage);
			return EXIT_DAEMON;
		}
	}
	/* apid first: it is a client of the others */
	rc = apid_stop(ctl, timeout);
	for (int d = DAEMON_COUNT - 1; d >= 0; d--) {
		int r = stop_one(ctl, (enum berth_daemon)d, timeout);

		if (r)
			rc = r;
	}
	return rc;
}

static cJSON *status_one(struct ctl *ctl, enum berth_daemon d)
{
	cJSON *o = cJSON_CreateObject();
	cleanup_free char *sock = paths_socket(&ctl->paths, d);
	cleanup_free char *version = NULL;
	struct err err = ERR_INIT;
	struct client c;
	struct frame f;
	uint64_t uptime = 0;

	cJSON_AddStringToObject(o, "name", berth_daemons[d].binary);
	cJSON_AddStringToObject(o, "socket", sock);
	if (ctl_try_connect(ctl, d, &c, &err) < 0) {
		cJSON_AddStringToObject(o, "status", "stopped");
		cJSON_AddStringToObject(o, "error", err_msg(&err));
		err_clear(&err);
		return o;
	}
	if (client_call(&c, MSG_VERSION, NULL, NULL, 0, &f, &err) < 0) {
		cJSON_AddStringToObject(o, "status", "error");
		cJSON_AddStringToObject(o, "error", err_msg(&err));
		err_clear(&err);
		client_close(&c);
		return o;
	}
	p_get_str(f.payload, f.len, TAG_VERSION, &version, &err);
	p_get_u64(f.payload, f.len, TAG_UPTIME, &uptime, &err);
	err_clear(&err);
	frame_release(&f);
	cJSON_AddStringToObject(o, "status", "running");
	cJSON_AddNumberToObject(o, "pid", c.peer_pid);
	cJSON_AddStringToObject(o, "version", version ? version : "");
	cJSON_AddNumberToObject(o, "uptime_ms", (double)uptime);
	client_close(&c);
	return o;
}

static int system_status(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const hdr[] = {"DAEMON", "STATUS", "PID", "VERSION", "UPTIME", "SOCKET"};
	enum out_format fmt = FORMAT_TEXT;
	cleanup_cjson cJSON *doc = cJSON_CreateArray();
	struct table *t;
	cJSON *o;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		if (c == 'h') {
			ctl_usage(stdout, cmd_system_usage);
			return EXIT_OK;
		}
		if (c != 'f' || format_parse(optarg, &fmt) < 0) {
			ctl_usage(stderr, cmd_system_usage);
			return EXIT_DAEMON;
		}
	}
	for (int d = 0; d < DAEMON_COUNT; d++) {
		o = status_one(ctl, (enum berth_daemon)d);
		if (strcmp(cJSON_GetObjectItem(o, "status")->valuestring, "running") != 0)
			rc = STATUS_NOT_RUNNING;
		cJSON_AddItemToArray(doc, o);
	}
	o = apid_status(ctl);
	if (!strcmp(cJSON_GetObjectItem(o, "status")->valuestring, "stopped"))
		rc = STATUS_NOT_RUNNING;
	cJSON_AddItemToArray(doc, o);
	if (fmt == FORMAT_JSON) {
		json_print(stdout, doc);
		return rc;
	}
	t = table_new(6, hdr);
	cJSON_ArrayForEach (o, doc) {
		const cJSON *pid = cJSON_GetObjectItem(o, "pid");
		const cJSON *ver = cJSON_GetObjectItem(o, "version");
		const cJSON *up = cJSON_GetObjectItem(o, "uptime_ms");
		char pidbuf[16] = "-", upbuf[32] = "-";
		const char *row[6];

		if (pid)
			snprintf(pidbuf, sizeof(pidbuf), "%d", pid->valueint);
		if (up)
			format_duration(upbuf, sizeof(upbuf), (unsigned long long)up->valuedouble);
		row[0] = cJSON_GetObjectItem(o, "name")->valuestring;
		row[1] = cJSON_GetObjectItem(o, "status")->valuestring;
		row[2] = pidbuf;
		row[3] = ver ? ver->valuestring : "-";
		row[4] = upbuf;
		row[5] = cJSON_GetObjectItem(o, "socket")->valuestring;
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
	return rc;
}

/*
 * Stopped containers, networks no container uses, dangling images (every
 * unused one with -a) and, with --volumes, unused volumes; after a yes on
 * stdin unless -f.
 */
static int system_prune(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
					     {"force", no_argument, NULL, 'f'},
					     {"volumes", no_argument, NULL, 'V'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	char *image_args[] = {"prune", "-a", NULL}, *none[] = {"prune", NULL};
	bool all = false, force = false, volumes = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+afh", opts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'f')
			force = true;
		else if (c == 'V')
			volumes = true;
		else if (c == 'h') {
			ctl_usage(stdout, cmd_system_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (!force) {
		char answer[16] = "";

		fprintf(stderr,
			"WARNING! This will remove:\n  - all stopped containers\n"
			"  - all networks not used by at least one container\n%s%s"
			"Are you sure you want to continue? [y/N] ",
			volumes ? "  - all volumes not used by at least one container\n" : "",
			all ? "  - all images without at least one container associated to them\n"
			    : "  - all dangling images\n");
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
			return EXIT_OK;
	}
	optind = 0;
	if ((rc = ctl_container_prune(ctl, 1, none)))
		return rc;
	if ((rc = ctl_network_prune(ctl)))
		return rc;
	if (volumes) {
		optind = 0;
		if ((rc = ctl_volume_prune(ctl, 1, none)))
			return rc;
	}
	optind = 0;
	return ctl_image_prune(ctl, all ? 2 : 1, all ? image_args : none);
}

int cmd_system(struct ctl *ctl, int argc, char **argv)
{
	static const struct ctl_cmd subs[] = {
	    {"start", system_start, NULL, NULL},   {"stop", system_stop, NULL, NULL},
	    {"status", system_status, NULL, NULL}, {"df", system_df, NULL, NULL},
	    {"prune", system_prune, NULL, NULL},
	};

	if (argc < 2) {
		ctl_usage(stderr, cmd_system_usage);
		return EXIT_DAEMON;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		ctl_usage(stdout, cmd_system_usage);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0) {
			optind = 0;
			return subs[i].fn(ctl, argc - 1, argv + 1);
		}
	return ctl_fail(EXIT_DAEMON,
			"unknown command 'system %s' (start, stop, status, df or prune)", argv[1]);
}
