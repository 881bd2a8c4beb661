/* Dockerfiles: parsed into instructions, and the word expansion Docker applies. */
#ifndef BERTH_CTL_DOCKERFILE_H
#define BERTH_CTL_DOCKERFILE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct df_flag {
	char *name; /* "from", "chown", ... (without the dashes) */
	char *value;
};

struct df_heredoc {
	char *name; /* the delimiter word */
	char *body;
	bool expand; /* unquoted delimiter: variables expand in the body */
};

struct df_instr {
	int line;    /* where it starts in the file */
	char *cmd;   /* upper case: "RUN" */
	char *rest;  /* what follows the flags, continuations joined */
	char *orig;  /* the instruction as written (continuations joined), for history */
	bool json;   /* rest is a JSON array of strings (exec form) */
	char **args; /* the JSON form's strings */
	size_t nargs;
	struct df_flag *flags;
	size_t nflags;
	struct df_heredoc *heredocs;
	size_t nheredocs;
};

struct dockerfile {
	const char *name; /* for errors: "Dockerfile" */
	char escape;
	struct df_instr *v;
	size_t n;
};

/* Parse text; errors read "Dockerfile:7: unknown instruction: RUNN". */
int dockerfile_parse(const char *name, const char *text, struct dockerfile *df, struct err *err);
/* One instruction alone (an ONBUILD trigger). */
int dockerfile_parse_trigger(const char *text, struct dockerfile *df, struct err *err);
void dockerfile_free(struct dockerfile *df);
const char *df_flag(const struct df_instr *in, const char *name);

/*
 * Variables for expansion: a JSON object name -> string. Expand one word
 * ("$A", "${A:-x}", "${A:+y}", "${A:?msg}", quotes removed) into *out.
 */
int df_expand(const char *word, const cJSON *vars, char escape, char **out, struct err *err);
/*
 * Split rest into words as Docker does for ENV, LABEL, ARG and the like
 * (quotes group, escape joins), expanding each; words is a new JSON array.
 */
int df_words(const char *rest, const cJSON *vars, char escape, bool expand, cJSON **words,
	     struct err *err);

/* Expand variables in a heredoc body (quotes are left to the shell). */
int df_expand_body(const char *body, const cJSON *vars, char escape, char **out, struct err *err);

#endif
