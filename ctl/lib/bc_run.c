/* libberthclient: run's orchestration: the image (pulled if missing), create, start, wait. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bclient.h"
#include "common/cleanup.h"
#include "proto/tags.h"

bool bc_image_present(const struct berth_paths *p, const char *ref)
{
	struct err err = ERR_INIT;
	struct client c;
	struct frame f;
	struct pbuf pb;
	bool present = true;

	if (bc_connect(p, DAEMON_IMAGED, &c, &err) < 0) {
		err_clear(&err);
		return true;
	}
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, ref);
	if (client_call(&c, MSG_IMAGE_INSPECT, &pb, NULL, 0, &f, &err) == 0)
		frame_release(&f);
	else
		present = err.code != ENOENT;
	err_clear(&err);
	client_close(&c);
	return present;
}

int bc_pull(const struct berth_paths *p, const struct bc_pull *pull, struct err *err)
{
	cleanup_free char *kept = NULL;
	const char *auth = pull->auth;
	struct pbuf pb;
	int r;

	if (pull->all_tags &&
	    (strchr(pull->ref, '@') || strrchr(pull->ref, ':') > strrchr(pull->ref, '/')))
		return err_set(err, BC_BADARG,
			       "pull --all-tags takes a repository name without a tag");
	if (!auth)
		auth = kept = bc_registry_auth(pull->ref);
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, pull->ref);
	if (pull->platform)
		pb_put_str(&pb, TAG_FORMAT, pull->platform);
	if (pull->all_tags)
		pb_put_u32(&pb, TAG_ALL, 1);
	if (auth)
		pb_put_str(&pb, TAG_KEY, auth);
	r = bc_job(p, MSG_IMAGE_PULL, &pb, -1, pull->on_line, pull->arg, NULL, err);
	if (kept)
		explicit_bzero(kept, strlen(kept));
	return r;
}

int bc_push(const struct berth_paths *p, const char *ref, const char *auth, bc_line_fn on_line,
	    void *arg, struct err *err)
{
	cleanup_free char *kept = NULL;
	struct pbuf pb;
	int r;

	if (!auth)
		auth = kept = bc_registry_auth(ref);
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, ref);
	if (auth)
		pb_put_str(&pb, TAG_KEY, auth);
	r = bc_job(p, MSG_IMAGE_PUSH, &pb, -1, on_line, arg, NULL, err);
	if (kept)
		explicit_bzero(kept, strlen(kept));
	return r;
}

int bc_create(const struct berth_paths *p, const struct bc_create *cr, char id[65], struct err *err)
{
	const char *image = cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(cr->req, "Config"), "Image"));
	const char *policy = cr->pull ? cr->pull : "missing";
	bool always = !strcmp(policy, "always");
	cleanup_cjson cJSON *out = NULL;
	cleanup_free char *text = NULL;
	const char *got;
	struct pbuf pb;

	if (strcmp(policy, "missing") && strcmp(policy, "always") && strcmp(policy, "never"))
		return err_set(err, BC_BADARG, "invalid pull policy '%s' (always, missing, never)",
			       policy);
	/* a missing image is pulled first (always: every time), with its progress */
	if (image && strcmp(policy, "never") && (always || !bc_image_present(p, image))) {
		struct bc_pull pull = {.ref = image, .on_line = cr->on_line, .arg = cr->arg};

		if (!always && cr->missing)
			cr->missing(image, cr->arg);
		if (bc_pull(p, &pull, err) < 0)
			return -err->code;
	}
	text = cJSON_PrintUnformatted(cr->req);
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text);
	if (bc_call(p, DAEMON_CONTAINERD, MSG_CONTAINER_CREATE, &pb, &out, NULL, NULL, err) < 0)
		return -err->code;
	got = cJSON_GetStringValue(cJSON_GetObjectItem(out, "Id"));
	if (!got || strlen(got) > 64)
		return err_set(err, EPROTO, "berth-containerd gave no container id");
	snprintf(id, 65, "%s", got);
	return 0;
}

int bc_start(const struct berth_paths *p, const char *ref, bool attach, cJSON **out, int *fd,
	     struct err *err)
{
	int fds[PROTO_MAX_FDS];
	unsigned nfds = 0;
	struct pbuf pb;

	*fd = -1;
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, ref);
	pb_put_u32(&pb, TAG_STREAM, attach);
	if (bc_call(p, DAEMON_CONTAINERD, MSG_CONTAINER_START, &pb, out, fds, &nfds, err) < 0)
		return -err->code;
	for (unsigned i = attach ? 1 : 0; i < nfds; i++)
		close(fds[i]);
	if (!attach)
		return 0;
	if (nfds < 1)
		return err_set(err, EPROTO, "berth-containerd did not hand over the container");
	*fd = fds[0];
	return 0;
}

int bc_inspect(const struct berth_paths *p, const char *ref, cJSON **out, struct err *err)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, ref);
	if (bc_call(p, DAEMON_CONTAINERD, MSG_CONTAINER_INSPECT, &pb, out, NULL, NULL, err) < 0)
		return -err->code;
	return 0;
}

static const char *bare_id(const char *id)
{
	return id && !strncmp(id, "sha256:", 7) ? id + 7 : id ? id : "";
}

int bc_disk_usage(const struct berth_paths *p, cJSON **doc, struct err *err)
{
	cJSON *ctrs = NULL, *imgs = NULL, *vols = NULL, *i;
	const cJSON *k;
	struct pbuf pb;

	*doc = NULL;
	pb_init(&pb);
	pb_put_u32(&pb, TAG_ALL, 1); /* with sizes */
	if (bc_call(p, DAEMON_CONTAINERD, MSG_CONTAINER_LIST, &pb, &ctrs, NULL, NULL, err) < 0)
		goto fail;
	pb_init(&pb);
	pb_put_u32(&pb, TAG_ALL, 1);
	if (bc_call(p, DAEMON_IMAGED, MSG_IMAGE_LIST, &pb, &imgs, NULL, NULL, err) < 0)
		goto fail;
	pb_init(&pb);
	pb_put_u32(&pb, TAG_ALL, 1);
	if (bc_call(p, DAEMON_CONTAINERD, MSG_VOLUME_LIST, &pb, &vols, NULL, NULL, err) < 0)
		goto fail;
	cJSON_ArrayForEach (i, imgs) {
		const char *iid = bare_id(cJSON_GetStringValue(cJSON_GetObjectItem(i, "Id")));
		int used = 0;

		cJSON_ArrayForEach (k, ctrs)
			used += !strcmp(
			    bare_id(cJSON_GetStringValue(cJSON_GetObjectItem(k, "ImageID"))), iid);
		cJSON_AddNumberToObject(i, "Containers", used);
	}
	*doc = cJSON_CreateObject();
	cJSON_AddItemToObject(*doc, "Images", imgs);
	cJSON_AddItemToObject(*doc, "Containers", ctrs);
	cJSON_AddItemToObject(*doc, "Volumes", vols);
	return 0;
fail:
	cJSON_Delete(ctrs);
	cJSON_Delete(imgs);
	cJSON_Delete(vols);
	return -err->code;
}

int bc_wait_removed(const struct berth_paths *p, const char *ref, struct err *err)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, ref);
	pb_put_u32(&pb, TAG_ALL, 1);
	return bc_call(p, DAEMON_CONTAINERD, MSG_CONTAINER_WAIT, &pb, NULL, NULL, NULL, err);
}
