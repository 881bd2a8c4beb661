/* The runtime's state directory: <root>/<id>/{state.json, exit, exec.fifo}. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime.h"

const char *status_name(enum container_status s)
{
	static const char *const names[] = {"creating", "created", "running", "stopped"};

	return names[s];
}

char *state_dir(const char *root, const char *id)
{
	return xasprintf("%s/%s", root, id);
}

unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	cleanup_close int fd = -1;
	unsigned long long start = 0;
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[2] == 'Z' || p[2] == 'X')
		return 0; /* gone, or a zombie: no longer running */
	/* after ") " come state (field 3) ... starttime is field 22 */
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		start = strtoull(p, NULL, 10);
	return start;
}

int state_write(const char *root, const struct container_state *st, struct err *err)
{
	cleanup_free char *dir = state_dir(root, st->id);
	cleanup_free char *path = xasprintf("%s/state.json", dir);
	cleanup_cjson cJSON *doc = cJSON_CreateObject();
	cleanup_free char *text = NULL;

	cJSON_AddStringToObject(doc, "id", st->id);
	cJSON_AddStringToObject(doc, "bundle", st->bundle);
	cJSON_AddStringToObject(doc, "rootfs", st->rootfs);
	cJSON_AddStringToObject(doc, "cgroup", st->cgroup_path);
	cJSON_AddNumberToObject(doc, "pid", st->pid);
	cJSON_AddNumberToObject(doc, "start_time", (double)st->start_time);
	cJSON_AddStringToObject(doc, "created", st->created);
	if (st->annotations)
		cJSON_AddRawToObject(doc, "annotations", st->annotations);
	text = cJSON_PrintUnformatted(doc);
	return atomic_write_file(path, text, strlen(text), 0600, err);
}

static char *dup_str(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

int state_read(const char *root, const char *id, struct container_state *st, struct err *err)
{
	cleanup_free char *dir = state_dir(root, id);
	cleanup_free char *path = xasprintf("%s/state.json", dir);
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *ann;
	int r;

	memset(st, 0, sizeof(*st));
	r = read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, err);
	if (r < 0) {
		if (err->code == ENOENT)
			return err_set(err, ENOENT, "container %s does not exist", id);
		return r;
	}
	doc = cJSON_Parse(text);
	if (!doc)
		return err_set(err, EINVAL, "%s is corrupt", path);
	st->id = dup_str(doc, "id");
	st->bundle = dup_str(doc, "bundle");
	st->rootfs = dup_str(doc, "rootfs");
	st->cgroup_path = dup_str(doc, "cgroup");
	st->created = dup_str(doc, "created");
	st->pid = (pid_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "pid"));
	st->start_time = (unsigned long long)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(doc, "start_time"));
	ann = cJSON_GetObjectItemCaseSensitive(doc, "annotations");
	if (ann)
		st->annotations = cJSON_PrintUnformatted(ann);
	if (!st->id || !st->bundle || !st->cgroup_path)
		return err_set(err, EINVAL, "%s is missing fields", path);
	return 0;
}

void state_free(struct container_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->cgroup_path);
	free(st->created);
	free(st->annotations);
	memset(st, 0, sizeof(*st));
}

enum container_status state_status(const char *root, const struct container_state *st)
{
	cleanup_free char *dir = state_dir(root, st->id);
	cleanup_free char *fifo = xasprintf("%s/exec.fifo", dir);
	unsigned long long start;

	if (st->pid <= 0)
		return ST_CREATING;
	start = proc_start_time(st->pid);
	if (start == 0 || start != st->start_time)
		return ST_STOPPED;
	return access(fifo, F_OK) == 0 ? ST_CREATED : ST_RUNNING;
}

int exit_write(const char *root, const char *id, const struct exit_status *es, struct err *err)
{
	cleanup_free char *dir = state_dir(root, id);
	cleanup_free char *path = xasprintf("%s/exit", dir);
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "{\"exit_code\":%d,\"signal\":%d,\"oom_killed\":%s}\n",
			 es->code, es->signal, es->oom_killed ? "true" : "false");

	return atomic_write_file(path, buf, (size_t)n, 0644, err);
}

int exit_read(const char *root, const char *id, struct exit_status *es)
{
	cleanup_free char *dir = state_dir(root, id);
	cleanup_free char *path = xasprintf("%s/exit", dir);
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *doc = NULL;
	struct err err = ERR_INIT;

	if (read_file_at(AT_FDCWD, path, 4096, &text, NULL, &err) < 0) {
		err_clear(&err);
		return -1;
	}
	doc = cJSON_Parse(text);
	if (!doc)
		return -1;
	es->code = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "exit_code"));
	es->signal = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "signal"));
	es->oom_killed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "oom_killed"));
	return 0;
}
