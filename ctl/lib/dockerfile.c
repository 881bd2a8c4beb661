/*
 * The Dockerfile parser: parser directives (syntax, escape), comments, line
 * continuations, instruction flags, JSON (exec) and shell forms, heredocs
 * for RUN, COPY and ADD, and Docker's word rules (quotes, escapes, $VAR,
 * ${VAR:-default}, ${VAR:+alt}, ${VAR:?error}) for the instructions where
 * Docker expands variables. Errors name the file and line.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "dockerfile.h"

static const char *const instructions[] = {
    "FROM",	  "RUN",	 "CMD",	    "ENTRYPOINT", "ENV",  "ARG", "LABEL",
    "EXPOSE",	  "USER",	 "WORKDIR", "VOLUME",	  "COPY", "ADD", "SHELL",
    "STOPSIGNAL", "HEALTHCHECK", "ONBUILD", "MAINTAINER", NULL,
};

/* Which flags each instruction takes. */
static bool flag_known(const char *cmd, const char *flag)
{
	if (!strcmp(cmd, "FROM"))
		return !strcmp(flag, "platform");
	if (!strcmp(cmd, "COPY") || !strcmp(cmd, "ADD"))
		return !strcmp(flag, "from") || !strcmp(flag, "chown") || !strcmp(flag, "chmod") ||
		       !strcmp(flag, "link");
	if (!strcmp(cmd, "RUN"))
		return !strcmp(flag, "network");
	if (!strcmp(cmd, "HEALTHCHECK"))
		return !strcmp(flag, "interval") || !strcmp(flag, "timeout") ||
		       !strcmp(flag, "start-period") || !strcmp(flag, "start-interval") ||
		       !strcmp(flag, "retries");
	return false;
}

struct lines {
	char **v;
	size_t n, i;
};

static void split_lines(const char *text, struct lines *l)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len && p[len - 1] == '\r')
			len--;
		l->v = xreallocarray(l->v, l->n + 1, sizeof(char *));
		l->v[l->n++] = xstrndup(p, len);
		p += nl ? (size_t)(nl - p) + 1 : len;
		if (!nl)
			break;
	}
}

static bool blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

static bool comment(const char *s)
{
	return s[strspn(s, " \t")] == '#';
}

/* "# escape=`" and "# syntax=...": only before anything else. */
static void directives(struct lines *l, struct dockerfile *df)
{
	for (; l->i < l->n; l->i++) {
		char key[32], val[256];
		const char *s = l->v[l->i];

		if (sscanf(s, " # %31[a-zA-Z] = %255s", key, val) != 2)
			return;
		for (char *k = key; *k; k++)
			*k = (char)tolower((unsigned char)*k);
		if (!strcmp(key, "escape") && (val[0] == '\\' || val[0] == '`') && !val[1])
			df->escape = val[0];
		else if (strcmp(key, "syntax") && strcmp(key, "check"))
			return;
	}
}

/* A trailing escape character continues the line; it is removed. */
static bool continues(char *s, char escape)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n && s[n - 1] == escape) {
		s[n - 1] = '\0';
		return true;
	}
	return false;
}

static int heredocs(struct lines *l, struct df_instr *in, const struct dockerfile *df,
		    struct err *err)
{
	const char *p = in->rest;

	while ((p = strstr(p, "<<"))) {
		bool strip = false, expand = true;
		char quote = 0, word[64];
		size_t n = 0;
		char *body = xstrdup("");

		p += 2;
		if (*p == '-') {
			strip = true;
			p++;
		}
		if (*p == '"' || *p == '\'') {
			quote = *p++;
			expand = false;
		}
		while ((isalnum((unsigned char)*p) || *p == '_') && n < sizeof(word) - 1)
			word[n++] = *p++;
		word[n] = '\0';
		if (quote && *p == quote)
			p++;
		if (!n) {
			free(body);
			continue;
		}
		for (;; l->i++) {
			const char *s;
			char *nb;

			if (l->i >= l->n) {
				free(body);
				return err_set(err, EINVAL, "%s:%d: unterminated heredoc <<%s",
					       df->name, in->line, word);
			}
			s = l->v[l->i];
			if (strip)
				s += strspn(s, "\t");
			if (!strcmp(s, word)) {
				l->i++;
				break;
			}
			nb = xasprintf("%s%s\n", body, s);
			free(body);
			body = nb;
		}
		in->heredocs =
		    xreallocarray(in->heredocs, in->nheredocs + 1, sizeof(*in->heredocs));
		in->heredocs[in->nheredocs++] =
		    (struct df_heredoc){.name = xstrdup(word), .body = body, .expand = expand};
	}
	return 0;
}

static void json_form(struct df_instr *in)
{
	cJSON *a, *it;
	size_t n = 0;

	if (in->rest[0] != '[' || !(a = cJSON_Parse(in->rest)))
		return;
	if (!cJSON_IsArray(a)) {
		cJSON_Delete(a);
		return;
	}
	cJSON_ArrayForEach (it, a)
		if (!cJSON_IsString(it)) {
			cJSON_Delete(a);
			return;
		}
	in->args = xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(char *));
	cJSON_ArrayForEach (it, a)
		in->args[n++] = xstrdup(it->valuestring);
	in->nargs = n;
	in->json = true;
	cJSON_Delete(a);
}

static int flags(struct df_instr *in, const struct dockerfile *df, struct err *err)
{
	char *p = in->rest;

	while (p[0] == '-' && p[1] == '-') {
		size_t len = strcspn(p, " \t");
		char *tok = xstrndup(p + 2, len - 2), *eq = strchr(tok, '=');

		if (eq)
			*eq = '\0';
		if (!flag_known(in->cmd, tok)) {
			int r = err_set(err, EINVAL, "%s:%d: unknown flag for %s: --%s", df->name,
					in->line, in->cmd, tok);

			free(tok);
			return r;
		}
		in->flags = xreallocarray(in->flags, in->nflags + 1, sizeof(*in->flags));
		in->flags[in->nflags++] =
		    (struct df_flag){.name = xstrdup(tok), .value = xstrdup(eq ? eq + 1 : "")};
		free(tok);
		p += len;
		p += strspn(p, " \t");
	}
	memmove(in->rest, p, strlen(p) + 1);
	return 0;
}

static void instr_free(struct df_instr *in);

static int instruction(struct lines *l, struct dockerfile *df, struct err *err)
{
	struct df_instr in = {.line = (int)l->i + 1};
	char *logical = xstrdup(l->v[l->i]), *p, *word;
	size_t wlen;
	int r = 0;

	l->i++;
	for (bool more = continues(logical, df->escape); more && l->i < l->n;) {
		char *next;

		/* comment lines inside a continuation are dropped, as Docker does */
		if (comment(l->v[l->i])) {
			l->i++;
			continue;
		}
		next = xasprintf("%s%s", logical, l->v[l->i++]);
		free(logical);
		logical = next;
		more = continues(logical, df->escape);
	}
	p = logical + strspn(logical, " \t");
	wlen = strcspn(p, " \t");
	word = xstrndup(p, wlen);
	for (char *c = word; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	in.cmd = word;
	in.orig = xstrdup(p);
	p += wlen;
	p += strspn(p, " \t");
	in.rest = xstrdup(p);
	for (size_t n = strlen(in.rest); n && isspace((unsigned char)in.rest[n - 1]); n--)
		in.rest[n - 1] = '\0';
	free(logical);
	{
		bool known = false;

		for (const char *const *k = instructions; *k; k++)
			known = known || !strcmp(*k, word);
		if (!known) {
			cleanup_free char *as_written = xstrndup(in.orig, wlen);

			r = err_set(err, EINVAL, "%s:%d: unknown instruction: %s", df->name,
				    in.line, as_written);
			goto fail;
		}
	}
	if ((r = flags(&in, df, err)) < 0)
		goto fail;
	if (!strcmp(word, "RUN") || !strcmp(word, "COPY") || !strcmp(word, "ADD"))
		if ((r = heredocs(l, &in, df, err)) < 0)
			goto fail;
	json_form(&in);
	if (!in.rest[0]) {
		r = err_set(err, EINVAL, "%s:%d: %s requires at least one argument", df->name,
			    in.line, word);
		goto fail;
	}
	df->v = xreallocarray(df->v, df->n + 1, sizeof(*df->v));
	df->v[df->n++] = in;
	return 0;
fail:
	instr_free(&in);
	return r;
}

static void instr_free(struct df_instr *in)
{
	free(in->cmd);
	free(in->rest);
	free(in->orig);
	for (size_t j = 0; j < in->nargs; j++)
		free(in->args[j]);
	free(in->args);
	for (size_t j = 0; j < in->nflags; j++) {
		free(in->flags[j].name);
		free(in->flags[j].value);
	}
	free(in->flags);
	for (size_t j = 0; j < in->nheredocs; j++) {
		free(in->heredocs[j].name);
		free(in->heredocs[j].body);
	}
	free(in->heredocs);
}

void dockerfile_free(struct dockerfile *df)
{
	for (size_t i = 0; i < df->n; i++)
		instr_free(&df->v[i]);
	free(df->v);
	df->v = NULL;
	df->n = 0;
}

static int parse(const char *name, const char *text, bool whole_file, struct dockerfile *df,
		 struct err *err)
{
	struct lines l = {0};
	int r = 0;

	*df = (struct dockerfile){.name = name, .escape = '\\'};
	split_lines(text, &l);
	directives(&l, df);
	while (r == 0 && l.i < l.n) {
		if (blank(l.v[l.i]) || comment(l.v[l.i])) {
			l.i++;
			continue;
		}
		r = instruction(&l, df, err);
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	if (r == 0 && df->n == 0)
		r = err_set(err, EINVAL, "%s: the file has no instructions", name);
	for (size_t i = 0; r == 0 && whole_file && i < df->n; i++) {
		if (!strcmp(df->v[i].cmd, "FROM"))
			break;
		if (strcmp(df->v[i].cmd, "ARG"))
			r = err_set(err, EINVAL,
				    "%s:%d: %s before the first FROM (only ARG may be)", name,
				    df->v[i].line, df->v[i].cmd);
		else if (i + 1 == df->n)
			r = err_set(err, EINVAL, "%s: no FROM instruction", name);
	}
	if (r < 0)
		dockerfile_free(df);
	return r;
}

int dockerfile_parse(const char *name, const char *text, struct dockerfile *df, struct err *err)
{
	return parse(name, text, true, df, err);
}

int dockerfile_parse_trigger(const char *text, struct dockerfile *df, struct err *err)
{
	int r = parse("ONBUILD", text, false, df, err);

	if (r == 0 &&
	    (df->n != 1 || !strcmp(df->v[0].cmd, "FROM") || !strcmp(df->v[0].cmd, "ONBUILD"))) {
		dockerfile_free(df);
		return err_set(err, EINVAL,
			       "ONBUILD trigger '%s': one instruction, not FROM or ONBUILD", text);
	}
	return r;
}

const char *df_flag(const struct df_instr *in, const char *name)
{
	for (size_t i = 0; i < in->nflags; i++)
		if (!strcmp(in->flags[i].name, name))
			return in->flags[i].value;
	return NULL;
}

/* ---- words and expansion ---- */

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static int expand_text(const char *s, size_t n, const cJSON *vars, char escape, struct buf *out,
		       struct err *err);

/* At s: "$NAME" or "${...}"; *used is how much of s it took. */
static int variable(const char *s, const cJSON *vars, char escape, struct buf *out, size_t *used,
		    struct err *err)
{
	const char *v;
	char name[256];
	size_t n = 0;

	if (s[1] != '{') {
		while ((isalnum((unsigned char)s[1 + n]) || s[1 + n] == '_') &&
		       n < sizeof(name) - 1)
			name[n] = s[1 + n], n++;
		name[n] = '\0';
		if (!n) {
			put(out, "$", 1);
			*used = 1;
			return 0;
		}
		v = cJSON_GetStringValue(cJSON_GetObjectItem(vars, name));
		if (v)
			put(out, v, strlen(v));
		*used = 1 + n;
		return 0;
	}
	{
		const char *p = s + 2, *end;
		int depth = 1;
		char op = 0;
		bool colon = false;
		const char *word = NULL;

		while ((isalnum((unsigned char)*p) || *p == '_') && n < sizeof(name) - 1)
			name[n++] = *p++;
		name[n] = '\0';
		for (end = p; *end && depth; end++) {
			if (*end == '{')
				depth++;
			else if (*end == '}')
				depth--;
		}
		if (depth || !n)
			return err_set(err, EINVAL, "bad substitution in '%s'", s);
		end--; /* at the closing brace */
		if (*p == ':') {
			colon = true;
			p++;
		}
		if (p < end) {
			op = *p++;
			word = p;
			if (op != '-' && op != '+' && op != '?')
				return err_set(err, EINVAL, "unsupported modifier '%c' in '%.*s'",
					       op, (int)(end - s + 1), s);
		}
		v = cJSON_GetStringValue(cJSON_GetObjectItem(vars, name));
		*used = (size_t)(end - s) + 1;
		{
			bool set = v && (!colon || *v);

			if (!op || (op == '-' && set) || (op == '?' && set)) {
				if (v)
					put(out, v, strlen(v));
			} else if (op == '-' || (op == '+' && set)) {
				return expand_text(word, (size_t)(end - word), vars, escape, out,
						   err);
			} else if (op == '?') {
				return err_set(err, EINVAL, "%s: %.*s", name, (int)(end - word),
					       end > word ? word : "is not set");
			}
		}
		return 0;
	}
}

static int expand_text(const char *s, size_t n, const cJSON *vars, char escape, struct buf *out,
		       struct err *err)
{
	for (size_t i = 0; i < n;) {
		size_t used;

		if (s[i] == escape && i + 1 < n && s[i + 1] == '$') {
			put(out, "$", 1);
			i += 2;
		} else if (s[i] == '$') {
			cleanup_free char *copy = xstrndup(s + i, n - i);

			if (variable(copy, vars, escape, out, &used, err) < 0)
				return -err->code;
			i += used;
		} else {
			put(out, s + i, 1);
			i++;
		}
	}
	return 0;
}

/* Docker's word rules: quotes group and are removed; the escape char quotes one character. */
static int lex(const char *s, const cJSON *vars, char escape, bool expand, bool split, cJSON *words,
	       struct err *err)
{
	struct buf w = {0};
	bool have = false;

	put(&w, "", 0);
	for (const char *p = s; *p;) {
		if (split && (*p == ' ' || *p == '\t' || *p == '\n')) {
			if (have)
				cJSON_AddItemToArray(words, cJSON_CreateString(w.s));
			w.len = 0;
			w.s[0] = '\0';
			have = false;
			p++;
			continue;
		}
		have = true;
		if (*p == escape && p[1]) {
			put(&w, p + 1, 1);
			p += 2;
		} else if (*p == '\'') {
			const char *e = strchr(p + 1, '\'');

			if (!e) {
				free(w.s);
				return err_set(err, EINVAL, "unmatched single quote in '%s'", s);
			}
			put(&w, p + 1, (size_t)(e - p - 1));
			p = e + 1;
		} else if (*p == '"') {
			const char *q = p + 1;

			for (; *q && *q != '"'; q++) {
				if (*q == escape &&
				    (q[1] == '"' || q[1] == escape || q[1] == '$')) {
					if (q[1] == '$' && expand) {
						put(&w, "$", 1);
					} else {
						put(&w, q + 1, 1);
					}
					q++;
				} else if (*q == '$' && expand) {
					size_t used;
					cleanup_free char *copy = xstrdup(q);

					if (variable(copy, vars, escape, &w, &used, err) < 0) {
						free(w.s);
						return -err->code;
					}
					q += used - 1;
				} else {
					put(&w, q, 1);
				}
			}
			if (!*q) {
				free(w.s);
				return err_set(err, EINVAL, "unmatched double quote in '%s'", s);
			}
			p = q + 1;
		} else if (*p == '$' && expand) {
			size_t used;

			if (variable(p, vars, escape, &w, &used, err) < 0) {
				free(w.s);
				return -err->code;
			}
			p += used;
		} else {
			put(&w, p, 1);
			p++;
		}
	}
	if (have)
		cJSON_AddItemToArray(words, cJSON_CreateString(w.s));
	free(w.s);
	return 0;
}

int df_words(const char *rest, const cJSON *vars, char escape, bool expand, cJSON **words,
	     struct err *err)
{
	*words = cJSON_CreateArray();
	if (lex(rest, vars, escape, expand, true, *words, err) < 0) {
		cJSON_Delete(*words);
		*words = NULL;
		return -err->code;
	}
	return 0;
}

int df_expand(const char *word, const cJSON *vars, char escape, char **out, struct err *err)
{
	cleanup_cjson cJSON *w = cJSON_CreateArray();

	if (lex(word, vars, escape, true, false, w, err) < 0)
		return -err->code;
	*out = xstrdup(cJSON_GetStringValue(cJSON_GetArrayItem(w, 0)) ?: "");
	return 0;
}

int df_expand_body(const char *body, const cJSON *vars, char escape, char **out, struct err *err)
{
	struct buf b = {0};

	put(&b, "", 0);
	if (expand_text(body, strlen(body), vars, escape, &b, err) < 0) {
		free(b.s);
		return -err->code;
	}
	*out = b.s;
	return 0;
}
