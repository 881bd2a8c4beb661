/*
 * Spawning a container's shim and talking to it. Calls to a shim are short
 * (create, start, kill, delete answer in milliseconds) and made with the
 * blocking client with a timeout; what takes long (waiting for an exit) is
 * never a call: the shim writes the exit file and containerd's loop learns
 * of it through inotify (uv_fs_event), also after a restart.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/size.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "proto/tags.h"

#define SHIM_CALL_TIMEOUT_MS 30000

static const char *log_opt(const struct ctr *k, const char *key)
{
	const cJSON *lc = ctr_cfg(k, "HostConfig", "LogConfig");

	return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(lc, "Config"), key));
}

bool ctr_logs_off(const struct ctr *k)
{
	const char *type = cJSON_GetStringValue(
	    cJSON_GetObjectItem(ctr_cfg(k, "HostConfig", "LogConfig"), "Type"));

	return type && !strcmp(type, "none");
}

int shim_spawn(struct cd *cd, struct ctr *k, struct err *err)
{
	cleanup_free char *run = ctr_run_dir(k), *dir = ctr_dir(k);
	cleanup_free char *log = xasprintf("%s/%s-json.log", dir, k->id);
	const char *max_size = log_opt(k, "max-size"), *max_file = log_opt(k, "max-file");
	const char *argv[16];
	char max_buf[32];
	long long max_bytes;
	int n = 0, p[2], status;
	char out[1024];
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	argv[n++] = cd->shim_path;
	argv[n++] = "--id";
	argv[n++] = k->id;
	argv[n++] = "--bundle";
	argv[n++] = run;
	argv[n++] = "--state-dir";
	argv[n++] = run;
	argv[n++] = "--log-path";
	argv[n++] = ctr_logs_off(k) ? "none" : log;
	/* checked at create: "10m" or a number of bytes */
	if (max_size && size_parse(max_size, &max_bytes) == 0) {
		snprintf(max_buf, sizeof(max_buf), "%lld", max_bytes);
		argv[n++] = "--log-max-size";
		argv[n++] = max_buf;
	}
	if (max_file) {
		argv[n++] = "--log-max-files";
		argv[n++] = max_file;
	}
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return err_sys(err, "fork");
	}
	if (pid == 0) {
		sigset_t all;

		/* libuv blocks nothing, but a clean mask is the shim's due */
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(cd->shim_path, (char *const *)argv);
		dprintf(2, "exec %s: %s", cd->shim_path, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	while (got < sizeof(out) - 1 && (r = read(p[0], out + got, sizeof(out) - 1 - got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		got += (size_t)r;
	}
	close(p[0]);
	out[got] = '\0';
	out[strcspn(out, "\n")] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(err, EIO, "start the shim: %s", got ? out : "it died");
	log_debug("shim for %.12s is pid %s", k->id, out);
	return 0;
}

static int shim_client(struct ctr *k, struct client *c, struct err *err)
{
	cleanup_free char *run = ctr_run_dir(k), *sock = xasprintf("%s/shim.sock", run);

	if (client_connect(c, sock, ROLE_CONTAINERD, err) < 0)
		return err_wrap(err, "the shim of %.12s", k->id);
	return client_set_timeout(c, SHIM_CALL_TIMEOUT_MS, err);
}

bool shim_alive(struct ctr *k)
{
	cleanup_free char *run = ctr_run_dir(k), *pidfile = xasprintf("%s/shim.pid", run);
	cleanup_free char *text = NULL, *comm_path = NULL, *comm = NULL;
	struct err err = ERR_INIT;
	long pid;

	if (read_file_at(AT_FDCWD, pidfile, 64, &text, NULL, &err) < 0) {
		err_clear(&err);
		return false;
	}
	pid = strtol(text, NULL, 10);
	if (pid <= 0 || kill((pid_t)pid, 0) < 0)
		return false;
	/* a reused pid is not our shim */
	comm_path = xasprintf("/proc/%ld/cmdline", pid);
	if (read_file_at(AT_FDCWD, comm_path, 4096, &comm, NULL, &err) < 0) {
		err_clear(&err);
		return false;
	}
	return strstr(comm, "berth-shim") != NULL;
}

int shim_call(struct ctr *k, uint16_t type, struct pbuf *pb, cJSON **out, struct err *err)
{
	struct client c;
	struct frame f;
	cleanup_free char *text = NULL;
	int r;

	if (shim_client(k, &c, err) < 0) {
		if (pb)
			pb_free(pb);
		return -err->code;
	}
	r = client_call(&c, type, pb, NULL, 0, &f, err);
	client_close(&c);
	if (r < 0)
		return r;
	if (out) {
		p_get_str(f.payload, f.len, TAG_JSON, &text, err);
		*out = text ? cJSON_Parse(text) : NULL;
		if (!*out) {
			frame_release(&f);
			return err_set(err, EPROTO, "the shim of %.12s sent no JSON", k->id);
		}
	}
	frame_release(&f);
	return 0;
}

/* Hand the socket of c over: blocking, no timeout, no buffered frames. */
static int take_fd(struct client *c, struct err *err)
{
	int fd;

	if (client_set_timeout(c, 0, err) < 0) {
		client_close(c);
		return -err->code;
	}
	fd = c->fd;
	c->fd = -1;
	client_close(c);
	return fd;
}

int shim_session(struct ctr *k, uint16_t type, struct pbuf *pb, uint32_t *req_id, struct err *err)
{
	struct client c;

	if (shim_client(k, &c, err) < 0) {
		if (pb)
			pb_free(pb);
		return -err->code;
	}
	if (client_send(&c, type, pb, NULL, 0, req_id, err) < 0) {
		client_close(&c);
		return -err->code;
	}
	return take_fd(&c, err);
}

int shim_attach_conn(struct ctr *k, uint32_t *req_id, struct err *err)
{
	struct client c;
	struct frame f;

	if (shim_client(k, &c, err) < 0)
		return -err->code;
	if (client_send(&c, MSG_SHIM_ATTACH, NULL, NULL, 0, req_id, err) < 0)
		goto fail;
	/*
	 * Nothing runs yet (attach before start), so no frame comes before the
	 * PING's reply: once it is here the ATTACH is registered and the client
	 * will see every byte.
	 */
	if (client_call(&c, MSG_PING, NULL, NULL, 0, &f, err) < 0)
		goto fail;
	frame_release(&f);
	return take_fd(&c, err);
fail:
	client_close(&c);
	return -err->code;
}

static void on_run_dir_event(uv_fs_event_t *h, const char *file, int events, int status)
{
	struct ctr *k = h->data;

	if (status < 0 || !file || strcmp(file, "exit"))
		return;
	if (k->status == CS_RUNNING || k->status == CS_PAUSED)
		ctr_exited(k);
}

int exit_watch(struct ctr *k, struct err *err)
{
	cleanup_free char *run = ctr_run_dir(k);
	int r;

	if (!k->watching) {
		uv_fs_event_init(&k->cd->d->loop, &k->watch);
		k->watch.data = k;
		k->watching = true;
	}
	uv_fs_event_stop(&k->watch);
	r = uv_fs_event_start(&k->watch, on_run_dir_event, run, 0);
	if (r < 0)
		return err_set(err, -r, "watch %s: %s", run, uv_strerror(r));
	return 0;
}

void exit_unwatch(struct ctr *k)
{
	if (k->watching)
		uv_fs_event_stop(&k->watch);
}
