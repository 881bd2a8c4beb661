/*
 * logs, attach and exec: containerd checks the request and hands the client
 * what it needs as file descriptors (the log files, opened here; a
 * connection to the container's shim with the attach or exec already
 * asked), so container output never flows through containerd.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "proto/tags.h"

#define LOG_FDS_MAX (PROTO_MAX_FDS - 1)

static bool running(const struct ctr *k)
{
	return k->status == CS_RUNNING || k->status == CS_PAUSED;
}

/* The log files, oldest first: <id>-json.log.N ... .1, then <id>-json.log. */
static unsigned open_logs(struct ctr *k, int *fds, cJSON *sizes)
{
	cleanup_free char *dir = ctr_dir(k);
	unsigned n = 0;

	for (int i = LOG_FDS_MAX - 1; i >= 0 && n < LOG_FDS_MAX - 1; i--) {
		cleanup_free char *p = i ? xasprintf("%s/%s-json.log.%d", dir, k->id, i)
					 : xasprintf("%s/%s-json.log", dir, k->id);
		int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;

		if (fd < 0)
			continue;
		fstat(fd, &st);
		cJSON_AddItemToArray(sizes, cJSON_CreateNumber((double)st.st_size));
		fds[n++] = fd;
	}
	return n;
}

int h_CONTAINER_LOGS(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);
	int fds[LOG_FDS_MAX];
	uint32_t follow = 0;
	uint32_t att_id = 0;
	int att = -1;
	unsigned n;
	cJSON *o, *sizes;

	if (!k)
		return -err->code;
	if (ctr_logs_off(k))
		return err_set(err, EINVAL,
			       "container %s has no logs: its log driver is none, which keeps "
			       "nothing to read",
			       k->name);
	p_get_u32(f->payload, f->len, TAG_STREAM, &follow, err);
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "Tty", cJSON_IsTrue(ctr_cfg(k, "Config", "Tty")));
	/* following: attach first, so what is logged after the files end comes live */
	if (follow && k->status == CS_RUNNING) {
		att = shim_session(k, MSG_SHIM_ATTACH, NULL, &att_id, err);
		err_clear(err);
	}
	sizes = cJSON_AddArrayToObject(o, "Sizes");
	n = open_logs(k, fds, sizes);
	if (att >= 0) {
		cJSON_AddNumberToObject(o, "AttachId", att_id);
		fds[n++] = att;
	}
	conn_reply_json(c, f, o, fds, n);
	return 0;
}

int h_CONTAINER_ATTACH(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_for_use(c, f, err);
	uint32_t id = 0;
	int fd;
	cJSON *o;

	if (!k)
		return -err->code;
	if (!running(k))
		return err_set(err, EINVAL,
			       "container %s is not running: you cannot attach to a stopped "
			       "container, start it first",
			       k->name);
	fd = shim_session(k, MSG_SHIM_ATTACH, NULL, &id, err);
	if (fd < 0)
		return fd;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "AttachId", id);
	cJSON_AddBoolToObject(o, "Tty", cJSON_IsTrue(ctr_cfg(k, "Config", "Tty")));
	cJSON_AddBoolToObject(o, "OpenStdin", cJSON_IsTrue(ctr_cfg(k, "Config", "OpenStdin")));
	conn_reply_json(c, f, o, &fd, 1);
	return 0;
}

int h_CONTAINER_EXEC(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_for_use(c, f, err);
	cleanup_free char *text = NULL, *ptext = NULL;
	cleanup_cjson cJSON *req = NULL, *proc = NULL;
	struct pbuf pb;
	uint32_t id = 0;
	int fd;
	cJSON *o;

	if (!k)
		return -err->code;
	if (k->status == CS_PAUSED)
		return err_set(err, EINVAL, "container %s is paused: unpause it first", k->name);
	if (k->status != CS_RUNNING)
		return err_set(err, EINVAL, "container %s is not running", k->name);
	if (p_get_str(f->payload, f->len, TAG_JSON, &text, err) <= 0 || !(req = cJSON_Parse(text)))
		return err_set(err, EINVAL, "container.exec needs the process as JSON");
	if (conn_authorize(c, policy_check_exec, req, err) < 0)
		return -err->code;
	proc = spec_exec_process(k, req, err);
	if (!proc)
		return -err->code;
	ptext = cJSON_PrintUnformatted(proc);
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, ptext);
	fd = shim_session(k, MSG_SHIM_EXEC, &pb, &id, err);
	if (fd < 0)
		return fd;
	event_emit(k->cd, k, "exec_create", "command",
		   cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(req, "Cmd"), 0)));
	event_emit(k->cd, k, "exec_start", NULL, NULL);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "ExecId", id);
	conn_reply_json(c, f, o, &fd, 1);
	return 0;
}
