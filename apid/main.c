/*
 * berth-apid: started as root (systemd or `berth system start`), it binds
 * $RUN/docker.sock 0660 root:berth, then becomes its own user with group
 * berth only: no capabilities, no_new_privs, a seccomp allow-list. What it
 * may do is what any member of group berth may do with the berth CLI.
 */
#include "config.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "apid.h"
#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/privdrop.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "proto/service.h"

#define APID_NAME "berth-apid"
#define APID_DEFAULT_USER "berth-apid"

/* beyond the base list: threads, sockets to the daemons, fd passing, TLS pairs */
static const char *const apid_syscalls[] = {
    "socket",	 "connect",  "accept4",	   "sendmsg",	     "recvmsg",	     "sendto",
    "recvfrom",	 "shutdown", "getsockopt", "setsockopt",     "getpeername",  "getsockname",
    "poll",	 "ppoll",    "pipe2",	   "rt_sigprocmask", "rt_sigaction", "sigaltstack",
    "getrandom", "prctl",    "ioctl",	   "socketpair",     NULL,
};

static struct priv_spec apid_priv = {
    .keep_all_caps = true, /* none left: the change of user dropped them */
    .no_new_privs = true,
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " APID_NAME " [OPTIONS]\n"
		"\n"
		"The Docker Engine API (v" APID_API_VERSION ") for berth, on $RUN/docker.sock.\n"
		"\n"
		"Options:\n"
		"  -r, --root DIR        state directory (default $BERTH_ROOT or %s)\n"
		"  -R, --run DIR         runtime directory for sockets (default $BERTH_RUN or %s)\n"
		"  -g, --group NAME      group allowed on the socket, and apid's only group\n"
		"                        (default %s)\n"
		"  -u, --user NAME       the user apid runs as (default " APID_DEFAULT_USER
		", or nobody)\n"
		"      --tcp ADDR:PORT   serve on TCP too (e.g. 0.0.0.0:2376), with mutual TLS:\n"
		"      --tlscacert FILE  the CA a client's certificate must be signed by\n"
		"      --tlscert FILE    apid's certificate (chain), PEM\n"
		"      --tlskey FILE     its private key, PEM\n"
		"      --insecure-tcp    plain HTTP instead, on a loopback address only\n"
		"                        (each also from $BERTH_APID_TCP, $BERTH_APID_TLSCACERT,\n"
		"                        $BERTH_APID_TLSCERT, $BERTH_APID_TLSKEY, "
		"$BERTH_APID_INSECURE_TCP=1)\n"
		"  -l, --log-level LVL   error, warn, info or debug (default info)\n"
		"  -f, --foreground      stay in the foreground and log to stderr\n"
		"  -h, --help            show this help\n"
		"  -V, --version         show the version\n"
		"\n"
		"See berth-apid(8).\n",
		BERTH_DEFAULT_ROOT, BERTH_DEFAULT_RUN, BERTH_DEFAULT_GROUP);
}

static void set_opt(char **dst, const char *v)
{
	free(*dst);
	*dst = *v ? xstrdup(v) : NULL;
}

/* The TCP options' defaults from the environment (berth system start, systemd's EnvironmentFile).
 */
static void tcp_env(struct apid_tcp_opts *o)
{
	const char *v;

	if ((v = getenv("BERTH_APID_TCP")))
		set_opt(&o->listen, v);
	if ((v = getenv("BERTH_APID_TLSCACERT")))
		set_opt(&o->cacert, v);
	if ((v = getenv("BERTH_APID_TLSCERT")))
		set_opt(&o->cert, v);
	if ((v = getenv("BERTH_APID_TLSKEY")))
		set_opt(&o->key, v);
	if ((v = getenv("BERTH_APID_INSECURE_TCP")))
		o->insecure = !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true");
}

static int parse_args(struct apid *a, int argc, char **argv, int *level)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"run", required_argument, NULL, 'R'},
	    {"group", required_argument, NULL, 'g'},
	    {"user", required_argument, NULL, 'u'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"tcp", required_argument, NULL, 'T'},
	    {"tlscacert", required_argument, NULL, 'A'},
	    {"tlscert", required_argument, NULL, 'C'},
	    {"tlskey", required_argument, NULL, 'K'},
	    {"insecure-tcp", no_argument, NULL, 'I'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *root = NULL, *run = NULL;
	struct err err = ERR_INIT;
	int c;

	*level = LOG_LEVEL_INFO;
	tcp_env(&a->tcp_opts);
	while ((c = getopt_long(argc, argv, "r:R:g:u:l:fhV", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'R':
			run = optarg;
			break;
		case 'g':
			free(a->group);
			a->group = xstrdup(optarg);
			break;
		case 'u':
			free(a->user);
			a->user = xstrdup(optarg);
			break;
		case 'l':
			*level = log_level_parse(optarg);
			if (*level < 0) {
				fprintf(stderr,
					APID_NAME
					": unknown log level '%s' (error, warn, info, debug)\n",
					optarg);
				return 2;
			}
			break;
		case 'f':
			a->foreground = true;
			break;
		case 'T':
			set_opt(&a->tcp_opts.listen, optarg);
			break;
		case 'A':
			set_opt(&a->tcp_opts.cacert, optarg);
			break;
		case 'C':
			set_opt(&a->tcp_opts.cert, optarg);
			break;
		case 'K':
			set_opt(&a->tcp_opts.key, optarg);
			break;
		case 'I':
			a->tcp_opts.insecure = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(APID_NAME " %s (API %s)\n", PACKAGE_VERSION, APID_API_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, APID_NAME ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	paths_init(&a->paths, root, run);
	if (a->paths.root[0] != '/' || a->paths.run[0] != '/') {
		fprintf(stderr, APID_NAME ": --root and --run must be absolute paths\n");
		return 2;
	}
	if (!a->group)
		a->group = xstrdup(BERTH_DEFAULT_GROUP);
	if (tcp_check_opts(&a->tcp_opts, &err) < 0) {
		fprintf(stderr, APID_NAME ": %s\n", err_msg(&err));
		err_clear(&err);
		return 2;
	}
	return -1;
}

/* From /etc/group and /etc/passwd themselves: no NSS modules in the process. */
static int resolve_ids(struct apid *a, struct err *err)
{
	cleanup_fclose FILE *g = fopen("/etc/group", "re");
	cleanup_fclose FILE *p = fopen("/etc/passwd", "re");
	const char *user = a->user ? a->user : getenv("BERTH_APID_USER") ?: APID_DEFAULT_USER;
	struct passwd *pw;
	struct group *gr;
	bool found = false;

	while (g && (gr = fgetgrent(g)))
		if (!strcmp(gr->gr_name, a->group)) {
			a->gid = gr->gr_gid;
			found = true;
			break;
		}
	if (!found)
		return err_set(err, ENOENT,
			       "group '%s' does not exist: berth-apid reaches the daemons as a "
			       "member of it (create it with: groupadd --system %s)",
			       a->group, a->group);
	while (p && (pw = fgetpwent(p)))
		if (!strcmp(pw->pw_name, user)) {
			a->uid = pw->pw_uid;
			return a->uid ? 0
				      : err_set(err, EINVAL,
						"user '%s' is root: apid never runs as root", user);
		}
	if (a->user)
		return err_set(err, ENOENT, "user '%s' does not exist", a->user);
	log_warnx("user '" APID_DEFAULT_USER "' does not exist (systemd-sysusers creates it): "
		  "running as nobody");
	a->uid = 65534;
	return 0;
}

/* The socket from systemd (LISTEN_FDS), or our own. */
static int bind_socket(struct apid *a, struct err *err)
{
	int r = service_take_activated(&a->listen_fd, err);

	if (r != 0) {
		a->activated = r > 0;
		return r < 0 ? r : 0;
	}
	return service_listen_unix(a->socket, a->gid, &a->listen_fd, err);
}

/* Root with every capability, or already the user systemd made us: then keep nothing. */
static int drop(struct apid *a, struct err *err)
{
	cleanup_free char *privs = NULL;

	if (geteuid() == 0) {
		capng_clear(CAPNG_SELECT_BOTH);
		if (capng_change_id((int)a->uid, (int)a->gid,
				    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) < 0)
			return err_set(err, EPERM, "cannot become uid %u gid %u", (unsigned)a->uid,
				       (unsigned)a->gid);
	}
	if (getuid() == 0 || geteuid() == 0 || getgid() == 0)
		return err_set(err, EPERM, "still root after the change of user");
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	apid_priv.syscalls = priv_allowlist(apid_syscalls);
	if (priv_drop(&apid_priv, err) < 0)
		return err_wrap(err, "drop privileges");
	privs = priv_describe();
	log_info("running as uid %u gid %u; kept %s", (unsigned)getuid(), (unsigned)getgid(),
		 privs);
	return 0;
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct apid *a = h->data;

	log_info("%s: shutting down", strsignal(signum));
	http_stop(a);
	tcp_stop(a);
	uv_close((uv_handle_t *)&a->sigterm, NULL);
	uv_close((uv_handle_t *)&a->sigint, NULL);
	uv_stop(&a->loop);
}

static int setup(struct apid *a, struct err *err)
{
	cleanup_free char *pid = NULL;
	int r;

	if (geteuid() != 0 && !getenv("LISTEN_FDS"))
		return err_set(err, EPERM, "must start as root (euid is %u)", (unsigned)geteuid());
	if (geteuid() == 0 && (r = resolve_ids(a, err)) < 0)
		return r;
	if (geteuid() == 0 && (r = mkdir_secure(a->paths.run, 0711, err)) < 0)
		return r;
	a->socket = xasprintf("%s/docker.sock", a->paths.run);
	a->pidfile = xasprintf("%s/" APID_NAME ".pid", a->paths.run);
	if ((r = bind_socket(a, err)) < 0 || (r = tcp_setup(a, &a->tcp_opts, err)) < 0)
		return r;
	if (!a->foreground) {
		if ((r = service_daemonize(err)) < 0)
			return r;
		log_init(APID_NAME, false, log_get_level());
	}
	pid = xasprintf("%d\n", (int)getpid());
	if (geteuid() == 0) {
		if ((r = atomic_write_file(a->pidfile, pid, strlen(pid), 0644, err)) < 0)
			return r;
		a->pid_written = true;
	}
	r = uv_loop_init(&a->loop);
	if (r < 0)
		return err_set(err, -r, "uv_loop_init: %s", uv_strerror(r));
	signal(SIGPIPE, SIG_IGN);
	if ((r = drop(a, err)) < 0 || (r = http_start(a, err)) < 0 || (r = tcp_start(a, err)) < 0)
		return r;
	uv_signal_init(&a->loop, &a->sigterm);
	uv_signal_init(&a->loop, &a->sigint);
	a->sigterm.data = a->sigint.data = a;
	uv_signal_start(&a->sigterm, on_signal, SIGTERM);
	uv_signal_start(&a->sigint, on_signal, SIGINT);
	log_info(APID_NAME " %s serving the Docker API %s on %s%s", PACKAGE_VERSION,
		 APID_API_VERSION, a->socket, a->activated ? " (socket activated)" : "");
	service_notify_ready();
	return 0;
}

int main(int argc, char **argv)
{
	struct apid a;
	struct err err = ERR_INIT;
	int level, rc;

	memset(&a, 0, sizeof(a));
	a.listen_fd = -1;
	rc = parse_args(&a, argc, argv, &level);
	if (rc >= 0)
		return rc;
	log_init(APID_NAME, true, (enum log_level)level);
	rc = setup(&a, &err) < 0;
	if (rc) {
		log_error("%s", err_msg(&err));
		err_clear(&err);
	} else {
		uv_run(&a.loop, UV_RUN_DEFAULT);
		log_info("stopped");
	}
	/*
	 * The pid file and the socket are in $RUN, root's: apid cannot remove
	 * them now; whoever starts it next replaces them (a stale socket is
	 * detected by connect).
	 */
	tcp_free(&a);
	free(a.tcp_opts.listen);
	free(a.tcp_opts.cacert);
	free(a.tcp_opts.cert);
	free(a.tcp_opts.key);
	paths_free(&a.paths);
	free(a.socket);
	free(a.pidfile);
	free(a.group);
	free(a.user);
	return rc;
}
