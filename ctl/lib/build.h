/* berth build: the builder's parts shared between its files. */
#ifndef BERTH_BC_BUILD_H
#define BERTH_BC_BUILD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/digest.h"
#include "common/err.h"
#include "dockerfile.h"

/* The build context: a directory and its .dockerignore. */
struct build_ctx {
	char *dir;
	char **ignore; /* "+pattern" or "!pattern" */
	size_t nignore;
};

int ctx_open(const char *dir, struct build_ctx *c, struct err *err);
void ctx_close(struct build_ctx *c);
/* rel (relative to the context) is excluded by .dockerignore */
bool ctx_ignored(const struct build_ctx *c, const char *rel);

/* How COPY and ADD write what they copy. */
struct copy_opts {
	long long uid, gid; /* -1: as the source (root:root from the context) */
	long mode;	    /* --chmod, or -1 */
	bool unpack;	    /* ADD: local archives are unpacked */
};

/* A layer tar (gzip) being made in a temporary file; its content digest is the cache key. */
struct layer_w {
	struct archive *a;
	int fd;
	struct sha256 h;
	cJSON *dirs; /* directories already in the layer */
	struct err *err;
};

int lw_open(struct layer_w *w, struct err *err);
/* Close the archive: key gets the content digest, *fd the file (at offset 0, the caller's). */
int lw_finish(struct layer_w *w, char key[DIGEST_STR_LEN + 1], int *fd);
void lw_free(struct layer_w *w);
/* Paths in the layer are relative and start with "./"; a trailing '/' means a directory. */
int lw_parents(struct layer_w *w, const char *path);
int lw_add_context(struct layer_w *w, const struct build_ctx *c, const char *const *srcs,
		   size_t nsrcs, const char *dest, const struct copy_opts *o, const char *where);
/* Entries of the tar on fd under dest; strip_top: the first path component is replaced by dest. */
int lw_add_tar(struct layer_w *w, int fd, bool strip_top, const char *dest,
	       const struct copy_opts *o, const char *where);
/* The first regular file of the tar on fd (at most max bytes), NUL-terminated. */
int tar_first_file(int fd, size_t max, char **out, struct err *err);
int lw_add_bytes(struct layer_w *w, const char *dest, const char *body, const struct copy_opts *o);

/* ---- the builder (build.c, build_steps.c, build_run.c) ---- */

#include <stdio.h>

#include "common/paths.h"
#include "proto/client.h"

/* What to build, for bc_build. */
struct bc_build {
	const char *context_dir;     /* the context directory, or NULL (a Dockerfile alone) */
	const char *dockerfile;	     /* its name or path (default: CONTEXT/Dockerfile) */
	bool dockerfile_in_context;  /* dockerfile names a file inside the context (the API's) */
	const char *dockerfile_text; /* the Dockerfile itself instead of a file */
	cJSON *build_args;	     /* name -> value (borrowed) */
	cJSON *labels;		     /* name -> value (borrowed) */
	cJSON *tags;		     /* names for the result (borrowed) */
	cJSON *registry_auths;	     /* registry -> base64 "user:password" for FROM's pulls */
	const char *target, *network;
	cJSON *run_host_config; /* RUN steps' limits (Memory, CpuShares, ...; borrowed) or NULL */
	bool no_cache, pull, quiet;
	FILE *out;     /* the steps and the RUN steps' stdout; NULL: dropped */
	FILE *err_out; /* the RUN steps' stderr; NULL: to out */
	/* results */
	char id[DIGEST_STR_LEN + 8]; /* sha256:... */
	cJSON *unused_args;	     /* --build-arg names no ARG took (the caller frees) */
};

/* Build; -1 with err set (prefixed with Dockerfile:line) when a step fails. */
int bc_build(const struct berth_paths *p, struct bc_build *o, struct err *err);
/*
 * A context sent as bytes (docker build -, POST /build): a tar is unpacked
 * (no owners, no special files, nothing outside) into a new temporary *dir;
 * anything else is the Dockerfile itself (*dockerfile).
 */
int bc_build_context(const char *data, size_t len, char **dockerfile, char **dir, struct err *err);
void bc_build_context_remove(const char *dir);
/* All of f (NUL-terminated; a tar holds NULs: *out_len, when asked, is its length). */
int bc_read_all(FILE *f, char **out, size_t *out_len, size_t max, struct err *err);

struct stage {
	char *name;			   /* AS name, lower case; or NULL */
	char manifest[DIGEST_STR_LEN + 1]; /* the image so far ("" while FROM scratch) */
	char key[DIGEST_STR_LEN + 1];	   /* cache key of the last step */
	cJSON *config;			   /* the container config so far */
	cJSON *args;			   /* ARGs declared in this stage: name -> value */
	cJSON *pending;			   /* history of config-only steps not committed yet */
	bool cmd_set;
};

struct builder {
	const struct berth_paths *paths;
	struct dockerfile df;
	struct build_ctx ctx;
	cJSON *build_args, *used_args, *global_args, *labels, *tags;
	const cJSON *registry_auths;
	const char *target, *network;
	const cJSON *run_host_config;
	bool no_cache, pull, quiet, have_ctx;
	struct stage *stages;
	size_t nstages, step, nsteps;
	struct client im;
	bool im_open;
	FILE *out, *err_out, *null_out;
	char id[DIGEST_STR_LEN + 8];
};

int bld_fail_at(struct builder *b, const struct df_instr *in, struct err *err);
/* A call to imaged on the builder's connection; a job's progress is dropped, its result in *out. */
int bld_im_call(struct builder *b, uint16_t type, struct pbuf *pb, int fd, cJSON **out,
		struct err *err);
int bld_im_wait(struct builder *b, cJSON **out, struct err *err);
/* An image's manifest digest and container config; pulled first when missing (or --pull). */
int bld_base_image(struct builder *b, const char *ref, char manifest[DIGEST_STR_LEN + 1],
		   cJSON **config, struct err *err);
/* The stage's key becomes the digest of its key and what. */
void bld_chain_key(struct stage *s, const char *what);
cJSON *bld_history(const char *created_by, bool empty);
/* On a cache hit for the stage's key the stage moves to the cached image. */
bool bld_cache_hit(struct builder *b, struct stage *s);
/* Commit the stage: a container's changes (ctr), a layer tar (layer_fd) or configuration only. */
int bld_commit(struct builder *b, struct stage *s, const char *ctr, int layer_fd, cJSON *names,
	       struct err *err);
/* ARGs and ENV of the stage, for ${} expansion. */
cJSON *bld_vars(const struct stage *s);
void bld_set_str(cJSON *o, const char *key, const char *val);
void bld_set_env(cJSON *cfg, const char *k, const char *v);
cJSON *bld_shell_form(const struct stage *s, const char *cmd);
cJSON *bld_exec_form(const struct df_instr *in);
/* An ARG before the first FROM. */
int bld_global_arg(struct builder *b, const struct df_instr *in, struct err *err);
/* Run one instruction of stage s. */
int bld_step(struct builder *b, struct stage *s, const struct df_instr *in, struct err *err);

#endif
