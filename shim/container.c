/* The container lifecycle: create, start, kill, delete, wait, state. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/clock.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "hooks.h"
#include "spawn.h"
#include "terminal.h"

static int check_id(const char *id, struct err *err)
{
	if (!*id || strlen(id) > 128 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return err_set(err, EINVAL, "invalid container id '%s'", id);
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return err_set(err, EINVAL,
				       "invalid container id '%s': use letters, digits, _ . -", id);
	return 0;
}

static int write_id_maps(pid_t pid, const struct spec *s, struct err *err)
{
	static const char *const files[] = {"uid_map", "gid_map"};

	for (int k = 0; k < 2; k++) {
		const struct spec_idmap *m = k ? s->gid_maps : s->uid_maps;
		size_t n = k ? s->ngid_maps : s->nuid_maps;
		char path[64], buf[4096];
		size_t len = 0;

		for (size_t i = 0; i < n && len < sizeof(buf) - 40; i++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n",
						m[i].container, m[i].host, m[i].size);
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[k]);
		if (cg_write("/", path + 1, buf, err) < 0)
			return err_wrap(err, "write linux.%s", k ? "gidMappings" : "uidMappings");
	}
	return 0;
}

static void rmrf_state(const char *dir)
{
	static const char *const files[] = {"state.json", "exit", "exec.fifo", "exec.done",
					    "hooks.json"};
	char path[4096];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static char *default_cgroup(const struct spec *s, const char *id)
{
	return s->cgroups_path ? xstrdup(s->cgroups_path) : xasprintf("berth/%s", id);
}

struct create_ctx {
	struct spec spec;
	struct cgroup cg;
	char *dir;
	bool dir_made, cg_made;
	pid_t pid;
	int sync[2];
	int master, slave, fifo, done;
	char pty_path[64];
};

static void ctx_cleanup(struct create_ctx *c, bool failed)
{
	struct err ignore = ERR_INIT;

	if (failed && c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (failed && c->cg_made)
		c->cg.ops->destroy(&c->cg, &ignore);
	if (failed && c->dir_made)
		rmrf_state(c->dir);
	err_clear(&ignore);
	for (int i = 0; i < 2; i++)
		if (c->sync[i] >= 0)
			close(c->sync[i]);
	if (c->slave >= 0)
		close(c->slave);
	if (c->fifo >= 0)
		close(c->fifo);
	if (c->done >= 0)
		close(c->done);
	if (c->master >= 0 && failed)
		close(c->master);
	cgroup_close(&c->cg);
	spec_free(&c->spec);
	free(c->dir);
}

static const cJSON *annotations_of(const struct spec *s)
{
	return cJSON_GetObjectItemCaseSensitive(s->doc, "annotations");
}

/* prestart and createRuntime, in the runtime's namespaces; then the state goes to the init. */
static int run_create_hooks(struct create_ctx *c, const char *id, struct err *err)
{
	cleanup_free char *state =
	    hooks_state(id, "creating", c->pid, c->spec.bundle, annotations_of(&c->spec));
	cleanup_free char *msg = NULL;
	size_t len = strlen(state);
	int r;

	r = hooks_run(c->spec.hooks, "prestart", state, err);
	if (r == 0)
		r = hooks_run(c->spec.hooks, "createRuntime", state, err);
	if (r < 0)
		return r;
	msg = xmalloc(len + 1);
	msg[0] = SYNC_STATE;
	memcpy(msg + 1, state, len);
	if (send(c->sync[0], msg, len + 1, MSG_NOSIGNAL) != (ssize_t)(len + 1))
		return err_sys(err, "send the state to the container's init");
	return 0;
}

/*
 * poststart and poststop run after create has returned: kept as they were at
 * create, so a config.json changed since does not change them.
 */
static int save_late_hooks(struct create_ctx *c, struct err *err)
{
	cleanup_cjson cJSON *doc = NULL;
	cleanup_free char *path = NULL, *text = NULL;
	static const char *const late[] = {"poststart", "poststop"};

	if (!hooks_have(c->spec.hooks, late[0]) && !hooks_have(c->spec.hooks, late[1]))
		return 0;
	doc = cJSON_CreateObject();
	for (int i = 0; i < 2; i++) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(c->spec.hooks, late[i]);

		if (h)
			cJSON_AddItemToObject(doc, late[i], cJSON_Duplicate(h, true));
	}
	text = cJSON_PrintUnformatted(doc);
	path = xasprintf("%s/hooks.json", c->dir);
	return atomic_write_file(path, text, strlen(text), 0600, err);
}

static cJSON *late_hooks_load(const char *root, const char *id)
{
	cleanup_free char *dir = state_dir(root, id);
	cleanup_free char *path = xasprintf("%s/hooks.json", dir), *text = NULL;
	struct err ignore = ERR_INIT;
	cJSON *doc = NULL;

	if (read_file_at(AT_FDCWD, path, SPEC_MAX_SIZE, &text, NULL, &ignore) == 0)
		doc = cJSON_Parse(text);
	err_clear(&ignore);
	return doc;
}

/* poststart and poststop: a failure is a warning, the lifecycle goes on (runtime spec). */
static void late_hooks_run(const cJSON *hooks, const char *kind, const char *id, pid_t pid,
			   const char *bundle, const cJSON *ann, const char *status)
{
	cleanup_free char *state = NULL;
	struct err err = ERR_INIT;

	if (!hooks_have(hooks, kind))
		return;
	state = hooks_state(id, status, pid, bundle, ann);
	if (hooks_run(hooks, kind, state, &err) < 0)
		fprintf(stderr, "berth-runtime: warning: %s\n", err_msg(&err));
	err_clear(&err);
}

static void late_hooks_run_st(const cJSON *hooks, const char *kind,
			      const struct container_state *st, const char *status)
{
	cleanup_cjson cJSON *ann = st->annotations ? cJSON_Parse(st->annotations) : NULL;

	late_hooks_run(hooks, kind, st->id, st->pid, st->bundle, ann, status);
}

/*
 * Everything up to the init being ready and held before exec. In run mode
 * (no fifo) the caller later sends SYNC_START on *sync_out.
 */
static int do_create(const struct container_opts *o, bool run_mode, struct create_ctx *c,
		     struct err *err)
{
	struct spawn_args a = {0};
	cleanup_free char *cgpath = NULL, *fifo = NULL;
	struct container_state st = {0};
	char tag, stamp[RFC3339_LEN];
	int r;

	r = check_id(o->id, err);
	if (r < 0)
		return r;
	r = spec_load(&c->spec, o->bundle, err);
	if (r < 0)
		return err_wrap(err, "bundle %s", o->bundle);
	r = seccomp_prepare(&c->spec, err);
	if (r < 0)
		return r;
	if (!c->spec.ns[NS_MOUNT].present &&
	    (c->spec.nmounts || c->spec.masked || c->spec.readonly || c->spec.readonly_root))
		fprintf(stderr,
			"berth-runtime: warning: no mount namespace: mounts, "
			"maskedPaths, readonlyPaths and root.readonly are not applied (they "
			"would change the host's mounts); the process is chrooted into "
			"root.path\n");
	if (c->spec.proc.terminal && !o->console_socket && !o->master_out && !run_mode)
		return err_set(err, EINVAL, "process.terminal needs --console-socket");
	if (mkdir(o->state_root, 0700) < 0 && errno != EEXIST)
		return err_sys(err, "create state root %s", o->state_root);
	c->dir = state_dir(o->state_root, o->id);
	if (mkdir(c->dir, 0700) < 0) {
		if (errno == EEXIST)
			return err_set(err, EEXIST, "container %s already exists", o->id);
		return err_sys(err, "create %s", c->dir);
	}
	c->dir_made = true;
	cgpath = default_cgroup(&c->spec, o->id);
	r = cgroup_open(&c->cg, cgpath, err);
	if (r < 0)
		return r;
	c->cg_made = true;
	r = c->cg.ops->create(&c->cg, &c->spec, err);
	if (r < 0)
		return err_wrap(err, "cgroup %s", cgpath);
	if (!run_mode) {
		fifo = xasprintf("%s/exec.fifo", c->dir);
		if (mkfifo(fifo, 0600) < 0)
			return err_sys(err, "mkfifo %s", fifo);
		c->fifo = open(fifo, O_RDWR | O_CLOEXEC);
		if (c->fifo < 0)
			return err_sys(err, "open %s", fifo);
		free(fifo);
		fifo = xasprintf("%s/exec.done", c->dir);
		if (mkfifo(fifo, 0600) < 0)
			return err_sys(err, "mkfifo %s", fifo);
		c->done = open(fifo, O_RDWR | O_CLOEXEC);
		if (c->done < 0)
			return err_sys(err, "open %s", fifo);
	}
	if (c->spec.proc.terminal) {
		r = pty_open(&c->master, &c->slave, c->pty_path, err);
		if (r < 0)
			return r;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sync) < 0)
		return err_sys(err, "socketpair");
	a.spec = &c->spec;
	a.cg = &c->cg;
	a.sync = c->sync[1];
	a.parent_sync = c->sync[0];
	a.fifo = c->fifo;
	a.done = c->done;
	a.pty_slave = c->slave;
	a.pty_path = c->pty_path;
	a.preserve_fds = o->preserve_fds;
	a.stdio = o->has_stdio ? o->stdio : NULL;
	a.cgroup_fd = c->cg.ops->clone_fd ? c->cg.ops->clone_fd(&c->cg) : -1;
	c->pid = spawn_init(&a, err);
	if (a.cgroup_fd >= 0)
		close(a.cgroup_fd);
	if (c->pid < 0) {
		c->pid = 0;
		return -err->code;
	}
	close(c->sync[1]);
	c->sync[1] = -1;
	if (c->done >= 0) {
		/* only the init may hold it: `start` reads until the init's copy closes */
		close(c->done);
		c->done = -1;
	}
	if (c->spec.ns[NS_USER].present && !c->spec.ns[NS_USER].path &&
	    (r = write_id_maps(c->pid, &c->spec, err)) < 0)
		return r;
	r = a.placed ? 0 : c->cg.ops->add(&c->cg, c->pid, err);
	if (r < 0)
		return r;
	if (sync_send(c->sync[0], SYNC_GO) < 0)
		return err_sys(err, "signal the container's init");
	r = sync_read(c->sync[0], &tag, err);
	if (r == 0 && tag == SYNC_HOOKS) {
		r = run_create_hooks(c, o->id, err);
		if (r == 0)
			r = sync_read(c->sync[0], &tag, err);
	}
	if (r < 0)
		return r;
	if (tag != SYNC_READY)
		return err_set(err, ECHILD, "the container's init died while being set up");
	if (c->master >= 0 && o->master_out && !o->console_socket) {
		*o->master_out = c->master;
		c->master = -1;
	}
	if (c->master >= 0 && o->console_socket) {
		r = console_socket_send(o->console_socket, c->master, err);
		if (r < 0)
			return r;
		close(c->master);
		c->master = -1;
	}
	st.id = (char *)o->id;
	st.bundle = c->spec.bundle;
	st.rootfs = c->spec.rootfs;
	st.cgroup_path = cgpath;
	st.pid = c->pid;
	st.start_time = proc_start_time(c->pid);
	st.created = xstrdup(rfc3339_now(stamp));
	{
		const cJSON *ann = cJSON_GetObjectItemCaseSensitive(c->spec.doc, "annotations");

		st.annotations = ann ? cJSON_PrintUnformatted(ann) : NULL;
	}
	r = state_write(o->state_root, &st, err);
	free(st.created);
	free(st.annotations);
	if (r == 0)
		r = save_late_hooks(c, err);
	if (r < 0)
		return r;
	if (o->pid_file) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d", (int)c->pid);

		r = atomic_write_file(o->pid_file, buf, (size_t)n, 0644, err);
		if (r < 0)
			return err_wrap(err, "--pid-file");
	}
	return 0;
}

static void init_ctx(struct create_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->sync[0] = c->sync[1] = -1;
	c->master = c->slave = c->fifo = c->done = -1;
}

int container_create(const struct container_opts *o, pid_t *pid_out, struct err *err)
{
	struct create_ctx c;
	int r;

	init_ctx(&c);
	r = do_create(o, false, &c, err);
	if (pid_out)
		*pid_out = c.pid;
	ctx_cleanup(&c, r < 0);
	return r;
}

/* Collect the init's exit and write the exit file. */
static int reap(const char *root, const char *id, pid_t pid, struct cgroup *cg,
		struct exit_status *es, struct err *err)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return err_sys(err, "wait for the container's init");
	memset(es, 0, sizeof(*es));
	if (WIFEXITED(status)) {
		es->code = WEXITSTATUS(status);
	} else {
		es->signal = WTERMSIG(status);
		es->code = 128 + es->signal;
	}
	es->oom_killed = cg && cg->ops->oom_kills(cg) > 0;
	return exit_write(root, id, es, err);
}

static int destroy(const char *root, const struct container_state *st, struct err *err)
{
	cleanup_free char *dir = state_dir(root, st->id);
	struct cgroup cg;
	int r = cgroup_open(&cg, st->cgroup_path, err);

	if (r < 0)
		return r;
	/* processes left behind (a daemonised child of init) go with the container */
	for (int i = 0; i < 500 && cg.ops->populated(&cg); i++) {
		struct timespec ts = {0, 2000000};

		cg.ops->kill_all(&cg, SIGKILL, err);
		err_clear(err);
		nanosleep(&ts, NULL);
	}
	r = cg.ops->destroy(&cg, err);
	cgroup_close(&cg);
	if (r < 0)
		return r;
	rmrf_state(dir);
	return 0;
}

int container_run(const struct container_opts *o, struct exit_status *es, bool keep,
		  struct err *err)
{
	struct create_ctx c;
	struct container_state st = {0};
	char tag = 0;
	int r;

	init_ctx(&c);
	r = do_create(o, true, &c, err);
	if (r < 0)
		goto out;
	if (sync_send(c.sync[0], SYNC_START) < 0) {
		r = err_sys(err, "start the container");
		goto out;
	}
	/* EOF: exec happened (the socket is close-on-exec); otherwise an error text */
	r = sync_read(c.sync[0], &tag, err);
	if (r == 0 && tag != 0)
		r = err_set(err, EPROTO, "unexpected message from the container's init");
	if (r < 0) {
		/* the init exits 126/127 after reporting; record that like any exit */
		struct err ignore = ERR_INIT;
		struct exit_status tmp;

		reap(o->state_root, o->id, c.pid, &c.cg, &tmp, &ignore);
		err_clear(&ignore);
		err->code = tmp.code == 127 ? ENOENT : err->code;
		es->code = tmp.code;
		c.pid = 0;
		goto out_delete;
	}
	late_hooks_run(c.spec.hooks, "poststart", o->id, c.pid, c.spec.bundle,
		       annotations_of(&c.spec), "running");
	if (c.master >= 0) {
		int pidfd = (int)syscall(SYS_pidfd_open, c.pid, 0);

		if (pidfd >= 0) {
			pty_proxy(c.master, pidfd, err);
			close(pidfd);
		}
	}
	r = reap(o->state_root, o->id, c.pid, &c.cg, es, err);
	c.pid = 0;
out_delete:
	if (!keep) {
		struct err derr = ERR_INIT;

		if (state_read(o->state_root, o->id, &st, &derr) == 0 &&
		    destroy(o->state_root, &st, &derr) == 0)
			late_hooks_run(c.spec.hooks, "poststop", o->id, st.pid, c.spec.bundle,
				       annotations_of(&c.spec), "stopped");
		state_free(&st);
		err_clear(&derr);
	}
	c.cg_made = false;
	c.dir_made = false;
out:
	ctx_cleanup(&c, r < 0);
	return r;
}

/* What the init wrote to exec.done before it died (empty once it exec'd): the reason. */
static int read_done(int fd, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	fcntl(fd, F_SETFL, 0);
	while (off < len - 1 && (n = read(fd, buf + off, len - 1 - off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	return (int)off;
}

/* The init reported why it could not exec and is exiting: by the time start
 * returns, state must say stopped, so wait (bounded) until it is gone. */
static void wait_init_gone(const struct container_state *st)
{
	cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	if (pidfd < 0 || proc_start_time(st->pid) != st->start_time)
		return;
	while (poll(&p, 1, 5000) < 0 && errno == EINTR)
		;
}

int container_start(const char *root, const char *id, struct err *err)
{
	struct container_state st;
	cleanup_free char *dir = NULL, *fifo = NULL, *done_path = NULL;
	cleanup_close int fd = -1, done = -1;
	cleanup_cjson cJSON *hooks = NULL;
	char why[4096];
	int r = state_read(root, id, &st, err);

	if (r < 0)
		return r;
	dir = state_dir(root, id);
	fifo = xasprintf("%s/exec.fifo", dir);
	done_path = xasprintf("%s/exec.done", dir);
	switch (state_status(root, &st)) {
	case ST_CREATED:
		break;
	case ST_RUNNING:
		r = err_set(err, EBUSY, "container %s is already running", id);
		goto out;
	default:
		r = err_set(err, ESRCH, "container %s is not in the created state", id);
		goto out;
	}
	/* a reader before the start: what the init writes cannot be lost */
	done = open(done_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	/* the init holds the fifo open for reading: this cannot block */
	fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = err_sys(err, "start %s", id);
		goto out;
	}
	if (unlink(fifo) < 0) {
		r = err_sys(err, "remove %s", fifo);
		goto out;
	}
	if (write(fd, "0", 1) != 1) {
		r = err_sys(err, "start %s", id);
		goto out;
	}
	if (done >= 0) {
		int n = read_done(done, why, sizeof(why));

		unlink(done_path);
		if (n > 0) {
			wait_init_gone(&st);
			r = err_set(err, ECANCELED, "%s", why);
			goto out;
		}
	}
	hooks = late_hooks_load(root, id);
	late_hooks_run_st(hooks, "poststart", &st, "running");
out:
	state_free(&st);
	return r;
}

int container_kill(const char *root, const char *id, int sig, bool all, struct err *err)
{
	struct container_state st;
	int r = state_read(root, id, &st, err);

	if (r < 0)
		return r;
	if (state_status(root, &st) == ST_STOPPED && !all) {
		state_free(&st);
		return err_set(err, ESRCH, "container %s is not running", id);
	}
	if (all) {
		struct cgroup cg;

		r = cgroup_open(&cg, st.cgroup_path, err);
		if (r == 0)
			r = cg.ops->kill_all(&cg, sig, err);
		cgroup_close(&cg);
	} else if (kill(st.pid, sig) < 0) {
		r = err_sys(err, "kill %s (pid %d)", id, (int)st.pid);
	}
	state_free(&st);
	return r;
}

int container_delete(const char *root, const char *id, bool force, struct err *err)
{
	cleanup_cjson cJSON *hooks = NULL;
	struct container_state st;
	enum container_status s;
	int r = state_read(root, id, &st, err);

	if (r < 0)
		return r;
	s = state_status(root, &st);
	if (s == ST_RUNNING && !force) {
		state_free(&st);
		return err_set(err, EBUSY,
			       "container %s is running: stop it first or use delete --force", id);
	}
	if (s != ST_STOPPED)
		kill(st.pid, SIGKILL);
	hooks = late_hooks_load(root, id);
	r = destroy(root, &st, err);
	if (r == 0)
		late_hooks_run_st(hooks, "poststop", &st, "stopped");
	state_free(&st);
	return r;
}

int container_cgroup(const char *root, const char *id, struct cgroup *cg, struct err *err)
{
	struct container_state st;
	int r = state_read(root, id, &st, err);

	if (r < 0)
		return r;
	r = cgroup_open(cg, st.cgroup_path, err);
	state_free(&st);
	return r;
}

int container_wait(const char *root, const char *id, pid_t pid, struct exit_status *es,
		   struct err *err)
{
	struct cgroup cg;
	int r = container_cgroup(root, id, &cg, err);

	if (r < 0)
		return r;
	r = reap(root, id, pid, &cg, es, err);
	cgroup_close(&cg);
	return r;
}

int container_state_json(const char *root, const char *id, char **out, struct err *err)
{
	struct container_state st;
	cleanup_cjson cJSON *doc = cJSON_CreateObject();
	enum container_status s;
	struct exit_status es;
	int r = state_read(root, id, &st, err);

	if (r < 0)
		return r;
	s = state_status(root, &st);
	cJSON_AddStringToObject(doc, "ociVersion", "1.0.2");
	cJSON_AddStringToObject(doc, "id", st.id);
	cJSON_AddStringToObject(doc, "status", status_name(s));
	cJSON_AddNumberToObject(doc, "pid", s == ST_STOPPED ? 0 : st.pid);
	cJSON_AddStringToObject(doc, "bundle", st.bundle);
	cJSON_AddStringToObject(doc, "rootfs", st.rootfs ? st.rootfs : "");
	cJSON_AddStringToObject(doc, "created", st.created ? st.created : "");
	if (st.annotations)
		cJSON_AddRawToObject(doc, "annotations", st.annotations);
	if (s == ST_STOPPED && exit_read(root, id, &es) == 0) {
		cJSON_AddNumberToObject(doc, "exitCode", es.code);
		cJSON_AddBoolToObject(doc, "oomKilled", es.oom_killed);
	}
	state_free(&st);
	*out = cJSON_Print(doc);
	return 0;
}
