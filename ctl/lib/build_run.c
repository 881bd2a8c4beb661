/*
 * The build as a library call (bc_build): the Dockerfile and context
 * loaded, the stages run in order up to the target, the result named. berth
 * build and berth-apid's POST /build are its front ends.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bc_session.h"
#include "bclient.h"
#include "build.h"
#include "common/cleanup.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "proto/proto.h"
#include "proto/tags.h"

int bc_read_all(FILE *f, char **out, size_t *out_len, size_t max, struct err *err)
{
	size_t len = 0, cap = 8192;
	char *buf = xmalloc(cap);
	size_t n;

	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len > max) {
			free(buf);
			return err_set(err, EFBIG, "the input is over %zu bytes", max);
		}
		if (cap - len < 4096)
			buf = xrealloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	*out = buf;
	if (out_len)
		*out_len = len;
	return 0;
}

/* linux/amd64 on x86_64, as image platforms spell it */
static const char *host_arch(void)
{
	static struct utsname u;

	if (uname(&u) < 0)
		return "amd64";
	if (!strcmp(u.machine, "x86_64"))
		return "amd64";
	if (!strcmp(u.machine, "aarch64"))
		return "arm64";
	return u.machine;
}

static void stage_free(struct stage *s)
{
	free(s->name);
	cJSON_Delete(s->config);
	cJSON_Delete(s->args);
	cJSON_Delete(s->pending);
}

static void print_step(struct builder *b, const struct df_instr *in)
{
	b->step++;
	fprintf(b->out, "[%zu/%zu] %s", b->step, b->nsteps, in->orig);
}

/* FROM [--platform=P] IMAGE [AS NAME] */
static int step_from(struct builder *b, struct stage *s, const struct df_instr *in, struct err *err)
{
	cleanup_cjson cJSON *w = NULL, *vars = cJSON_Duplicate(b->global_args, true);
	const char *image, *platform = df_flag(in, "platform");
	int n;

	if (df_words(in->rest, vars, b->df.escape, true, &w, err) < 0)
		return -err->code;
	n = cJSON_GetArraySize(w);
	if (n != 1 && !(n == 3 && !strcasecmp(cJSON_GetArrayItem(w, 1)->valuestring, "AS")))
		return err_set(err, EINVAL, "FROM: expected IMAGE [AS NAME]");
	image = cJSON_GetArrayItem(w, 0)->valuestring;
	if (!*image)
		return err_set(err, EINVAL, "FROM: the image name is empty (an unset ARG?)");
	if (platform && *platform) {
		cleanup_free char *p = NULL;

		if (df_expand(platform, vars, b->df.escape, &p, err) < 0)
			return -err->code;
		if (strncmp(p, "linux/", 6) || strncmp(p + 6, host_arch(), strlen(host_arch())))
			return err_set(err, ENOTSUP,
				       "FROM --platform=%s: this host builds linux/%s only", p,
				       host_arch());
	}
	if (n == 3) {
		s->name = xstrdup(cJSON_GetArrayItem(w, 2)->valuestring);
		for (char *c = s->name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	s->args = cJSON_CreateObject();
	s->pending = cJSON_CreateArray();
	if (!strcmp(image, "scratch")) {
		s->config = cJSON_CreateObject();
	} else {
		struct stage *named = NULL;

		for (size_t i = 0; i + 1 < b->nstages; i++)
			if (b->stages[i].name && !strcasecmp(b->stages[i].name, image))
				named = &b->stages[i];
		if (named) {
			snprintf(s->manifest, sizeof(s->manifest), "%s", named->manifest);
			s->config = cJSON_Duplicate(named->config, true);
		} else if (bld_base_image(b, image, s->manifest, &s->config, err) < 0) {
			return -err->code;
		}
	}
	{
		cleanup_free char *what =
		    xasprintf("FROM %s", s->manifest[0] ? s->manifest : "scratch");

		s->key[0] = '\0';
		bld_chain_key(s, what);
	}
	if (!b->quiet)
		fputc('\n', b->out);
	return 0;
}

/* ONBUILD triggers of the base run right after FROM. */
static int onbuild(struct builder *b, struct stage *s, struct err *err)
{
	cleanup_cjson cJSON *triggers = cJSON_DetachItemFromObject(s->config, "OnBuild");
	const cJSON *t;

	cJSON_ArrayForEach (t, triggers) {
		struct dockerfile one;
		int r;

		if (!cJSON_IsString(t))
			continue;
		if (dockerfile_parse_trigger(t->valuestring, &one, err) < 0)
			return -err->code;
		if (!b->quiet)
			fprintf(b->out, "  ONBUILD %s", one.v[0].orig);
		r = bld_step(b, s, &one.v[0], err);
		dockerfile_free(&one);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The stage's remaining configuration steps (and --label) as its last image. */
static int finish_stage(struct builder *b, struct stage *s, bool last, struct err *err)
{
	if (last && cJSON_GetArraySize(b->labels)) {
		cJSON *labels = cJSON_GetObjectItem(s->config, "Labels"), *it;
		cleanup_free char *text = cJSON_PrintUnformatted(b->labels);

		if (!cJSON_IsObject(labels)) {
			cJSON_DeleteItemFromObject(s->config, "Labels");
			labels = cJSON_AddObjectToObject(s->config, "Labels");
		}
		cJSON_ArrayForEach (it, b->labels)
			bld_set_str(labels, it->string, it->valuestring);
		bld_chain_key(s, text);
		cJSON_AddItemToArray(s->pending, bld_history("LABEL (berth build --label)", true));
	}
	if (!cJSON_GetArraySize(s->pending) || bld_cache_hit(b, s))
		return 0;
	return bld_commit(b, s, NULL, -1, NULL, err);
}

static int run_stages(struct builder *b, size_t last_instr, struct err *err)
{
	struct stage *s = NULL;
	size_t i = 0;

	for (; i < b->df.n && strcmp(b->df.v[i].cmd, "FROM"); i++)
		if (bld_global_arg(b, &b->df.v[i], err) < 0)
			return bld_fail_at(b, &b->df.v[i], err);
	for (; i <= last_instr; i++) {
		const struct df_instr *in = &b->df.v[i];

		if (session_cancel)
			return err_set(err, EINTR, "interrupted");
		if (!strcmp(in->cmd, "FROM")) {
			if (s && finish_stage(b, s, false, err) < 0)
				return bld_fail_at(b, in, err);
			b->stages = xreallocarray(b->stages, b->nstages + 1, sizeof(*b->stages));
			s = &b->stages[b->nstages++];
			*s = (struct stage){0};
			print_step(b, in);
			if (step_from(b, s, in, err) < 0 || onbuild(b, s, err) < 0)
				return bld_fail_at(b, in, err);
			continue;
		}
		print_step(b, in);
		fflush(b->out);
		if (bld_step(b, s, in, err) < 0)
			return bld_fail_at(b, in, err);
	}
	if (finish_stage(b, s, true, err) < 0)
		return err_wrap(err, "%s", b->df.name);
	return 0;
}

/* The last instruction to run: the end of the file, or of the --target stage. */
static int plan(struct builder *b, size_t *last, struct err *err)
{
	bool found = !b->target;

	*last = b->df.n - 1;
	b->nsteps = 0;
	for (size_t i = 0, first = 1; i < b->df.n; i++) {
		const struct df_instr *in = &b->df.v[i];

		if (!strcmp(in->cmd, "FROM")) {
			const char *as = strcasestr(in->rest, " as ");

			if (found && b->target && !first) {
				*last = i - 1;
				break;
			}
			first = 0;
			if (b->target && as && !strcasecmp(as + 4 + strspn(as + 4, " "), b->target))
				found = true;
		}
		if (!first)
			b->nsteps++;
	}
	if (!found)
		return err_set(err, ENOENT, "%s: target stage '%s' not found", b->df.name,
			       b->target);
	return 0;
}

static int name_result(struct builder *b, const struct stage *s, struct err *err)
{
	cleanup_cjson cJSON *o = NULL;
	const cJSON *t;
	const char *id;
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, s->manifest);
	if (bld_im_call(b, MSG_IMAGE_INSPECT, &pb, -1, &o, err) < 0)
		return -err->code;
	id = cJSON_GetStringValue(cJSON_GetObjectItem(o, "Id")) ?: "";
	if (!cJSON_GetArraySize(b->tags)) {
		/* no name: still listed by berth images, as a dangling image */
		cleanup_cjson cJSON *ignored = NULL;
		struct err e = ERR_INIT;

		pb_init(&pb);
		pb_put_str(&pb, TAG_KEY, s->key);
		pb_put_u32(&pb, TAG_FORCE, 1);
		bld_im_call(b, MSG_IMAGE_CACHE, &pb, -1, &ignored, &e);
		err_clear(&e);
	}
	cJSON_ArrayForEach (t, b->tags) {
		cleanup_cjson cJSON *ignored = NULL;

		pb_init(&pb);
		pb_put_str(&pb, TAG_REF, s->manifest);
		pb_put_str(&pb, TAG_NAME, t->valuestring);
		if (bld_im_call(b, MSG_IMAGE_TAG, &pb, -1, &ignored, err) < 0)
			return err_wrap(err, "tag %s", t->valuestring);
	}
	snprintf(b->id, sizeof(b->id), "%s", id);
	if (b->quiet)
		return 0;
	fprintf(b->out, "Successfully built %.12s\n", id + 7);
	cJSON_ArrayForEach (t, b->tags)
		fprintf(b->out, "Successfully tagged %s\n", t->valuestring);
	return 0;
}

static int load_dockerfile(struct builder *b, const struct bc_build *o, struct err *err)
{
	cleanup_free char *text = NULL, *path = NULL;
	const char *file = o->dockerfile;
	struct stat st;
	FILE *f;

	if (o->context_dir) {
		if (stat(o->context_dir, &st) < 0 || !S_ISDIR(st.st_mode))
			return err_set(err, ENOENT, "the build context %s is not a directory",
				       o->context_dir);
		if (ctx_open(o->context_dir, &b->ctx, err) < 0)
			return -err->code;
		b->have_ctx = true;
	}
	if (o->dockerfile_text)
		return dockerfile_parse(file ? file : "Dockerfile", o->dockerfile_text, &b->df,
					err);
	if (!b->have_ctx)
		return err_set(err, EINVAL, "a build needs a context or a Dockerfile");
	if (o->dockerfile_in_context) {
		/* the API's dockerfile=: a file of the context, never one outside it */
		int root = open(b->ctx.dir, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

		fd = root < 0 ? err_sys(err, "open %s", b->ctx.dir)
			      : open_in_root(root, file ? file : "Dockerfile", O_RDONLY, 0, err);
		if (root >= 0)
			close(root);
		if (fd < 0 || !(f = fdopen(fd, "re"))) {
			if (fd >= 0)
				close(fd);
			return err_wrap(err, "the Dockerfile %s in the build context",
					file ? file : "Dockerfile");
		}
		goto read;
	}
	path = file ? xstrdup(file) : xasprintf("%s/Dockerfile", b->ctx.dir);
	f = fopen(path, "re");
	if (!f && file && file[0] != '/') {
		free(path);
		path = xasprintf("%s/%s", b->ctx.dir, file);
		f = fopen(path, "re");
	}
	if (!f)
		return err_sys(err, "the Dockerfile %s", file ? file : "Dockerfile");
read:
	if (bc_read_all(f, &text, NULL, 4u << 20, err) < 0) {
		fclose(f);
		return -err->code;
	}
	fclose(f);
	return dockerfile_parse(file ? file : "Dockerfile", text, &b->df, err);
}

static void collect_unused(struct builder *b, struct bc_build *o)
{
	const cJSON *it;

	cJSON_ArrayForEach (it, b->build_args)
		if (!cJSON_GetObjectItem(b->used_args, it->string)) {
			if (!o->unused_args)
				o->unused_args = cJSON_CreateArray();
			cJSON_AddItemToArray(o->unused_args, cJSON_CreateString(it->string));
		}
}

int bc_build(const struct berth_paths *p, struct bc_build *o, struct err *err)
{
	struct builder b = {.paths = p, .out = o->out, .err_out = o->err_out};
	size_t last = 0;
	int rc = -1;

	b.build_args = o->build_args ? o->build_args : cJSON_CreateObject();
	b.labels = o->labels ? o->labels : cJSON_CreateObject();
	b.tags = o->tags ? o->tags : cJSON_CreateArray();
	b.used_args = cJSON_CreateObject();
	b.global_args = cJSON_CreateObject();
	b.target = o->target;
	b.registry_auths = o->registry_auths;
	b.network = o->network;
	b.run_host_config = o->run_host_config;
	b.no_cache = o->no_cache;
	b.pull = o->pull;
	b.quiet = o->quiet;
	if (!b.out)
		b.out = b.null_out = fopen("/dev/null", "we");
	if (!b.out) {
		err_sys(err, "open /dev/null");
		goto out;
	}
	if (load_dockerfile(&b, o, err) < 0 || plan(&b, &last, err) < 0)
		goto out;
	if (bc_connect(p, DAEMON_IMAGED, &b.im, err) < 0)
		goto out;
	b.im_open = true;
	if (run_stages(&b, last, err) < 0 || name_result(&b, &b.stages[b.nstages - 1], err) < 0) {
		fflush(b.out);
		if (session_cancel) {
			err_clear(err);
			err_set(err, EINTR, "build interrupted");
		}
		goto out;
	}
	snprintf(o->id, sizeof(o->id), "%s", b.id);
	collect_unused(&b, o);
	rc = 0;
out:
	if (b.null_out)
		fclose(b.null_out);
	if (b.im_open)
		client_close(&b.im);
	for (size_t i = 0; i < b.nstages; i++)
		stage_free(&b.stages[i]);
	free(b.stages);
	if (b.have_ctx)
		ctx_close(&b.ctx);
	dockerfile_free(&b.df);
	if (b.build_args != o->build_args)
		cJSON_Delete(b.build_args);
	if (b.labels != o->labels)
		cJSON_Delete(b.labels);
	if (b.tags != o->tags)
		cJSON_Delete(b.tags);
	cJSON_Delete(b.used_args);
	cJSON_Delete(b.global_args);
	return rc < 0 ? -err->code : 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* A context path may not be absolute nor climb out: it goes under dir. */
static int context_path(const char *dir, const char *path, char **out, struct err *err)
{
	const char *p = path;

	if (path[0] == '/')
		return err_set(err, EINVAL, "the context tar: %s: an absolute path", path);
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return err_set(err, EINVAL,
				       "the context tar: %s: a path out of the context", path);
		p += n;
		p += strspn(p, "/");
	}
	*out = xasprintf("%s/%s", dir, path);
	return 0;
}

/* The context's files, as the user that builds: no owners, no device nodes. */
static int extract_entry(struct archive *a, struct archive_entry *e, const char *dir,
			 struct err *err)
{
	const char *link = archive_entry_hardlink(e);
	char *path = NULL, *target = NULL;
	int r;

	if (archive_entry_filetype(e) != AE_IFREG && archive_entry_filetype(e) != AE_IFDIR &&
	    archive_entry_filetype(e) != AE_IFLNK)
		return 0;
	r = context_path(dir, archive_entry_pathname(e), &path, err);
	if (r == 0 && link)
		r = context_path(dir, link, &target, err);
	if (r < 0)
		goto out;
	archive_entry_set_pathname(e, path);
	if (target)
		archive_entry_set_hardlink(e, target);
	if (archive_read_extract(a, e,
				 ARCHIVE_EXTRACT_SECURE_NODOTDOT |
				     ARCHIVE_EXTRACT_SECURE_SYMLINKS) != ARCHIVE_OK)
		r = err_set(err, EINVAL, "the context tar: %s", archive_error_string(a));
out:
	free(path);
	free(target);
	return r;
}

int bc_build_context(const char *data, size_t len, char **dockerfile, char **dir, struct err *err)
{
	struct archive *a;
	struct archive_entry *e;
	int r = 0;

	*dockerfile = *dir = NULL;
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (len < 512 || archive_read_open_memory(a, data, len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		archive_read_free(a);
		/* not a tar: the Dockerfile itself */
		*dockerfile = xstrndup(data, len);
		return 0;
	}
	archive_read_free(a);
	*dir = xasprintf("%s/berth-build-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	if (!mkdtemp(*dir)) {
		r = err_sys(err, "a temporary directory for the context");
		free(*dir);
		*dir = NULL;
		return r;
	}
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_open_memory(a, data, len);
	/* no chdir: the process may be a threaded daemon; each path is put under dir */
	while (r == 0 && archive_read_next_header(a, &e) == ARCHIVE_OK)
		r = extract_entry(a, e, *dir, err);
	archive_read_free(a);
	if (r < 0) {
		bc_build_context_remove(*dir);
		free(*dir);
		*dir = NULL;
	}
	return r;
}

void bc_build_context_remove(const char *dir)
{
	if (dir)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
