/*
 * berth build: the client drives the build. It parses the Dockerfile, keeps
 * each stage's configuration, runs RUN steps as real berth containers
 * (containerd: same isolation as berth run), and asks imaged to commit each
 * step that changes the filesystem: the container's upper directory, or the
 * layer tar it made for COPY/ADD from the context it was given. Steps that
 * only change the configuration are folded into the next commit (each keeps
 * its history entry). Every step has a cache key (its parent's key, the
 * instruction as expanded, and for COPY/ADD the content digest of what it
 * copies); imaged keeps key -> image, so a rebuild with no change only asks.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "bclient.h"
#include "dockerfile.h"
#include "proto/proto.h"
#include "proto/tags.h"

int bld_fail_at(struct builder *b, const struct df_instr *in, struct err *err)
{
	return err_wrap(err, "%s:%d", b->df.name, in->line);
}

/* ---- talking to imaged ---- */

static int im_connect(struct builder *b, struct err *err)
{
	if (b->im_open)
		return 0;
	if (bc_connect(b->paths, DAEMON_IMAGED, &b->im, err) < 0)
		return -err->code;
	b->im_open = true;
	return 0;
}

/* Wait for the END of a job (its progress lines dropped); its result JSON in *out. */
int bld_im_wait(struct builder *b, cJSON **out, struct err *err)
{
	for (;;) {
		struct frame f;
		cleanup_free char *json = NULL;

		if (client_recv(&b->im, &f, err) < 0)
			return -err->code;
		if (f.flags & PF_END) {
			if (out && p_get_str(f.payload, f.len, TAG_JSON, &json, err) > 0)
				*out = cJSON_Parse(json);
			frame_release(&f);
			return 0;
		}
		if (!(f.flags & PF_STREAM)) {
			if (out && p_get_str(f.payload, f.len, TAG_JSON, &json, err) > 0)
				*out = cJSON_Parse(json);
			frame_release(&f);
			return 0;
		}
		frame_release(&f);
	}
}

int bld_im_call(struct builder *b, uint16_t type, struct pbuf *pb, int fd, cJSON **out,
		struct err *err)
{
	if (im_connect(b, err) < 0) {
		pb_free(pb);
		if (fd >= 0)
			close(fd);
		return -err->code;
	}
	if (client_send(&b->im, type, pb, &fd, fd >= 0 ? 1 : 0, NULL, err) < 0)
		return -err->code;
	return bld_im_wait(b, out, err);
}

/* The image's manifest digest and config, pulling it first when it is not here. */
int bld_base_image(struct builder *b, const char *ref, char manifest[DIGEST_STR_LEN + 1],
		   cJSON **config, struct err *err)
{
	struct pbuf pb;
	cleanup_cjson cJSON *o = NULL;
	int r;

	for (int attempt = 0; attempt < 2; attempt++) {
		if ((attempt || b->pull) && (attempt == 0 || !b->pull)) {
			cleanup_free char *reg = bc_registry_of(ref);
			/* the client's credentials for that registry (apid: X-Registry-Config) */
			struct bc_pull pull = {.ref = ref,
					       .auth = cJSON_GetStringValue(
						   cJSON_GetObjectItem(b->registry_auths, reg))};

			if (bc_pull(b->paths, &pull, err) < 0)
				return err_wrap(err, "could not pull %s", ref);
		}
		pb_init(&pb);
		pb_put_str(&pb, TAG_REF, ref);
		cJSON_Delete(o);
		o = NULL;
		err_clear(err);
		r = bld_im_call(b, MSG_IMAGE_INSPECT, &pb, -1, &o, err);
		if (r == 0)
			break;
		if (err->code != ENOENT || attempt)
			return r;
	}
	snprintf(manifest, DIGEST_STR_LEN + 1, "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(o, "Digest")) ?: "");
	*config = cJSON_DetachItemFromObject(o, "Config");
	if (!cJSON_IsObject(*config)) {
		cJSON_Delete(*config);
		*config = cJSON_CreateObject();
	}
	return 0;
}

/* ---- keys and history ---- */

void bld_chain_key(struct stage *s, const char *what)
{
	struct err e = ERR_INIT;
	cleanup_free char *text = xasprintf("%s\n%s", s->key, what);

	if (sha256_digest(text, strlen(text), s->key, &e) < 0)
		err_clear(&e);
}

cJSON *bld_history(const char *created_by, bool empty)
{
	cJSON *h = cJSON_CreateObject();

	cJSON_AddStringToObject(h, "created_by", created_by);
	if (empty)
		cJSON_AddTrueToObject(h, "empty_layer");
	return h;
}

/* What the cache says for the stage's key: on a hit the stage moves to that image. */
bool bld_cache_hit(struct builder *b, struct stage *s)
{
	struct err e = ERR_INIT;
	cleanup_cjson cJSON *o = NULL;
	struct pbuf pb;
	const char *m;

	if (b->no_cache)
		return false;
	pb_init(&pb);
	pb_put_str(&pb, TAG_KEY, s->key);
	if (bld_im_call(b, MSG_IMAGE_CACHE, &pb, -1, &o, &e) < 0 || !o) {
		err_clear(&e);
		return false;
	}
	m = cJSON_GetStringValue(cJSON_GetObjectItem(o, "manifest"));
	if (!m)
		return false;
	snprintf(s->manifest, sizeof(s->manifest), "%s", m);
	cJSON_Delete(s->config);
	s->config =
	    cJSON_Duplicate(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "config"), "config"), true);
	if (!s->config)
		s->config = cJSON_CreateObject();
	cJSON_Delete(s->pending);
	s->pending = cJSON_CreateArray();
	return true;
}

/* Commit the stage's state: from a container (key), a layer (fd) or configuration only. */
int bld_commit(struct builder *b, struct stage *s, const char *ctr, int layer_fd, cJSON *names,
	       struct err *err)
{
	cleanup_cjson cJSON *args = cJSON_CreateObject(), *o = NULL;
	cleanup_free char *text = NULL;
	struct pbuf pb;
	const char *m;

	cJSON_AddStringToObject(args, "parent", s->manifest);
	if (ctr)
		cJSON_AddStringToObject(args, "key", ctr);
	if (layer_fd >= 0)
		cJSON_AddTrueToObject(args, "layer");
	cJSON_AddItemToObject(args, "config", cJSON_Duplicate(s->config, true));
	cJSON_AddItemToObject(args, "history", cJSON_Duplicate(s->pending, true));
	cJSON_AddStringToObject(args, "cache", s->key);
	if (names)
		cJSON_AddItemToObject(args, "names", cJSON_Duplicate(names, true));
	text = cJSON_PrintUnformatted(args);
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text);
	if (bld_im_call(b, MSG_IMAGE_COMMIT, &pb, layer_fd, &o, err) < 0)
		return -err->code;
	m = cJSON_GetStringValue(cJSON_GetObjectItem(o, "manifest"));
	if (!m)
		return err_set(err, EIO, "berth-imaged did not say what it committed");
	snprintf(s->manifest, sizeof(s->manifest), "%s", m);
	cJSON_Delete(s->pending);
	s->pending = cJSON_CreateArray();
	return 0;
}

/* ---- variables ---- */

/* What ${X} sees in a stage: its ARGs, then its ENV (ENV wins, as in Docker). */
cJSON *bld_vars(const struct stage *s)
{
	cJSON *v = cJSON_Duplicate(s->args, true), *it;

	cJSON_ArrayForEach (it, cJSON_GetObjectItem(s->config, "Env")) {
		const char *kv = cJSON_GetStringValue(it), *eq = kv ? strchr(kv, '=') : NULL;

		if (eq) {
			cleanup_free char *k = xstrndup(kv, (size_t)(eq - kv));

			cJSON_DeleteItemFromObject(v, k);
			cJSON_AddStringToObject(v, k, eq + 1);
		}
	}
	return v;
}

void bld_set_str(cJSON *o, const char *key, const char *val)
{
	cJSON_DeleteItemFromObject(o, key);
	cJSON_AddStringToObject(o, key, val);
}

void bld_set_env(cJSON *cfg, const char *k, const char *v)
{
	cJSON *env = cJSON_GetObjectItem(cfg, "Env"), *it;
	size_t klen = strlen(k);
	int i = 0;

	if (!cJSON_IsArray(env)) {
		cJSON_DeleteItemFromObject(cfg, "Env");
		env = cJSON_AddArrayToObject(cfg, "Env");
	}
	cJSON_ArrayForEach (it, env) {
		const char *kv = cJSON_GetStringValue(it);

		if (kv && !strncmp(kv, k, klen) && kv[klen] == '=') {
			char *nkv = xasprintf("%s=%s", k, v);

			cJSON_ReplaceItemInArray(env, i, cJSON_CreateString(nkv));
			free(nkv);
			return;
		}
		i++;
	}
	{
		char *nkv = xasprintf("%s=%s", k, v);

		cJSON_AddItemToArray(env, cJSON_CreateString(nkv));
		free(nkv);
	}
}

/* The shell form as the stage's SHELL runs it. */
cJSON *bld_shell_form(const struct stage *s, const char *cmd)
{
	const cJSON *sh = cJSON_GetObjectItem(s->config, "Shell");
	cJSON *a = cJSON_IsArray(sh) && cJSON_GetArraySize(sh) ? cJSON_Duplicate(sh, true)
							       : cJSON_CreateArray();

	if (!cJSON_GetArraySize(a)) {
		cJSON_AddItemToArray(a, cJSON_CreateString("/bin/sh"));
		cJSON_AddItemToArray(a, cJSON_CreateString("-c"));
	}
	cJSON_AddItemToArray(a, cJSON_CreateString(cmd));
	return a;
}

cJSON *bld_exec_form(const struct df_instr *in)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < in->nargs; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(in->args[i]));
	return a;
}
