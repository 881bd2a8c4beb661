/*
 * The instructions of a Dockerfile stage: configuration steps change the
 * stage's config (committed with the next layer, or at the end), RUN runs
 * a container, COPY and ADD commit a layer tar made here.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "bc_session.h"
#include "bclient.h"
#include "proto/proto.h"
#include "proto/tags.h"

/* The expanded words of the instruction (shell form), or its JSON strings. */
static int words(struct builder *b, struct stage *s, const struct df_instr *in, cJSON **out,
		 struct err *err)
{
	cleanup_cjson cJSON *vars = s ? bld_vars(s) : cJSON_Duplicate(b->global_args, true);

	if (in->json) {
		*out = cJSON_CreateArray();
		for (size_t i = 0; i < in->nargs; i++) {
			char *w;

			if (df_expand(in->args[i], vars, b->df.escape, &w, err) < 0) {
				cJSON_Delete(*out);
				return -err->code;
			}
			cJSON_AddItemToArray(*out, cJSON_CreateString(w));
			free(w);
		}
		return 0;
	}
	return df_words(in->rest, vars, b->df.escape, true, out, err);
}

/* KEY=VALUE pairs (ENV, LABEL) or the old "KEY VALUE" form. */
static int pairs(struct builder *b, struct stage *s, const struct df_instr *in, cJSON **out,
		 struct err *err)
{
	cleanup_cjson cJSON *w = NULL;
	const cJSON *it;

	if (words(b, s, in, &w, err) < 0)
		return -err->code;
	*out = cJSON_CreateArray();
	if (!strchr(cJSON_GetStringValue(cJSON_GetArrayItem(w, 0)) ?: "", '=')) {
		/* ENV KEY the rest of the line */
		cleanup_cjson cJSON *vars = bld_vars(s);
		const char *rest = in->rest + strcspn(in->rest, " \t");
		char *val = NULL, *kv;

		rest += strspn(rest, " \t");
		if (!*rest || df_expand(rest, vars, b->df.escape, &val, err) < 0) {
			cJSON_Delete(*out);
			return err->code ? -err->code
					 : err_set(err, EINVAL, "%s needs a value", in->cmd);
		}
		kv = xasprintf("%s=%s", cJSON_GetStringValue(cJSON_GetArrayItem(w, 0)), val);
		cJSON_AddItemToArray(*out, cJSON_CreateString(kv));
		free(kv);
		free(val);
		return 0;
	}
	cJSON_ArrayForEach (it, w) {
		if (!strchr(it->valuestring, '=') || it->valuestring[0] == '=') {
			cJSON_Delete(*out);
			return err_set(err, EINVAL, "%s: '%s' is not KEY=VALUE", in->cmd,
				       it->valuestring);
		}
		cJSON_AddItemToArray(*out, cJSON_CreateString(it->valuestring));
	}
	return 0;
}

static void key_split(const char *kv, char **k, const char **v)
{
	const char *eq = strchr(kv, '=');

	*k = xstrndup(kv, (size_t)(eq - kv));
	*v = eq + 1;
}

static int step_env_label(struct builder *b, struct stage *s, const struct df_instr *in,
			  struct err *err)
{
	cleanup_cjson cJSON *kvs = NULL;
	const cJSON *it;
	bool env = !strcmp(in->cmd, "ENV");
	cJSON *labels;

	if (pairs(b, s, in, &kvs, err) < 0)
		return -err->code;
	labels = cJSON_GetObjectItem(s->config, "Labels");
	if (!env && !cJSON_IsObject(labels)) {
		cJSON_DeleteItemFromObject(s->config, "Labels");
		labels = cJSON_AddObjectToObject(s->config, "Labels");
	}
	cJSON_ArrayForEach (it, kvs) {
		cleanup_free char *k = NULL;
		const char *v;

		key_split(it->valuestring, &k, &v);
		if (env)
			bld_set_env(s->config, k, v);
		else
			bld_set_str(labels, k, v);
	}
	return 0;
}

/* ARG NAME[=default]: --build-arg wins, then the default, then a global ARG of that name. */
static int step_arg(struct builder *b, struct stage *s, const struct df_instr *in, struct err *err)
{
	cleanup_cjson cJSON *w = NULL;
	const cJSON *it;

	if (words(b, s, in, &w, err) < 0)
		return -err->code;
	cJSON_ArrayForEach (it, w) {
		cleanup_free char *k = NULL;
		const char *def = NULL, *given;

		if (strchr(it->valuestring, '='))
			key_split(it->valuestring, &k, &def);
		else
			k = xstrdup(it->valuestring);
		given = cJSON_GetStringValue(cJSON_GetObjectItem(b->build_args, k));
		if (given)
			cJSON_AddTrueToObject(b->used_args, k);
		if (!given && !def && s)
			def = cJSON_GetStringValue(cJSON_GetObjectItem(b->global_args, k));
		cJSON_DeleteItemFromObject(s ? s->args : b->global_args, k);
		if (given || def)
			cJSON_AddStringToObject(s ? s->args : b->global_args, k,
						given ? given : def);
	}
	return 0;
}

static int step_command(struct builder *b, struct stage *s, const struct df_instr *in,
			struct err *err)
{
	const char *key = !strcmp(in->cmd, "CMD") ? "Cmd" : "Entrypoint";
	cJSON *v = in->json ? bld_exec_form(in) : bld_shell_form(s, in->rest);

	(void)b;
	(void)err;
	cJSON_DeleteItemFromObject(s->config, key);
	cJSON_AddItemToObject(s->config, key, v);
	if (key[0] == 'C')
		s->cmd_set = true;
	else if (!s->cmd_set)
		cJSON_DeleteItemFromObject(s->config, "Cmd"); /* the base's CMD goes with it */
	return 0;
}

static int step_single(struct builder *b, struct stage *s, const struct df_instr *in,
		       struct err *err)
{
	cleanup_cjson cJSON *vars = bld_vars(s);
	cleanup_free char *v = NULL;

	if (df_expand(in->rest, vars, b->df.escape, &v, err) < 0)
		return -err->code;
	if (!strcmp(in->cmd, "USER")) {
		bld_set_str(s->config, "User", v);
	} else if (!strcmp(in->cmd, "STOPSIGNAL")) {
		bld_set_str(s->config, "StopSignal", v);
	} else if (!strcmp(in->cmd, "WORKDIR")) {
		const char *cur =
		    cJSON_GetStringValue(cJSON_GetObjectItem(s->config, "WorkingDir"));
		cleanup_free char *abs =
		    v[0] == '/' ? xstrdup(v) : xasprintf("%s/%s", cur && *cur ? cur : "", v);

		for (size_t n = strlen(abs); n > 1 && abs[n - 1] == '/'; n--)
			abs[n - 1] = '\0';
		bld_set_str(s->config, "WorkingDir", abs);
	}
	return 0;
}

static int step_expose_volume(struct builder *b, struct stage *s, const struct df_instr *in,
			      struct err *err)
{
	cleanup_cjson cJSON *w = NULL;
	bool expose = !strcmp(in->cmd, "EXPOSE");
	const char *key = expose ? "ExposedPorts" : "Volumes";
	cJSON *o = cJSON_GetObjectItem(s->config, key);
	const cJSON *it;

	if (words(b, s, in, &w, err) < 0)
		return -err->code;
	if (!cJSON_IsObject(o)) {
		cJSON_DeleteItemFromObject(s->config, key);
		o = cJSON_AddObjectToObject(s->config, key);
	}
	cJSON_ArrayForEach (it, w) {
		cleanup_free char *name = NULL;

		if (expose) {
			char *end;
			long port = strtol(it->valuestring, &end, 10);

			if (port < 1 || port > 65535 ||
			    (*end && strcmp(end, "/tcp") && strcmp(end, "/udp") &&
			     strcmp(end, "/sctp") && *end != '-'))
				return err_set(err, EINVAL, "EXPOSE: invalid port '%s'",
					       it->valuestring);
			name = xasprintf("%s%s", it->valuestring,
					 strchr(it->valuestring, '/') ? "" : "/tcp");
		} else {
			if (it->valuestring[0] != '/')
				return err_set(err, EINVAL, "VOLUME: '%s' is not an absolute path",
					       it->valuestring);
			name = xstrdup(it->valuestring);
		}
		cJSON_DeleteItemFromObject(o, name);
		cJSON_AddItemToObject(o, name, cJSON_CreateObject());
	}
	return 0;
}

static int step_shell(struct builder *b, struct stage *s, const struct df_instr *in,
		      struct err *err)
{
	(void)b;
	if (!in->json || in->nargs == 0)
		return err_set(err, EINVAL,
			       "SHELL needs the JSON form: SHELL [\"/bin/sh\", \"-c\"]");
	cJSON_DeleteItemFromObject(s->config, "Shell");
	cJSON_AddItemToObject(s->config, "Shell", bld_exec_form(in));
	return 0;
}

/* "30s", "1m30s", "500ms" in nanoseconds; -1 when malformed. */
static double duration_ns(const char *v)
{
	double total = 0;

	while (*v) {
		char *end;
		double n = strtod(v, &end);

		if (end == v)
			return -1;
		if (!strncmp(end, "ms", 2)) {
			total += n * 1e6;
			end += 2;
		} else if (*end == 's') {
			total += n * 1e9;
			end++;
		} else if (*end == 'm') {
			total += n * 60e9;
			end++;
		} else if (*end == 'h') {
			total += n * 3600e9;
			end++;
		} else {
			return -1;
		}
		v = end;
	}
	return total;
}

static int step_healthcheck(struct builder *b, struct stage *s, const struct df_instr *in,
			    struct err *err)
{
	static const char *const durs[][2] = {{"interval", "Interval"},
					      {"timeout", "Timeout"},
					      {"start-period", "StartPeriod"},
					      {"start-interval", "StartInterval"}};
	cJSON *hc = cJSON_CreateObject(), *test = cJSON_AddArrayToObject(hc, "Test");
	const char *retries = df_flag(in, "retries");

	(void)b;
	if (!strcasecmp(in->rest, "NONE")) {
		cJSON_AddItemToArray(test, cJSON_CreateString("NONE"));
	} else if (strncasecmp(in->rest, "CMD", 3) || !isspace((unsigned char)in->rest[3])) {
		cJSON_Delete(hc);
		return err_set(err, EINVAL, "HEALTHCHECK: expected CMD or NONE");
	} else {
		const char *cmd = in->rest + 3 + strspn(in->rest + 3, " \t");
		cJSON *a = cmd[0] == '[' ? cJSON_Parse(cmd) : NULL, *it;

		if (cJSON_IsArray(a)) {
			cJSON_AddItemToArray(test, cJSON_CreateString("CMD"));
			cJSON_ArrayForEach (it, a)
				cJSON_AddItemToArray(
				    test, cJSON_CreateString(cJSON_GetStringValue(it) ?: ""));
		} else {
			cJSON_AddItemToArray(test, cJSON_CreateString("CMD-SHELL"));
			cJSON_AddItemToArray(test, cJSON_CreateString(cmd));
		}
		cJSON_Delete(a);
	}
	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		const char *v = df_flag(in, durs[i][0]);
		double ns = v ? duration_ns(v) : 0;

		if (ns < 0) {
			cJSON_Delete(hc);
			return err_set(err, EINVAL, "HEALTHCHECK --%s: '%s' is not a duration",
				       durs[i][0], v);
		}
		if (v)
			cJSON_AddNumberToObject(hc, durs[i][1], ns);
	}
	if (retries)
		cJSON_AddNumberToObject(hc, "Retries", atoi(retries));
	cJSON_DeleteItemFromObject(s->config, "Healthcheck");
	cJSON_AddItemToObject(s->config, "Healthcheck", hc);
	return 0;
}

static int step_onbuild(struct builder *b, struct stage *s, const struct df_instr *in,
			struct err *err)
{
	cJSON *ob = cJSON_GetObjectItem(s->config, "OnBuild");
	const char *trigger = in->orig + strcspn(in->orig, " \t");

	(void)b;
	trigger += strspn(trigger, " \t");
	if (!strncasecmp(trigger, "ONBUILD", 7) || !strncasecmp(trigger, "FROM", 4))
		return err_set(err, EINVAL, "ONBUILD %.4s is not allowed", trigger);
	if (!cJSON_IsArray(ob)) {
		cJSON_DeleteItemFromObject(s->config, "OnBuild");
		ob = cJSON_AddArrayToObject(s->config, "OnBuild");
	}
	cJSON_AddItemToArray(ob, cJSON_CreateString(trigger));
	return 0;
}

/* ---- RUN ---- */

/* The command of a RUN: exec form, a heredoc script, or the shell form (heredocs kept). */
static cJSON *run_command(struct builder *b, struct stage *s, const struct df_instr *in,
			  struct err *err)
{
	cleanup_free char *script = NULL;

	if (in->json)
		return bld_exec_form(in);
	if (in->nheredocs == 1 && !strncmp(in->rest, "<<", 2) &&
	    in->rest[strcspn(in->rest, " \t")] == '\0') {
		cleanup_cjson cJSON *vars = bld_vars(s);

		if (!in->heredocs[0].expand)
			return bld_shell_form(s, in->heredocs[0].body);
		if (df_expand_body(in->heredocs[0].body, vars, b->df.escape, &script, err) < 0)
			return NULL;
		return bld_shell_form(s, script);
	}
	script = xstrdup(in->rest);
	for (size_t i = 0; i < in->nheredocs; i++) {
		char *next =
		    xasprintf("%s\n%s%s", script, in->heredocs[i].body, in->heredocs[i].name);

		free(script);
		script = next;
	}
	return bld_shell_form(s, script);
}

static void remove_container(struct builder *b, const char *id)
{
	struct err err = ERR_INIT;
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, id);
	pb_put_u32(&pb, TAG_FORCE, 1);
	if (bc_call(b->paths, DAEMON_CONTAINERD, MSG_CONTAINER_REMOVE, &pb, NULL, NULL, NULL,
		    &err) < 0)
		fprintf(b->err_out ?: b->out, "warning: the step's container %.12s: %s\n", id,
			err_msg(&err));
	err_clear(&err);
}

static void step_output(int stream, const void *data, size_t n, void *arg)
{
	struct builder *b = arg;

	if (b->quiet)
		return;
	fwrite(data, 1, n, stream == 2 && b->err_out ? b->err_out : b->out);
	fflush(stream == 2 && b->err_out ? b->err_out : b->out);
}

/* Start the step's container attached; its output to the build's. */
static int run_attached(struct builder *b, const char *id, int *code, struct err *err)
{
	cleanup_cjson cJSON *out = NULL;
	int fd, rc;

	if (bc_start(b->paths, id, true, &out, &fd, err) < 0)
		return -err->code;
	{
		struct session ss = {
		    .fd = fd,
		    .req_id = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(out, "AttachId")),
		    .output = step_output,
		    .arg = b,
		};

		rc = session_run(&ss, code, err);
		close(fd);
	}
	return rc < 0 ? -err->code : 0;
}

static int step_run(struct builder *b, struct stage *s, const struct df_instr *in, struct err *err)
{
	cleanup_cjson cJSON *req = cJSON_CreateObject(), *out = NULL, *cmd = NULL;
	cleanup_free char *text = NULL, *id = NULL;
	cJSON *cfg, *hc, *env, *it;
	const char *net = df_flag(in, "network") ?: b->network;
	int code = 0, rc;
	struct pbuf pb;

	if (!s->manifest[0])
		return err_set(err, ENOENT, "RUN needs a shell, and this stage is FROM scratch");
	if (!(cmd = run_command(b, s, in, err)))
		return -err->code;
	cfg = cJSON_AddObjectToObject(req, "Config");
	cJSON_AddStringToObject(cfg, "Image", s->manifest);
	cJSON_AddItemToObject(cfg, "Cmd", steal_ptr(&cmd));
	cJSON_AddItemToObject(cfg, "Entrypoint", cJSON_CreateStringArray((const char *[]){""}, 1));
	env = cJSON_Duplicate(cJSON_GetObjectItem(s->config, "Env"), true);
	if (!env)
		env = cJSON_CreateArray();
	/* build args reach RUN as environment, not the image */
	cJSON_ArrayForEach (it, s->args) {
		char *kv = xasprintf("%s=%s", it->string, it->valuestring);
		bool shadowed = false;
		const cJSON *e;

		cJSON_ArrayForEach (e, env)
			shadowed =
			    shadowed || (!strncmp(e->valuestring, it->string, strlen(it->string)) &&
					 e->valuestring[strlen(it->string)] == '=');
		if (!shadowed)
			cJSON_AddItemToArray(env, cJSON_CreateString(kv));
		free(kv);
	}
	cJSON_AddItemToObject(cfg, "Env", env);
	if (cJSON_GetStringValue(cJSON_GetObjectItem(s->config, "WorkingDir")))
		cJSON_AddStringToObject(
		    cfg, "WorkingDir",
		    cJSON_GetStringValue(cJSON_GetObjectItem(s->config, "WorkingDir")));
	if (cJSON_GetStringValue(cJSON_GetObjectItem(s->config, "User")))
		cJSON_AddStringToObject(
		    cfg, "User", cJSON_GetStringValue(cJSON_GetObjectItem(s->config, "User")));
	/* docker build --memory, --cpu-shares, ...: the step's container's limits */
	hc = b->run_host_config ? cJSON_Duplicate(b->run_host_config, true) : cJSON_CreateObject();
	cJSON_AddItemToObject(req, "HostConfig", hc);
	cJSON_DeleteItemFromObjectCaseSensitive(hc, "NetworkMode");
	cJSON_AddStringToObject(hc, "NetworkMode", net && *net ? net : "bridge");
	text = cJSON_PrintUnformatted(req);
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text);
	if (bc_call(b->paths, DAEMON_CONTAINERD, MSG_CONTAINER_CREATE, &pb, &out, NULL, NULL, err) <
	    0)
		return err_wrap(err, "RUN: could not create the step's container");
	id = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(out, "Id")) ?: "");
	fflush(b->out);
	rc = run_attached(b, id, &code, err);
	if (rc == 0 && code == 0)
		rc = bld_commit(b, s, id, -1, NULL, err) < 0 ? -1 : 0;
	else if (rc == 0)
		err_set(err, EIO, "RUN %s: returned a non-zero code: %d", in->rest, code);
	else
		err_wrap(err, "RUN: the step's container did not run");
	/* a failed or interrupted step leaves no container (removing it kills what runs) */
	remove_container(b, id);
	return rc == 0 && code == 0 ? 0 : -err->code;
}

/* ---- COPY and ADD ---- */

static int parse_chown(struct builder *b, struct stage *s, const char *spec, struct copy_opts *o,
		       struct err *err);

static char *dest_path(const struct stage *s, const char *dest)
{
	const char *wd = cJSON_GetStringValue(cJSON_GetObjectItem(s->config, "WorkingDir"));
	cleanup_free char *abs =
	    dest[0] == '/' ? xstrdup(dest) : xasprintf("%s/%s", wd && *wd ? wd : "", dest);
	const char *p = abs;

	p += strspn(p, "/");
	return xasprintf("./%s", p);
}

/* COPY --from: the stage (by name or index) or an image. */
static int from_source(struct builder *b, const char *from, char ref[DIGEST_STR_LEN + 1],
		       struct err *err)
{
	char *end;
	long idx = strtol(from, &end, 10);
	cleanup_cjson cJSON *cfg = NULL;

	for (size_t i = 0; i < b->nstages; i++)
		if ((b->stages[i].name && !strcasecmp(b->stages[i].name, from)) ||
		    (!*end && idx >= 0 && (size_t)idx == i)) {
			if (!b->stages[i].manifest[0])
				return err_set(err, ENOENT, "stage %s has no files", from);
			snprintf(ref, DIGEST_STR_LEN + 1, "%s", b->stages[i].manifest);
			return 0;
		}
	if (!*end)
		return err_set(err, ENOENT, "no stage %s before this one", from);
	return bld_base_image(b, from, ref, &cfg, err);
}

static int copy_from(struct builder *b, struct layer_w *w, const char *image, const char *src,
		     const char *dest, const struct copy_opts *o, struct err *err)
{
	cleanup_free char *abs = src[0] == '/' ? xstrdup(src) : xasprintf("/%s", src);
	struct pbuf pb;
	int p[2], r;
	struct err jerr = ERR_INIT;

	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, image);
	pb_put_str(&pb, TAG_NAME, abs);
	if (client_send(&b->im, MSG_IMAGE_ARCHIVE, &pb, &p[1], 1, NULL, err) < 0) {
		close(p[0]);
		return -err->code;
	}
	r = lw_add_tar(w, p[0], true, dest, o, "COPY --from");
	close(p[0]);
	/* the job's own answer says best what went wrong */
	if (bld_im_wait(b, NULL, &jerr) < 0) {
		err_clear(err);
		*err = jerr;
		return -err->code;
	}
	return r;
}

static int step_copy(struct builder *b, struct stage *s, const struct df_instr *in, struct err *err)
{
	bool add = !strcmp(in->cmd, "ADD");
	struct copy_opts o = {.uid = -1, .gid = -1, .mode = -1, .unpack = add};
	cleanup_cjson cJSON *w = NULL;
	cleanup_free char *dest = NULL, *what = NULL;
	char content[DIGEST_STR_LEN + 1], image[DIGEST_STR_LEN + 1] = "";
	const char *from = df_flag(in, "from"), *chmod_ = df_flag(in, "chmod");
	const char *chown_ = df_flag(in, "chown");
	struct layer_w lw;
	int n, fd = -1, r;

	if (words(b, s, in, &w, err) < 0)
		return -err->code;
	n = cJSON_GetArraySize(w);
	if (n < 2)
		return err_set(err, EINVAL, "%s needs a source and a destination", in->cmd);
	if (chmod_) {
		char *end;

		o.mode = strtol(chmod_, &end, 8);
		if (*end || o.mode < 0 || o.mode > 07777)
			return err_set(err, EINVAL, "--chmod=%s: not an octal mode", chmod_);
	}
	if (chown_ && parse_chown(b, s, chown_, &o, err) < 0)
		return -err->code;
	if (from && from_source(b, from, image, err) < 0)
		return -err->code;
	dest = dest_path(s, cJSON_GetStringValue(cJSON_GetArrayItem(w, n - 1)));
	if (n > 2 && dest[strlen(dest) - 1] != '/')
		return err_set(err, EINVAL,
			       "%s with more than one source needs a destination ending in /",
			       in->cmd);
	if (lw_open(&lw, err) < 0) {
		lw_free(&lw);
		return -err->code;
	}
	r = 0;
	for (int i = 0; r == 0 && i < n - 1; i++) {
		const char *src = cJSON_GetStringValue(cJSON_GetArrayItem(w, i));

		if (!strncmp(src, "<<", 2)) {
			const char *name = src + 2 + strspn(src + 2, "-\"'");
			const struct df_heredoc *h = NULL;

			for (size_t j = 0; j < in->nheredocs; j++)
				if (!strncmp(in->heredocs[j].name, name,
					     strlen(in->heredocs[j].name)))
					h = &in->heredocs[j];
			if (!h) {
				r = err_set(err, EINVAL, "%s: no heredoc %s", in->cmd, src);
				break;
			}
			r = lw_add_bytes(&lw, dest, h->body, &o);
		} else if (strstr(src, "://")) {
			r = err_set(
			    err, ENOTSUP,
			    "ADD %s: berth build does not download files; fetch it into the "
			    "context and COPY it",
			    src);
		} else if (from) {
			if (strpbrk(src, "*?["))
				r = err_set(err, ENOTSUP,
					    "COPY --from: wildcards are not supported");
			else
				r = copy_from(b, &lw, image, src, dest, &o, err);
		} else if (!b->have_ctx) {
			r = err_set(err, ENOENT, "%s %s: the build has no context", in->cmd, src);
		} else {
			r = lw_add_context(&lw, &b->ctx, (const char *[]){src}, 1,
					   n > 2 && dest[strlen(dest) - 1] == '/' ? dest : dest, &o,
					   in->cmd);
		}
	}
	if (r == 0)
		r = lw_finish(&lw, content, &fd);
	lw_free(&lw);
	if (r < 0)
		return r;
	what = xasprintf("%s %s %s content %s", in->cmd, from ? image : "", dest, content);
	bld_chain_key(s, what);
	cJSON_AddItemToArray(s->pending, bld_history(in->orig, false));
	if (bld_cache_hit(b, s)) {
		close(fd);
		fprintf(b->out, " CACHED\n");
		return 0;
	}
	fputc('\n', b->out);
	return bld_commit(b, s, NULL, fd, NULL, err);
}

/* Names in --chown are looked up in the image's /etc/passwd and /etc/group. */
static long lookup_id(struct builder *b, struct stage *s, const char *file, const char *name,
		      struct err *err)
{
	char *end;
	long id = strtol(name, &end, 10);
	cleanup_free char *text = NULL;
	struct pbuf pb;
	struct err jerr = ERR_INIT;
	int p[2], r;

	if (!*end && id >= 0)
		return id;
	if (!s->manifest[0])
		return err_set(err, ENOENT, "--chown %s: the stage has no %s", name, file);
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, s->manifest);
	pb_put_str(&pb, TAG_NAME, file);
	if (client_send(&b->im, MSG_IMAGE_ARCHIVE, &pb, &p[1], 1, NULL, err) < 0) {
		close(p[0]);
		return -err->code;
	}
	r = tar_first_file(p[0], 1u << 20, &text, err);
	close(p[0]);
	if (bld_im_wait(b, NULL, &jerr) < 0 || r < 0) {
		err_clear(&jerr);
		err_clear(err);
		return err_set(err, ENOENT, "--chown: the image has no %s", file);
	}
	id = -1;
	for (char *line = strtok(text, "\n"); line && id < 0; line = strtok(NULL, "\n")) {
		char *colon = strchr(line, ':'), *f3;

		if (colon && (size_t)(colon - line) == strlen(name) &&
		    !strncmp(line, name, strlen(name)) && (f3 = strchr(colon + 1, ':')))
			id = strtol(f3 + 1, NULL, 10);
	}
	if (id < 0)
		return err_set(err, ENOENT, "--chown: no %s '%s' in %s",
			       file[5] == 'p' ? "user" : "group", name, file);
	return id;
}

static int parse_chown(struct builder *b, struct stage *s, const char *spec, struct copy_opts *o,
		       struct err *err)
{
	cleanup_free char *user = xstrdup(spec);
	char *group = strchr(user, ':');

	if (group)
		*group++ = '\0';
	if ((o->uid = lookup_id(b, s, "/etc/passwd", user, err)) < 0)
		return -err->code;
	o->gid = o->uid;
	if (group && (o->gid = lookup_id(b, s, "/etc/group", group, err)) < 0)
		return -err->code;
	return 0;
}

int bld_global_arg(struct builder *b, const struct df_instr *in, struct err *err)
{
	if (strcmp(in->cmd, "ARG"))
		return err_set(err, EINVAL, "%s before FROM", in->cmd);
	return step_arg(b, NULL, in, err);
}

/* ---- the dispatcher ---- */

int bld_step(struct builder *b, struct stage *s, const struct df_instr *in, struct err *err)
{
	static const struct {
		const char *cmd;
		int (*fn)(struct builder *, struct stage *, const struct df_instr *, struct err *);
	} config_steps[] = {
	    {"ENV", step_env_label},
	    {"LABEL", step_env_label},
	    {"ARG", step_arg},
	    {"CMD", step_command},
	    {"ENTRYPOINT", step_command},
	    {"USER", step_single},
	    {"WORKDIR", step_single},
	    {"STOPSIGNAL", step_single},
	    {"EXPOSE", step_expose_volume},
	    {"VOLUME", step_expose_volume},
	    {"SHELL", step_shell},
	    {"HEALTHCHECK", step_healthcheck},
	    {"ONBUILD", step_onbuild},
	};
	int r;

	if (!strcmp(in->cmd, "RUN")) {
		cleanup_cjson cJSON *cmd = run_command(b, s, in, err);
		cleanup_free char *text = NULL, *what = NULL;
		cleanup_cjson cJSON *vars = cJSON_Duplicate(s->args, true);
		cleanup_free char *argtext = cJSON_PrintUnformatted(vars);

		if (!cmd)
			return -err->code;
		text = cJSON_PrintUnformatted(cmd);
		what = xasprintf("RUN %s args %s", text, argtext);
		bld_chain_key(s, what);
		cJSON_AddItemToArray(s->pending, bld_history(in->orig, false));
		if (bld_cache_hit(b, s)) {
			fprintf(b->out, " CACHED\n");
			return 0;
		}
		fputc('\n', b->out);
		return step_run(b, s, in, err);
	}
	if (!strcmp(in->cmd, "COPY") || !strcmp(in->cmd, "ADD"))
		return step_copy(b, s, in, err);
	if (!strcmp(in->cmd, "MAINTAINER")) {
		fputc('\n', b->out);
		return 0;
	}
	for (size_t i = 0; i < sizeof(config_steps) / sizeof(config_steps[0]); i++) {
		if (strcmp(in->cmd, config_steps[i].cmd))
			continue;
		fputc('\n', b->out);
		r = config_steps[i].fn(b, s, in, err);
		if (r < 0)
			return r;
		if (strcmp(in->cmd, "ARG")) {
			cleanup_free char *text = cJSON_PrintUnformatted(s->config);

			bld_chain_key(s, text);
			cJSON_AddItemToArray(s->pending, bld_history(in->orig, true));
		} else {
			cleanup_free char *text = cJSON_PrintUnformatted(s->args);

			bld_chain_key(s, text);
		}
		return 0;
	}
	return err_set(err, EINVAL, "%s is not supported here", in->cmd);
}
