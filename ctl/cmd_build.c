/* berth build: options, the context, the stages in order, and the names of the result. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "build.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl.h"
#include "lib/bc_session.h"
#include "proto/proto.h"
#include "proto/tags.h"

const char cmd_build_usage[] =
    "build [OPTIONS] CONTEXT|-\n"
    "\n"
    "Build an image from a Dockerfile. CONTEXT is a directory whose files COPY and ADD\n"
    "may use (minus what its .dockerignore excludes); '-' reads a Dockerfile, or a tar\n"
    "of a context, from standard input. RUN steps run in berth containers; each step\n"
    "that changes files becomes a layer, and unchanged steps come from the cache.\n"
    "\n"
    "Options:\n"
    "  -t, --tag NAME[:TAG]     name the image (may be given more than once)\n"
    "  -f, --file PATH          the Dockerfile (default: CONTEXT/Dockerfile)\n"
    "      --build-arg K=V      set a build-time variable (ARG)\n"
    "      --target STAGE       build up to this stage\n"
    "      --no-cache           run every step again\n"
    "      --pull               pull base images even when present\n"
    "      --label K=V          add a label to the image\n"
    "      --network MODE       network for RUN steps: bridge (default), none, host\n"
    "  -q, --quiet              print only the image id\n";

static int read_all(FILE *f, char **out, size_t max, struct err *err)
{
	size_t len = 0, cap = 8192;
	char *buf = xmalloc(cap);
	size_t n;

	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len > max) {
			free(buf);
			return err_set(err, EFBIG, "the Dockerfile is over %zu bytes", max);
		}
		if (cap - len < 4096)
			buf = xrealloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* '-' as the context: a tar (unpacked to a private temporary directory) or a Dockerfile. */
static int stdin_context(char **dockerfile, char **tmpdir, struct err *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	struct archive *a;
	struct archive_entry *e;
	int r = 0;

	if (read_all(stdin, &data, 512u << 20, err) < 0)
		return -err->code;
	len = strlen(data);
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (len < 512 || archive_read_open_memory(a, data, len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		archive_read_free(a);
		*dockerfile = steal_ptr(&data);
		return 0;
	}
	archive_read_free(a);
	*tmpdir = xstrdup("/tmp/berth-build-XXXXXX");
	if (!mkdtemp(*tmpdir))
		return err_sys(err, "a temporary directory for the context");
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_open_memory(a, data, len);
	if (chdir(*tmpdir) < 0)
		r = err_sys(err, "enter %s", *tmpdir);
	while (r == 0 && archive_read_next_header(a, &e) == ARCHIVE_OK)
		if (archive_read_extract(a, e,
					 ARCHIVE_EXTRACT_SECURE_NODOTDOT |
					     ARCHIVE_EXTRACT_SECURE_SYMLINKS |
					     ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS) != ARCHIVE_OK)
			r = err_set(err, EINVAL, "the context tar: %s", archive_error_string(a));
	archive_read_free(a);
	return r;
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

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
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
	if (b->quiet) {
		printf("%s\n", id);
		return 0;
	}
	fprintf(b->out, "Successfully built %.12s\n", id + 7);
	cJSON_ArrayForEach (t, b->tags)
		fprintf(b->out, "Successfully tagged %s\n", t->valuestring);
	return 0;
}

static int kv_opt(cJSON *o, const char *arg, const char *what)
{
	const char *eq = strchr(arg, '=');
	cleanup_free char *k = NULL;

	if (eq == arg)
		return ctl_fail(EXIT_DAEMON, "%s '%s': expected KEY=VALUE", what, arg);
	if (!eq) {
		/* --build-arg K takes K from the environment, as Docker does */
		const char *v = getenv(arg);

		if (v)
			cJSON_AddStringToObject(o, arg, v);
		return 0;
	}
	k = xstrndup(arg, (size_t)(eq - arg));
	cJSON_DeleteItemFromObject(o, k);
	cJSON_AddStringToObject(o, k, eq + 1);
	return 0;
}

static int parse_opts(struct builder *b, int argc, char **argv, const char **file)
{
	static const struct option opts[] = {{"tag", required_argument, NULL, 't'},
					     {"file", required_argument, NULL, 'f'},
					     {"build-arg", required_argument, NULL, 'a'},
					     {"target", required_argument, NULL, 'T'},
					     {"no-cache", no_argument, NULL, 'n'},
					     {"pull", no_argument, NULL, 'p'},
					     {"label", required_argument, NULL, 'l'},
					     {"network", required_argument, NULL, 'N'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "+t:f:q", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			cJSON_AddItemToArray(b->tags, cJSON_CreateString(optarg));
			break;
		case 'f':
			*file = optarg;
			break;
		case 'a':
			if (kv_opt(b->build_args, optarg, "--build-arg"))
				return EXIT_DAEMON;
			break;
		case 'l':
			if (kv_opt(b->labels, optarg, "--label"))
				return EXIT_DAEMON;
			break;
		case 'T':
			b->target = optarg;
			break;
		case 'n':
			b->no_cache = true;
			break;
		case 'p':
			b->pull = true;
			break;
		case 'N':
			b->network = optarg;
			break;
		case 'q':
			b->quiet = true;
			break;
		case 'h':
			ctl_usage(stdout, cmd_build_usage);
			return -1;
		default:
			return EXIT_DAEMON;
		}
	}
	if (argc - optind != 1)
		return ctl_fail(EXIT_DAEMON, "build needs one context (a directory, or -)");
	return 0;
}

static int load_dockerfile(struct builder *b, const char *ctxarg, const char *file, char **tmpdir,
			   struct err *err)
{
	cleanup_free char *text = NULL, *path = NULL;
	FILE *f;

	if (!strcmp(ctxarg, "-")) {
		if (stdin_context(&text, tmpdir, err) < 0)
			return -err->code;
		if (*tmpdir) {
			b->have_ctx = true;
			if (ctx_open(*tmpdir, &b->ctx, err) < 0)
				return -err->code;
		}
	} else {
		struct stat st;

		if (stat(ctxarg, &st) < 0 || !S_ISDIR(st.st_mode))
			return err_set(err, ENOENT, "the build context %s is not a directory",
				       ctxarg);
		if (ctx_open(ctxarg, &b->ctx, err) < 0)
			return -err->code;
		b->have_ctx = true;
	}
	if (!text) {
		path = file ? xstrdup(file) : xasprintf("%s/Dockerfile", b->ctx.dir);
		f = fopen(path, "re");
		if (!f && file && file[0] != '/') {
			free(path);
			path = xasprintf("%s/%s", b->ctx.dir, file);
			f = fopen(path, "re");
		}
		if (!f)
			return err_sys(err, "the Dockerfile %s", file ? file : "Dockerfile");
		if (read_all(f, &text, 4u << 20, err) < 0) {
			fclose(f);
			return -err->code;
		}
		fclose(f);
	}
	return dockerfile_parse(file ? file : "Dockerfile", text, &b->df, err);
}

static void unused_args(struct builder *b)
{
	const cJSON *it;
	bool any = false;

	cJSON_ArrayForEach (it, b->build_args)
		if (!cJSON_GetObjectItem(b->used_args, it->string)) {
			fprintf(stderr, "%s%s",
				any ? " " : "[Warning] build-args not consumed: ", it->string);
			any = true;
		}
	if (any)
		fputc('\n', stderr);
}

/* Ctrl-C or SIGTERM: the running step's container is removed, then the build stops. */
static void on_interrupt(int sig)
{
	(void)sig;
	session_cancel = 1;
}

int cmd_build(struct ctl *ctl, int argc, char **argv)
{
	struct builder b = {.ctl = ctl, .out = stdout};
	struct err err = ERR_INIT;
	cleanup_free char *tmpdir = NULL;
	const char *file = NULL;
	size_t last = 0;
	int rc;

	b.build_args = cJSON_CreateObject();
	b.used_args = cJSON_CreateObject();
	b.global_args = cJSON_CreateObject();
	b.labels = cJSON_CreateObject();
	b.tags = cJSON_CreateArray();
	rc = parse_opts(&b, argc, argv, &file);
	if (rc)
		goto out;
	if (b.quiet)
		b.out = fopen("/dev/null", "we");
	if (load_dockerfile(&b, argv[optind], file, &tmpdir, &err) < 0 ||
	    plan(&b, &last, &err) < 0) {
		rc = ctl_fail(EXIT_FAIL, "%s", err_msg(&err));
		goto out;
	}
	if (ctl_try_connect(ctl, DAEMON_IMAGED, &b.im, &err) < 0) {
		rc = ctl_fail(EXIT_DAEMON, "%s", err_msg(&err));
		goto out;
	}
	b.im_open = true;
	{
		struct sigaction sa = {.sa_handler = on_interrupt};

		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	if (run_stages(&b, last, &err) < 0 || name_result(&b, &b.stages[b.nstages - 1], &err) < 0) {
		fflush(b.out);
		rc = session_cancel ? ctl_fail(130, "build interrupted")
				    : ctl_fail(EXIT_FAIL, "%s", err_msg(&err));
		goto out;
	}
	unused_args(&b);
	rc = EXIT_OK;
out:
	err_clear(&err);
	if (b.out && b.out != stdout)
		fclose(b.out);
	if (b.im_open)
		client_close(&b.im);
	for (size_t i = 0; i < b.nstages; i++)
		stage_free(&b.stages[i]);
	free(b.stages);
	if (b.have_ctx)
		ctx_close(&b.ctx);
	dockerfile_free(&b.df);
	if (tmpdir && (chdir("/") < 0 || nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0))
		fprintf(stderr, "berth: could not remove %s: %s\n", tmpdir, strerror(errno));
	cJSON_Delete(b.build_args);
	cJSON_Delete(b.used_args);
	cJSON_Delete(b.global_args);
	cJSON_Delete(b.labels);
	cJSON_Delete(b.tags);
	return rc < 0 ? EXIT_OK : rc;
}
