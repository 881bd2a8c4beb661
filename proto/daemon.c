#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "client.h"
#include "daemon.h"
#include "tags.h"
#include "service.h"

static const uint32_t daemon_roles[DAEMON_COUNT] = {
    [DAEMON_IMAGED] = ROLE_IMAGED,
    [DAEMON_NETD] = ROLE_NETD,
    [DAEMON_CONTAINERD] = ROLE_CONTAINERD,
};

static void usage(FILE *out, const char *name)
{
	fprintf(out,
		"Usage: %s [OPTIONS]\n"
		"\n"
		"Options:\n"
		"  -r, --root DIR        state directory (default $BERTH_ROOT or %s)\n"
		"  -R, --run DIR         runtime directory for sockets (default $BERTH_RUN or %s)\n"
		"  -g, --group NAME      group allowed on the socket (default %s)\n"
		"  -p, --policy FILE     the authorization policy (default $BERTH_POLICY,\n"
		"                        $BERTH_CONF_DIR/policy.json or " POLICY_DEFAULT_PATH ";\n"
		"                        see berth-policy(5))\n"
		"  -a, --apid-user NAME  berth-apid's user, who may act for its clients\n"
		"                        (default $BERTH_APID_USER or berth-apid)\n"
		"  -l, --log-level LVL   error, warn, info or debug (default info)\n"
		"  -f, --foreground      stay in the foreground and log to stderr\n"
		"  -h, --help            show this help\n"
		"  -V, --version         show the version\n"
		"\n"
		"See %s(8).\n",
		name, BERTH_DEFAULT_ROOT, BERTH_DEFAULT_RUN, BERTH_DEFAULT_GROUP, name);
}

static int parse_args(struct daemon *d, int argc, char **argv, int *level)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"run", required_argument, NULL, 'R'},
	    {"group", required_argument, NULL, 'g'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"policy", required_argument, NULL, 'p'},
	    {"apid-user", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	const char *policy = getenv("BERTH_POLICY");
	const char *name = berth_daemons[d->def->which].binary;
	const char *root = NULL, *run = NULL;
	int c;

	*level = LOG_LEVEL_INFO;
	while ((c = getopt_long(argc, argv, "r:R:g:l:fhVp:a:", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'R':
			run = optarg;
			break;
		case 'g':
			free(d->group);
			d->group = xstrdup(optarg);
			break;
		case 'p':
			policy = optarg;
			break;
		case 'a':
			free(d->apid_user);
			d->apid_user = xstrdup(optarg);
			break;
		case 'l':
			*level = log_level_parse(optarg);
			if (*level < 0) {
				fprintf(stderr,
					"%s: unknown log level '%s' (error, warn, info, debug)\n",
					name, optarg);
				return 2;
			}
			break;
		case 'f':
			d->foreground = true;
			break;
		case 'h':
			usage(stdout, name);
			return 0;
		case 'V':
			printf("%s %s\n", name, PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr, name);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", name, argv[optind]);
		return 2;
	}
	paths_init(&d->paths, root, run);
	if (d->paths.root[0] != '/' || d->paths.run[0] != '/') {
		fprintf(stderr, "%s: --root and --run must be absolute paths\n", name);
		return 2;
	}
	if (!d->group)
		d->group = xstrdup(BERTH_DEFAULT_GROUP);
	if (!d->apid_user)
		d->apid_user = xstrdup(getenv("BERTH_APID_USER") ?: "berth-apid");
	{
		const char *conf = getenv("BERTH_CONF_DIR");
		cleanup_free char *path = policy && *policy ? xstrdup(policy)
					  : conf && *conf   ? xasprintf("%s/policy.json", conf)
							    : xstrdup(POLICY_DEFAULT_PATH);

		policy_init(&d->policy, path);
	}
	return -1;
}

/*
 * The socket's group, from /etc/group itself (systemd-sysusers and groupadd
 * put it there): NSS would load its modules into every daemon for good.
 */
static void resolve_group(struct daemon *d)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *g;

	while (f && (g = fgetgrent(f)))
		if (!strcmp(g->gr_name, d->group)) {
			d->gid = g->gr_gid;
			fclose(f);
			return;
		}
	if (f)
		fclose(f);
	d->gid = 0;
	log_warnx(
	    "group '%s' does not exist: the socket is for root only (create it with: groupadd %s)",
	    d->group, d->group);
}

/*
 * berth-apid's uid, from /etc/passwd itself. apid runs as nobody when its
 * user does not exist, and so the role is then nobody's (with a warning).
 */
static uid_t resolve_apid_uid(const struct daemon *d)
{
	cleanup_fclose FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;

	while (f && (pw = fgetpwent(f)))
		if (!strcmp(pw->pw_name, d->apid_user))
			return pw->pw_uid ? pw->pw_uid : (uid_t)-1;
	log_warnx("user '%s' does not exist: requests that berth-apid (running as nobody) "
		  "makes for its clients are accepted from uid 65534",
		  d->apid_user);
	return 65534;
}

/* ---- audit records of imaged and netd go to containerd, which has the events ---- */

struct audit_relay {
	uv_work_t work;
	char *sock;
	char *text;
	uint32_t role;
};

static void relay_work(uv_work_t *w)
{
	struct audit_relay *r = w->data;
	struct err err = ERR_INIT;
	struct client c;
	struct frame reply;
	struct pbuf pb;

	if (client_connect(&c, r->sock, r->role, &err) == 0) {
		pb_init(&pb);
		pb_put_str(&pb, TAG_JSON, r->text);
		if (client_call(&c, MSG_AUDIT_RECORD, &pb, NULL, 0, &reply, &err) == 0)
			frame_release(&reply);
	}
	client_close(&c);
	if (err.code)
		log_warnx("audit record not passed to berth-containerd: %s", err_msg(&err));
	err_clear(&err);
}

static void relay_done(uv_work_t *w, int status)
{
	struct audit_relay *r = w->data;

	(void)status;
	free(r->sock);
	free(r->text);
	free(r);
}

/* Off the loop: containerd may be waiting on this daemon at the same moment. */
static void audit_relay(struct server *s, cJSON *event)
{
	struct daemon *d = s->ctx;
	struct audit_relay *r;

	if (d->def->audit) {
		d->def->audit(d, event);
		return;
	}
	r = xzalloc(sizeof(*r));
	r->work.data = r;
	r->sock = paths_socket(&d->paths, DAEMON_CONTAINERD);
	r->text = cJSON_PrintUnformatted(event);
	r->role = d->ops.role;
	cJSON_Delete(event);
	if (uv_queue_work(&d->loop, &r->work, relay_work, relay_done) < 0)
		relay_done(&r->work, 0);
}

static int make_dirs(struct daemon *d, struct err *err)
{
	const char *sub = berth_daemons[d->def->which].subdir;
	int r;

	r = mkdir_secure(d->paths.root, 0711, err);
	if (r < 0)
		return r;
	r = mkdir_secure(d->paths.run, 0711, err);
	if (r < 0)
		return r;
	d->state_dir = xasprintf("%s/%s", d->paths.root, sub);
	return mkdir_secure(d->state_dir, 0700, err);
}

/* A burst of requests (a load, a hundred containers) leaves freed heap behind. */
static void on_trim(uv_timer_t *t)
{
	(void)t;
	malloc_trim(0);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	log_info("%s: shutting down", strsignal(signum));
	server_stop(&d->srv);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->trim, NULL);
	uv_stop(&d->loop);
}

static int srv_info(struct server *s, cJSON *out, struct err *err)
{
	struct daemon *d = s->ctx;
	cleanup_free char *privs = priv_describe();

	cJSON_AddStringToObject(out, "root", d->paths.root);
	cJSON_AddStringToObject(out, "run", d->paths.run);
	cJSON_AddStringToObject(out, "privileges", privs);
	return d->def->info ? d->def->info(d, out, err) : 0;
}

static int setup(struct daemon *d, struct err *err)
{
	cleanup_free char *pid = NULL;
	cleanup_free char *privs = NULL;
	int r;

	if (geteuid() != 0)
		return err_set(err, EPERM, "must run as root (euid is %u)", (unsigned)geteuid());
	r = make_dirs(d, err);
	if (r < 0)
		return r;
	resolve_group(d);
	d->socket = paths_socket(&d->paths, d->def->which);
	d->pidfile = paths_pidfile(&d->paths, d->def->which);
	r = uv_loop_init(&d->loop);
	if (r < 0)
		return err_set(err, -r, "uv_loop_init: %s", uv_strerror(r));
	server_init(&d->srv, &d->loop, &d->ops, d);
	d->srv.policy = &d->policy;
	d->srv.apid_uid = resolve_apid_uid(d);
	policy_refresh(&d->policy);
	d->loop_ready = true;
	r = server_listen(&d->srv, d->socket, d->gid, err);
	if (r < 0)
		return r;
	if (!d->foreground) {
		r = service_daemonize(err);
		if (r < 0)
			return r;
		log_init(d->ops.name, false, log_get_level());
	}
	pid = xasprintf("%d\n", (int)getpid());
	r = atomic_write_file(d->pidfile, pid, strlen(pid), 0644, err);
	if (r < 0)
		return r;
	d->pid_written = true;
	if (d->def->init) {
		r = d->def->init(d, err);
		if (r < 0)
			return r;
	}
	r = priv_drop(d->def->priv, err);
	if (r < 0)
		return err_wrap(err, "drop privileges");
	privs = priv_describe();
	log_info("kept %s", privs);
	r = server_start(&d->srv, err);
	if (r < 0)
		return r;
	uv_signal_init(&d->loop, &d->sigterm);
	uv_signal_init(&d->loop, &d->sigint);
	d->sigterm.data = d->sigint.data = d;
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_timer_init(&d->loop, &d->trim);
	uv_timer_start(&d->trim, on_trim, 5000, 5000);
	uv_unref((uv_handle_t *)&d->trim);
	signal(SIGPIPE, SIG_IGN);
	log_info("%s %s serving %s%s (root %s, run %s)", d->ops.name, PACKAGE_VERSION, d->socket,
		 d->srv.activated ? " (socket activated)" : "", d->paths.root, d->paths.run);
	service_notify_ready();
	return 0;
}

static void teardown(struct daemon *d)
{
	if (d->def->fini)
		d->def->fini(d);
	if (d->loop_ready) {
		server_stop(&d->srv);
		uv_run(&d->loop, UV_RUN_DEFAULT); /* let close callbacks run */
		if (uv_loop_close(&d->loop) < 0)
			log_warnx("event loop still had open handles at exit");
	}
	if (d->pid_written)
		unlink(d->pidfile);
	free(d->state_dir);
	free(d->socket);
	free(d->pidfile);
	free(d->group);
	free(d->apid_user);
	policy_free(&d->policy);
	paths_free(&d->paths);
}

int daemon_main(int argc, char **argv, const struct daemon_def *def)
{
	struct daemon d;
	struct err err = ERR_INIT;
	int level, rc;

	memset(&d, 0, sizeof(d));
	d.def = def;
	d.ops.name = berth_daemons[def->which].binary;
	d.ops.role = daemon_roles[def->which];
	d.ops.accept_roles = def->accept_roles;
	d.ops.table = def->table;
	d.ops.info = srv_info;
	d.ops.conn_closed = def->conn_closed;
	d.ops.audit = audit_relay;
	rc = parse_args(&d, argc, argv, &level);
	if (rc >= 0) {
		free(d.group);
		free(d.apid_user);
		return rc;
	}
	log_init(d.ops.name, true, (enum log_level)level);
	if (setup(&d, &err) < 0) {
		log_error("%s", err_msg(&err));
		err_clear(&err);
		teardown(&d);
		return 1;
	}
	uv_run(&d.loop, UV_RUN_DEFAULT);
	teardown(&d);
	log_info("stopped");
	return 0;
}
