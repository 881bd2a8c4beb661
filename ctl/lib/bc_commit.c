/* libberthclient: commit and diff of a container (bc_commit.h). */
#include "config.h"

#include <string.h>

#include "bc_commit.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "proto/tags.h"

/* The container's image: its manifest digest (exact), else its id. */
static const char *image_of(const cJSON *rec)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(rec, "ImageManifest"))
		   ?: cJSON_GetStringValue(cJSON_GetObjectItem(rec, "Image")) ?: "";
}

/* What the new image runs: the container's configuration, without what is the container's own. */
static cJSON *image_config(const cJSON *rec)
{
	static const char *const drop[] = {
	    "Image",	    "Hostname",	 "Domainname", "AttachStdin", "AttachStdout",
	    "AttachStderr", "OpenStdin", "StdinOnce",  "Tty",	      NULL};
	cJSON *cfg = cJSON_Duplicate(cJSON_GetObjectItem(rec, "Config"), true);

	if (!cfg)
		return cJSON_CreateObject();
	for (const char *const *k = drop; *k; k++)
		cJSON_DeleteItemFromObject(cfg, *k);
	return cfg;
}

static int pause_call(const struct berth_paths *p, const char *id, uint16_t type, struct err *err)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, id);
	return bc_call(p, DAEMON_CONTAINERD, type, &pb, NULL, NULL, NULL, err);
}

int bc_commit(const struct berth_paths *p, const struct bc_commit *o, char **id, struct err *err)
{
	cleanup_cjson cJSON *rec = NULL, *args = cJSON_CreateObject(), *res = NULL;
	cleanup_free char *text = NULL;
	const char *cid, *state;
	bool paused = false;
	struct pbuf pb;
	int r;

	*id = NULL;
	if (bc_inspect(p, o->ref, &rec, err) < 0)
		return -err->code;
	cid = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "Id"));
	if (!cid)
		return err_set(err, EPROTO, "berth-containerd sent no record for %s", o->ref);
	state =
	    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "State"), "Status"));
	cJSON_AddItemToObject(args, "changes",
			      o->changes ? cJSON_Duplicate(o->changes, true) : cJSON_CreateArray());
	if (o->author)
		cJSON_AddStringToObject(args, "author", o->author);
	if (o->comment)
		cJSON_AddStringToObject(args, "comment", o->comment);
	cJSON_AddStringToObject(args, "parent", image_of(rec));
	cJSON_AddStringToObject(args, "key", cid);
	cJSON_AddItemToObject(args, "config", image_config(rec));
	cJSON_AddStringToObject(args, "created_by", o->created_by ? o->created_by : "berth commit");
	if (o->name && *o->name)
		cJSON_AddItemToArray(cJSON_AddArrayToObject(args, "names"),
				     cJSON_CreateString(o->name));
	if (!o->no_pause && state && !strcmp(state, "running")) {
		if (pause_call(p, cid, MSG_CONTAINER_PAUSE, err) < 0)
			return -err->code;
		paused = true;
	}
	text = cJSON_PrintUnformatted(args);
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text);
	r = bc_job(p, MSG_IMAGE_COMMIT, &pb, -1, NULL, NULL, &res, err);
	if (paused) {
		struct err ignore = ERR_INIT;

		pause_call(p, cid, MSG_CONTAINER_UNPAUSE, &ignore);
		err_clear(&ignore);
	}
	if (r < 0)
		return r;
	*id = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(res, "id")) ?: "");
	return 0;
}

int bc_diff(const struct berth_paths *p, const char *ref, bc_line_fn on_line, void *arg,
	    struct err *err)
{
	cleanup_cjson cJSON *rec = NULL;
	struct pbuf pb;

	if (bc_inspect(p, ref, &rec, err) < 0)
		return -err->code;
	pb_init(&pb);
	pb_put_str(&pb, TAG_KEY, cJSON_GetStringValue(cJSON_GetObjectItem(rec, "Id")) ?: "");
	pb_put_str(&pb, TAG_REF, image_of(rec));
	return bc_job(p, MSG_SNAPSHOT_DIFF, &pb, -1, on_line, arg, NULL, err);
}
