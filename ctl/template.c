/*
 * --format templates (see template.h): parsed once into a tree of text,
 * actions and if/range/with blocks, then executed against a JSON document.
 * Values are cJSON items, borrowed from the document or owned temporaries
 * (what functions return); printing follows Go's fmt %v for decoded JSON.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "template.h"

enum akind { A_DOT, A_FIELD, A_VAR, A_STR, A_NUM, A_BOOL, A_NIL, A_FUNC, A_PIPE };

struct pipe;

struct arg {
	enum akind kind;
	char *name;  /* A_VAR (without '$'), A_FUNC, A_STR (the value) */
	char **path; /* the .Field.Sub chain after it */
	size_t npath;
	double num; /* A_NUM, A_BOOL */
	struct pipe *sub;
};

struct cmd {
	struct arg *args;
	size_t nargs;
};

struct pipe {
	struct cmd *cmds;
	size_t ncmds;
	char *decl[2]; /* range $k, $v := ... */
	size_t ndecl;
	char *src; /* for error messages */
};

enum nkind { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH };

struct node {
	enum nkind kind;
	char *text;
	struct pipe *pipe;
	struct node *body, *alt;
	struct node *next;
};

struct tmpl {
	struct node *root;
};

/* ---- parsing ---- */

struct parser {
	const char *s, *p;
	char *err;
	bool trim_next; /* the last action ended with " -}}" */
	int depth;	/* blocks and parentheses open */
};

#define TMPL_MAX_DEPTH 64

static int perr(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(struct parser *ps, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int line = 1;

	if (ps->err)
		return -1;
	for (const char *q = ps->s; q < ps->p; q++)
		line += *q == '\n';
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	ps->err = xasprintf("template: line %d: %s", line, msg ? msg : "out of memory");
	free(msg);
	return -1;
}

static void free_pipe(struct pipe *pp);

static void free_arg(struct arg *a)
{
	free(a->name);
	for (size_t i = 0; i < a->npath; i++)
		free(a->path[i]);
	free(a->path);
	free_pipe(a->sub);
}

static void free_pipe(struct pipe *pp)
{
	if (!pp)
		return;
	for (size_t i = 0; i < pp->ncmds; i++) {
		for (size_t j = 0; j < pp->cmds[i].nargs; j++)
			free_arg(&pp->cmds[i].args[j]);
		free(pp->cmds[i].args);
	}
	free(pp->cmds);
	free(pp->decl[0]);
	free(pp->decl[1]);
	free(pp->src);
	free(pp);
}

static void free_nodes(struct node *n)
{
	while (n) {
		struct node *next = n->next;

		free(n->text);
		free_pipe(n->pipe);
		free_nodes(n->body);
		free_nodes(n->alt);
		free(n);
		n = next;
	}
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* At the end of an action: "}}", or " -}}" which also trims what follows. */
static bool at_close(const struct parser *ps)
{
	return !strncmp(ps->p, "}}", 2) || !strncmp(ps->p, "-}}", 3);
}

static int expect_close(struct parser *ps)
{
	skip_ws(ps);
	if (!strncmp(ps->p, "-}}", 3)) {
		ps->p += 3;
		ps->trim_next = true;
		return 0;
	}
	if (!strncmp(ps->p, "}}", 2)) {
		ps->p += 2;
		return 0;
	}
	if (!*ps->p)
		return perr(ps, "unclosed action: }} missing");
	return perr(ps, "unexpected \"%.10s\" where the action should end with }}", ps->p);
}

static char *read_ident(struct parser *ps)
{
	const char *b = ps->p;

	while (is_ident(*ps->p))
		ps->p++;
	return xstrndup(b, (size_t)(ps->p - b));
}

static void read_path(struct parser *ps, struct arg *a)
{
	while (*ps->p == '.' && is_ident(ps->p[1]) && !isdigit((unsigned char)ps->p[1])) {
		ps->p++;
		a->path = xreallocarray(a->path, a->npath + 1, sizeof(char *));
		a->path[a->npath++] = read_ident(ps);
	}
}

static int read_string(struct parser *ps, struct arg *a)
{
	char q = *ps->p++;
	size_t cap = 16, len = 0;
	char *buf = xmalloc(cap);

	for (;;) {
		char c = *ps->p++;

		if (c == '\0' || (c == '\n' && q == '"')) {
			free(buf);
			return perr(ps, "unterminated string");
		}
		if (c == q)
			break;
		if (c == '\\' && q == '"') {
			c = *ps->p++;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c != '"' && c != '\\') {
				free(buf);
				return perr(ps, "unknown escape \\%c in a string", c ? c : '0');
			}
		}
		if (len + 2 > cap)
			buf = xrealloc(buf, cap *= 2);
		buf[len++] = c;
	}
	buf[len] = '\0';
	a->kind = A_STR;
	a->name = buf;
	return 0;
}

static struct pipe *parse_pipe(struct parser *ps, bool decl, bool in_parens);

static int parse_operand(struct parser *ps, struct arg *a)
{
	const char *c = ps->p;

	*a = (struct arg){0};
	if (*c == '"' || *c == '`')
		return read_string(ps, a);
	if (*c == '(') {
		ps->p++;
		a->kind = A_PIPE;
		ps->depth++;
		a->sub = parse_pipe(ps, false, true);
		ps->depth--;
		if (!a->sub)
			return -1;
		if (*ps->p != ')')
			return perr(ps, "unclosed (");
		ps->p++;
		read_path(ps, a);
		return 0;
	}
	if (*c == '.' && !isdigit((unsigned char)c[1])) {
		a->kind = is_ident(c[1]) ? A_FIELD : A_DOT;
		if (a->kind == A_DOT)
			ps->p++;
		read_path(ps, a);
		return 0;
	}
	if (*c == '$') {
		ps->p++;
		a->kind = A_VAR;
		a->name = read_ident(ps);
		read_path(ps, a);
		return 0;
	}
	if (isdigit((unsigned char)*c) || (*c == '-' && isdigit((unsigned char)c[1])) ||
	    (*c == '.' && isdigit((unsigned char)c[1]))) {
		char *end;

		a->kind = A_NUM;
		a->num = strtod(c, &end);
		ps->p = end;
		return 0;
	}
	if (isalpha((unsigned char)*c)) {
		a->name = read_ident(ps);
		if (!strcmp(a->name, "true") || !strcmp(a->name, "false")) {
			a->kind = A_BOOL;
			a->num = !strcmp(a->name, "true");
		} else if (!strcmp(a->name, "nil")) {
			a->kind = A_NIL;
		} else {
			a->kind = A_FUNC;
		}
		return 0;
	}
	return perr(ps, "unexpected \"%.10s\" in an action", c);
}

static int parse_cmd(struct parser *ps, struct cmd *cmd)
{
	const char *start;

	*cmd = (struct cmd){0};
	for (;;) {
		skip_ws(ps);
		if (at_close(ps) || *ps->p == '|' || *ps->p == ')' || *ps->p == '\0')
			break;
		cmd->args = xreallocarray(cmd->args, cmd->nargs + 1, sizeof(struct arg));
		start = ps->p;
		if (parse_operand(ps, &cmd->args[cmd->nargs]) < 0 ||
		    (ps->p == start && perr(ps, "unexpected \"%.10s\" in an action", start))) {
			cmd->nargs++; /* the partial one too */
			for (size_t i = 0; i < cmd->nargs; i++)
				free_arg(&cmd->args[i]);
			free(cmd->args);
			*cmd = (struct cmd){0};
			return -1;
		}
		cmd->nargs++;
	}
	if (cmd->nargs == 0)
		return perr(ps, "missing value for command");
	return 0;
}

/* "$k, $v :=" or "$v :=" before a range's pipeline (nothing is consumed otherwise). */
static void parse_decl(struct parser *ps, struct pipe *pp)
{
	const char *start = ps->p;

	while (*ps->p == '$' && pp->ndecl < 2) {
		ps->p++;
		pp->decl[pp->ndecl++] = read_ident(ps);
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		break;
	}
	if (pp->ndecl && !strncmp(ps->p, ":=", 2)) {
		ps->p += 2;
		return;
	}
	for (size_t i = 0; i < pp->ndecl; i++) {
		free(pp->decl[i]);
		pp->decl[i] = NULL;
	}
	pp->ndecl = 0;
	ps->p = start;
}

static struct pipe *parse_pipe(struct parser *ps, bool decl, bool in_parens)
{
	struct pipe *pp;
	const char *start;

	if (ps->depth >= TMPL_MAX_DEPTH) {
		perr(ps, "nested more than %d deep", TMPL_MAX_DEPTH);
		return NULL;
	}
	pp = xzalloc(sizeof(*pp));

	skip_ws(ps);
	start = ps->p;
	if (decl)
		parse_decl(ps, pp);
	for (;;) {
		pp->cmds = xreallocarray(pp->cmds, pp->ncmds + 1, sizeof(struct cmd));
		if (parse_cmd(ps, &pp->cmds[pp->ncmds]) < 0) {
			free_pipe(pp);
			return NULL;
		}
		pp->ncmds++;
		skip_ws(ps);
		if (*ps->p != '|')
			break;
		ps->p++;
	}
	if (!in_parens && *ps->p == ')') {
		perr(ps, "unexpected )");
		free_pipe(pp);
		return NULL;
	}
	{
		const char *end = ps->p;

		while (end > start && (end[-1] == ' ' || end[-1] == '-'))
			end--;
		pp->src = xstrndup(start, (size_t)(end - start));
	}
	return pp;
}

static struct node *parse_list(struct parser *ps, const char **ended);

static struct node *new_node(enum nkind kind)
{
	struct node *n = xzalloc(sizeof(*n));

	n->kind = kind;
	return n;
}

/* if/range/with: the pipeline, then the body up to {{else}} or {{end}}. */
static struct node *parse_block(struct parser *ps, enum nkind kind)
{
	struct node *n = new_node(kind);
	const char *ended = NULL;

	n->pipe = parse_pipe(ps, kind == N_RANGE, false);
	if (!n->pipe || expect_close(ps) < 0)
		goto fail;
	ps->depth++;
	n->body = parse_list(ps, &ended);
	ps->depth--;
	if (ps->err)
		goto fail;
	if (!strcmp(ended, "else if")) {
		ps->depth++;
		n->alt = parse_block(ps, N_IF);
		ps->depth--;
		if (!n->alt)
			goto fail;
		return n;
	}
	if (!strcmp(ended, "else")) {
		ps->depth++;
		n->alt = parse_list(ps, &ended);
		ps->depth--;
		if (ps->err)
			goto fail;
	}
	if (strcmp(ended, "end")) {
		perr(ps, "unexpected %s: {{end}} missing", *ended ? ended : "end of template");
		goto fail;
	}
	return n;
fail:
	free_nodes(n);
	return NULL;
}

static bool keyword(struct parser *ps, const char *kw)
{
	size_t l = strlen(kw);

	if (strncmp(ps->p, kw, l) || is_ident(ps->p[l]))
		return false;
	ps->p += l;
	skip_ws(ps);
	return true;
}

/* Text and actions up to the end, or to an {{end}}/{{else}} (*ended says which). */
static struct node *parse_list(struct parser *ps, const char **ended)
{
	struct node *head = NULL, **tail = &head;

	*ended = "";
	while (*ps->p && !ps->err) {
		const char *open = strstr(ps->p, "{{");
		const char *text_end = open ? open : ps->p + strlen(ps->p);
		struct node *n = NULL;

		if (ps->trim_next) {
			while (ps->p < text_end && isspace((unsigned char)*ps->p))
				ps->p++;
			ps->trim_next = false;
		}
		if (open && !strncmp(open, "{{- ", 4))
			while (text_end > ps->p && isspace((unsigned char)text_end[-1]))
				text_end--;
		if (text_end > ps->p) {
			n = new_node(N_TEXT);
			n->text = xstrndup(ps->p, (size_t)(text_end - ps->p));
			*tail = n;
			tail = &n->next;
		}
		if (!open) {
			ps->p += strlen(ps->p);
			break;
		}
		ps->p = open + (strncmp(open, "{{- ", 4) ? 2 : 4);
		skip_ws(ps);
		if (!strncmp(ps->p, "/*", 2)) {
			const char *end = strstr(ps->p, "*/");

			if (!end) {
				perr(ps, "unclosed comment");
				break;
			}
			ps->p = end + 2;
			expect_close(ps);
			continue;
		}
		if (keyword(ps, "end")) {
			*ended = "end";
			expect_close(ps);
			break;
		}
		if (keyword(ps, "else")) {
			if (keyword(ps, "if")) {
				*ended = "else if";
				break;
			}
			*ended = "else";
			expect_close(ps);
			break;
		}
		if (keyword(ps, "if"))
			n = parse_block(ps, N_IF);
		else if (keyword(ps, "range"))
			n = parse_block(ps, N_RANGE);
		else if (keyword(ps, "with"))
			n = parse_block(ps, N_WITH);
		else {
			n = new_node(N_ACTION);
			n->pipe = parse_pipe(ps, false, false);
			if (!n->pipe || expect_close(ps) < 0) {
				free_nodes(n);
				n = NULL;
			}
		}
		if (!n)
			break;
		*tail = n;
		tail = &n->next;
	}
	return head;
}

struct tmpl *tmpl_parse(const char *text, char **err)
{
	struct parser ps = {.s = text, .p = text};
	struct tmpl *t = xzalloc(sizeof(*t));
	const char *ended;

	t->root = parse_list(&ps, &ended);
	if (!ps.err && *ended)
		perr(&ps, "unexpected {{%s}}", ended);
	if (ps.err) {
		tmpl_free(t);
		*err = ps.err;
		return NULL;
	}
	return t;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	free_nodes(t->root);
	free(t);
}

/* ---- values ---- */

struct val {
	cJSON *j; /* NULL: no value */
	bool own;
};

static void val_drop(struct val *v)
{
	if (v->own)
		cJSON_Delete(v->j);
	*v = (struct val){0};
}

static struct val owned(cJSON *j)
{
	return (struct val){j, true};
}

static bool truth(const cJSON *j)
{
	if (!j || cJSON_IsNull(j) || cJSON_IsFalse(j))
		return false;
	if (cJSON_IsNumber(j))
		return j->valuedouble != 0;
	if (cJSON_IsString(j))
		return *j->valuestring != '\0';
	if (cJSON_IsArray(j) || cJSON_IsObject(j))
		return j->child != NULL;
	return true;
}

static int by_key(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

/* An object's members in key order (as Go ranges over and prints maps). */
static const cJSON **sorted_members(const cJSON *obj, size_t *n)
{
	const cJSON **v = NULL, *c;

	*n = 0;
	cJSON_ArrayForEach (c, obj) {
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = c;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), by_key);
	return v;
}

static void print_num(FILE *f, double d)
{
	if (d == floor(d) && fabs(d) < 1e15)
		fprintf(f, "%lld", (long long)d);
	else
		fprintf(f, "%g", d);
}

/* Go's %v of a decoded JSON value. */
static void print_val(FILE *f, const cJSON *j)
{
	if (!j) {
		fputs("<no value>", f);
	} else if (cJSON_IsNull(j)) {
		fputs("<nil>", f);
	} else if (cJSON_IsString(j)) {
		fputs(j->valuestring, f);
	} else if (cJSON_IsNumber(j)) {
		print_num(f, j->valuedouble);
	} else if (cJSON_IsBool(j)) {
		fputs(cJSON_IsTrue(j) ? "true" : "false", f);
	} else if (cJSON_IsArray(j)) {
		const cJSON *c;

		fputc('[', f);
		cJSON_ArrayForEach (c, j) {
			print_val(f, c);
			if (c->next)
				fputc(' ', f);
		}
		fputc(']', f);
	} else if (cJSON_IsObject(j)) {
		size_t n;
		const cJSON **m = sorted_members(j, &n);

		fputs("map[", f);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "%s%s:", i ? " " : "", m[i]->string);
			print_val(f, m[i]);
		}
		fputc(']', f);
		free(m);
	}
}

static char *to_str(const cJSON *j)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return xstrdup("");
	print_val(f, j);
	fclose(f);
	return s;
}

static const char *kind_name(const cJSON *j)
{
	if (!j)
		return "no value";
	if (cJSON_IsNull(j))
		return "nil";
	if (cJSON_IsString(j))
		return "string";
	if (cJSON_IsNumber(j))
		return "number";
	if (cJSON_IsBool(j))
		return "bool";
	return cJSON_IsArray(j) ? "list" : "map";
}

/* ---- execution ---- */

struct var {
	const char *name;
	cJSON *j;
};

struct exec {
	const cJSON *root;
	FILE *out;
	char *err;
	struct var vars[16];
	size_t nvars;
};

static int xerr(struct exec *x, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int xerr(struct exec *x, const char *at, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	if (x->err)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	x->err = xasprintf("template: executing at <%s>: %s", at, msg ? msg : "out of memory");
	free(msg);
	return -1;
}

static int walk(struct exec *x, const char *at, struct val *v, char *const *path, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cJSON *next;

		if (!cJSON_IsObject(v->j)) {
			xerr(x, at, "can't evaluate field %s in a %s", path[i], kind_name(v->j));
			val_drop(v);
			return -1;
		}
		next = cJSON_GetObjectItemCaseSensitive(v->j, path[i]);
		if (!next) {
			xerr(x, at, "map has no entry for key \"%s\"", path[i]);
			val_drop(v);
			return -1;
		}
		if (v->own) {
			/* keep only the part asked for out of a temporary */
			next = cJSON_DetachItemViaPointer(v->j, next);
			cJSON_Delete(v->j);
			*v = owned(next);
		} else {
			v->j = next;
		}
	}
	return 0;
}

static int eval_pipe(struct exec *x, const struct pipe *pp, cJSON *dot, struct val *out);
static int call(struct exec *x, const char *at, const char *fn, struct val *a, size_t n,
		struct val *out);

static int eval_arg(struct exec *x, const char *at, const struct arg *a, cJSON *dot,
		    struct val *out)
{
	*out = (struct val){0};
	switch (a->kind) {
	case A_DOT:
	case A_FIELD:
		out->j = dot;
		break;
	case A_VAR: {
		size_t i = x->nvars;

		if (!*a->name) {
			out->j = (cJSON *)x->root;
			break;
		}
		while (i > 0 && strcmp(x->vars[i - 1].name, a->name))
			i--;
		if (i == 0)
			return xerr(x, at, "undefined variable $%s", a->name);
		out->j = x->vars[i - 1].j;
		break;
	}
	case A_STR:
		*out = owned(cJSON_CreateString(a->name));
		return 0;
	case A_NUM:
		*out = owned(cJSON_CreateNumber(a->num));
		return 0;
	case A_BOOL:
		*out = owned(cJSON_CreateBool(a->num != 0));
		return 0;
	case A_NIL:
		*out = owned(cJSON_CreateNull());
		return 0;
	case A_FUNC:
		return call(x, at, a->name, NULL, 0, out);
	case A_PIPE:
		if (eval_pipe(x, a->sub, dot, out) < 0)
			return -1;
		break;
	}
	return walk(x, at, out, a->path, a->npath);
}

/* One command: a function with its arguments (and the piped value last), or one value. */
static int eval_cmd(struct exec *x, const char *at, const struct cmd *c, cJSON *dot,
		    struct val *piped, struct val *out)
{
	struct val *args;
	size_t n = 0;
	int r;

	if (c->args[0].kind != A_FUNC) {
		if (c->nargs > 1 || piped) {
			if (piped)
				val_drop(piped);
			return xerr(x, at,
				    "can't give arguments to a value that is not a function");
		}
		return eval_arg(x, at, &c->args[0], dot, out);
	}
	args = xcalloc(c->nargs + 1, sizeof(*args));
	for (size_t i = 1; i < c->nargs; i++, n++)
		if (eval_arg(x, at, &c->args[i], dot, &args[n]) < 0)
			goto fail;
	if (piped)
		args[n++] = *piped;
	r = call(x, at, c->args[0].name, args, n, out);
	for (size_t i = 0; i < n; i++)
		val_drop(&args[i]);
	free(args);
	return r;
fail:
	for (size_t i = 0; i < n; i++)
		val_drop(&args[i]);
	if (piped)
		val_drop(piped);
	free(args);
	return -1;
}

static int eval_pipe(struct exec *x, const struct pipe *pp, cJSON *dot, struct val *out)
{
	struct val v = {0};

	for (size_t i = 0; i < pp->ncmds; i++) {
		struct val next;

		if (eval_cmd(x, pp->src, &pp->cmds[i], dot, i ? &v : NULL, &next) < 0)
			return -1;
		v = next;
	}
	*out = v;
	return 0;
}

static int exec_list(struct exec *x, const struct node *n, cJSON *dot);

static int exec_range(struct exec *x, const struct node *n, cJSON *dot)
{
	struct val v;
	size_t saved = x->nvars, count = 0;
	const cJSON **members = NULL;
	int r = 0;

	if (eval_pipe(x, n->pipe, dot, &v) < 0)
		return -1;
	if (v.j && !cJSON_IsArray(v.j) && !cJSON_IsObject(v.j) && !cJSON_IsNull(v.j)) {
		r = xerr(x, n->pipe->src, "range can't iterate over a %s", kind_name(v.j));
		val_drop(&v);
		return r;
	}
	if (x->nvars + 2 > sizeof(x->vars) / sizeof(x->vars[0])) {
		val_drop(&v);
		return xerr(x, n->pipe->src, "too many nested ranges");
	}
	if (cJSON_IsObject(v.j))
		members = sorted_members(v.j, &count);
	else if (cJSON_IsArray(v.j))
		count = (size_t)cJSON_GetArraySize(v.j);
	{
		cJSON *elem = cJSON_IsArray(v.j) ? v.j->child : NULL;

		for (size_t i = 0; i < count && r == 0; i++) {
			cJSON *item = members ? (cJSON *)members[i] : elem;
			cJSON *key = members ? cJSON_CreateString(item->string)
					     : cJSON_CreateNumber((double)i);

			x->nvars = saved;
			if (n->pipe->ndecl == 2) {
				x->vars[x->nvars++] = (struct var){n->pipe->decl[0], key};
				x->vars[x->nvars++] = (struct var){n->pipe->decl[1], item};
			} else if (n->pipe->ndecl == 1) {
				x->vars[x->nvars++] = (struct var){n->pipe->decl[0], item};
			}
			r = exec_list(x, n->body, item);
			cJSON_Delete(key);
			if (elem)
				elem = elem->next;
		}
	}
	x->nvars = saved;
	if (r == 0 && count == 0 && n->alt)
		r = exec_list(x, n->alt, dot);
	free(members);
	val_drop(&v);
	return r;
}

static int exec_list(struct exec *x, const struct node *n, cJSON *dot)
{
	for (; n; n = n->next) {
		struct val v;
		int r = 0;

		switch (n->kind) {
		case N_TEXT:
			fputs(n->text, x->out);
			break;
		case N_ACTION:
			if (eval_pipe(x, n->pipe, dot, &v) < 0)
				return -1;
			print_val(x->out, v.j);
			val_drop(&v);
			break;
		case N_IF:
		case N_WITH:
			if (eval_pipe(x, n->pipe, dot, &v) < 0)
				return -1;
			if (truth(v.j))
				r = exec_list(x, n->body, n->kind == N_WITH ? v.j : dot);
			else if (n->alt)
				r = exec_list(x, n->alt, dot);
			val_drop(&v);
			break;
		case N_RANGE:
			r = exec_range(x, n, dot);
			break;
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

int tmpl_exec(const struct tmpl *t, const cJSON *data, FILE *out, char **err)
{
	struct exec x = {.root = data, .out = out};

	if (exec_list(&x, t->root, (cJSON *)data) < 0) {
		*err = x.err;
		return -1;
	}
	return 0;
}

/* ---- functions ---- */

static int want_args(struct exec *x, const char *at, const char *fn, size_t n, size_t min,
		     size_t max)
{
	if (n < min || n > max)
		return xerr(x, at, "wrong number of arguments for %s: %zu", fn, n);
	return 0;
}

static int compare(const cJSON *a, const cJSON *b, bool *eq)
{
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
		*eq = a->valuedouble == b->valuedouble;
		return a->valuedouble < b->valuedouble ? -1 : a->valuedouble > b->valuedouble;
	}
	if (cJSON_IsString(a) && cJSON_IsString(b)) {
		int c = strcmp(a->valuestring, b->valuestring);

		*eq = c == 0;
		return c;
	}
	*eq = (!a && !b) || (a && b && cJSON_Compare(a, b, true));
	return 0;
}

static char *map_chars(const cJSON *j, int (*f)(int), bool words)
{
	char *s = to_str(j);
	bool start = true;

	for (char *p = s; *p; p++) {
		if (!words || start)
			*p = (char)f((unsigned char)*p);
		start = isspace((unsigned char)*p) || *p == '-' || *p == '_';
	}
	return s;
}

/*
 * printf's verbs: %s %v %q %d %f %x %% with flags, width and precision. The
 * C format is made of the checked flag characters and one fixed conversion,
 * each given the argument type it expects.
 */
/* A number within [lo, hi] (0 when it is not one, lo for NaN), safe to cast. */
static double clamp_num(const cJSON *j, double lo, double hi)
{
	double d = cJSON_IsNumber(j) ? j->valuedouble : 0;

	if (!(d >= lo))
		return lo;
	return d > hi ? hi : d;
}

/* A width or precision over 999: refused rather than printing a gigabyte of spaces. */
static bool wide(const char *spec, size_t len)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		run = isdigit((unsigned char)spec[i]) ? run + 1 : 0;
		if (run > 3)
			return true;
	}
	return false;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static char *sprintf_go(const char *fmt, struct val *a, size_t n)
{
	char *s = NULL;
	size_t len = 0, used = 0;
	FILE *f = open_memstream(&s, &len);

	for (const char *p = fmt; *p; p++) {
		char spec[32], conv;
		size_t sl = 1;

		if (*p != '%') {
			fputc(*p, f);
			continue;
		}
		spec[0] = '%';
		p++;
		while (*p && strchr("-+ #0123456789.", *p) && sl < sizeof(spec) - 4)
			spec[sl++] = *p++;
		conv = *p;
		if (conv == '%') {
			fputc('%', f);
			continue;
		}
		if (!conv)
			break;
		if (used >= n) {
			fprintf(f, "%%!%c(MISSING)", conv);
			continue;
		}
		if (wide(spec, sl)) {
			fprintf(f, "%%!%c(BADWIDTH)", conv);
			used++;
			continue;
		}
		{
			const cJSON *j = a[used++].j;

			if (conv == 'd' || conv == 'x') {
				spec[sl++] = 'l';
				spec[sl++] = 'l';
				spec[sl++] = conv;
				spec[sl] = '\0';
				fprintf(f, spec, (long long)clamp_num(j, -9e18, 9e18));
			} else if (conv == 'f' || conv == 'g' || conv == 'e') {
				spec[sl++] = conv;
				spec[sl] = '\0';
				fprintf(f, spec, cJSON_IsNumber(j) ? j->valuedouble : 0.0);
			} else if (conv == 'q') {
				cJSON *q =
				    cJSON_CreateString(cJSON_IsString(j) ? j->valuestring : "");
				char *t = cJSON_PrintUnformatted(q);

				fputs(t ? t : "\"\"", f);
				free(t);
				cJSON_Delete(q);
			} else {
				char *t = to_str(j);

				spec[sl++] = 's';
				spec[sl] = '\0';
				fprintf(f, spec, t);
				free(t);
			}
		}
	}
	fclose(f);
	return s;
}
#pragma GCC diagnostic pop

static int call(struct exec *x, const char *at, const char *fn, struct val *a, size_t n,
		struct val *out)
{
	*out = (struct val){0};
	if (!strcmp(fn, "json")) {
		char *s;

		if (want_args(x, at, fn, n, 1, 1) < 0)
			return -1;
		s = a[0].j ? cJSON_PrintUnformatted(a[0].j) : xstrdup("null");
		*out = owned(cJSON_CreateString(s ? s : "null"));
		free(s);
		return 0;
	}
	if (!strcmp(fn, "index")) {
		cJSON *v;

		if (want_args(x, at, fn, n, 1, 8) < 0)
			return -1;
		v = a[0].j;
		for (size_t i = 1; i < n && v; i++) {
			if (cJSON_IsObject(v) && cJSON_IsString(a[i].j))
				v = cJSON_GetObjectItemCaseSensitive(v, a[i].j->valuestring);
			else if (cJSON_IsArray(v) && cJSON_IsNumber(a[i].j))
				v = cJSON_GetArrayItem(v, (int)clamp_num(a[i].j, -1, 1e9));
			else
				return xerr(x, at, "can't index a %s with a %s", kind_name(v),
					    kind_name(a[i].j));
		}
		*out = owned(v ? cJSON_Duplicate(v, true) : NULL);
		return 0;
	}
	if (!strcmp(fn, "len")) {
		double l;

		if (want_args(x, at, fn, n, 1, 1) < 0)
			return -1;
		if (cJSON_IsString(a[0].j))
			l = (double)strlen(a[0].j->valuestring);
		else if (cJSON_IsArray(a[0].j) || cJSON_IsObject(a[0].j))
			l = cJSON_GetArraySize(a[0].j);
		else
			return xerr(x, at, "len of a %s", kind_name(a[0].j));
		*out = owned(cJSON_CreateNumber(l));
		return 0;
	}
	if (!strcmp(fn, "join")) {
		char *s = NULL, *sep;
		size_t len = 0;
		FILE *f;
		const cJSON *c;

		if (want_args(x, at, fn, n, 2, 2) < 0)
			return -1;
		if (!cJSON_IsArray(a[0].j))
			return xerr(x, at, "join of a %s", kind_name(a[0].j));
		sep = to_str(a[1].j);
		f = open_memstream(&s, &len);
		cJSON_ArrayForEach (c, a[0].j) {
			print_val(f, c);
			if (c->next)
				fputs(sep, f);
		}
		fclose(f);
		free(sep);
		*out = owned(cJSON_CreateString(s));
		free(s);
		return 0;
	}
	if (!strcmp(fn, "split")) {
		char *s, *sep, *p;
		cJSON *arr;

		if (want_args(x, at, fn, n, 2, 2) < 0)
			return -1;
		s = to_str(a[0].j);
		sep = to_str(a[1].j);
		arr = cJSON_CreateArray();
		for (p = s; *sep;) {
			char *q = strstr(p, sep);

			if (!q)
				break;
			*q = '\0';
			cJSON_AddItemToArray(arr, cJSON_CreateString(p));
			p = q + strlen(sep);
		}
		cJSON_AddItemToArray(arr, cJSON_CreateString(p));
		free(s);
		free(sep);
		*out = owned(arr);
		return 0;
	}
	if (!strcmp(fn, "upper") || !strcmp(fn, "lower") || !strcmp(fn, "title")) {
		char *s;

		if (want_args(x, at, fn, n, 1, 1) < 0)
			return -1;
		s = map_chars(a[0].j, fn[0] == 'l' ? tolower : toupper, fn[0] == 't');
		*out = owned(cJSON_CreateString(s));
		free(s);
		return 0;
	}
	if (!strcmp(fn, "truncate")) {
		char *s;

		if (want_args(x, at, fn, n, 2, 2) < 0)
			return -1;
		s = to_str(a[0].j);
		if (cJSON_IsNumber(a[1].j) && a[1].j->valuedouble >= 0 &&
		    a[1].j->valuedouble < (double)strlen(s))
			s[(size_t)a[1].j->valuedouble] = '\0';
		*out = owned(cJSON_CreateString(s));
		free(s);
		return 0;
	}
	if (!strcmp(fn, "pad")) {
		char *s, *t;
		int l, r;

		if (want_args(x, at, fn, n, 3, 3) < 0)
			return -1;
		s = to_str(a[0].j);
		l = (int)clamp_num(a[1].j, 0, 999);
		r = (int)clamp_num(a[2].j, 0, 999);
		t = xasprintf("%*s%s%*s", l, "", s, r, "");
		*out = owned(cJSON_CreateString(t));
		free(s);
		free(t);
		return 0;
	}
	if (!strcmp(fn, "print") || !strcmp(fn, "println")) {
		char *s = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&s, &len);
		bool ln = fn[5] == 'l';

		for (size_t i = 0; i < n; i++) {
			/* Sprint puts spaces between operands that are not strings */
			if (i && (ln || (!cJSON_IsString(a[i - 1].j) && !cJSON_IsString(a[i].j))))
				fputc(' ', f);
			print_val(f, a[i].j);
		}
		if (ln)
			fputc('\n', f);
		fclose(f);
		*out = owned(cJSON_CreateString(s));
		free(s);
		return 0;
	}
	if (!strcmp(fn, "printf")) {
		char *fmt, *s;

		if (want_args(x, at, fn, n, 1, 16) < 0)
			return -1;
		fmt = to_str(a[0].j);
		s = sprintf_go(fmt, a + 1, n - 1);
		*out = owned(cJSON_CreateString(s));
		free(fmt);
		free(s);
		return 0;
	}
	if (!strcmp(fn, "eq") || !strcmp(fn, "ne")) {
		bool eq = false;

		if (want_args(x, at, fn, n, 2, 8) < 0)
			return -1;
		for (size_t i = 1; i < n && !eq; i++)
			compare(a[0].j, a[i].j, &eq);
		*out = owned(cJSON_CreateBool(fn[0] == 'e' ? eq : !eq));
		return 0;
	}
	if (!strcmp(fn, "lt") || !strcmp(fn, "le") || !strcmp(fn, "gt") || !strcmp(fn, "ge")) {
		bool eq;
		int c;

		if (want_args(x, at, fn, n, 2, 2) < 0)
			return -1;
		if (!((cJSON_IsNumber(a[0].j) && cJSON_IsNumber(a[1].j)) ||
		      (cJSON_IsString(a[0].j) && cJSON_IsString(a[1].j))))
			return xerr(x, at, "%s of a %s and a %s", fn, kind_name(a[0].j),
				    kind_name(a[1].j));
		c = compare(a[0].j, a[1].j, &eq);
		*out = owned(cJSON_CreateBool(fn[0] == 'l' ? (fn[1] == 't' ? c < 0 : c <= 0)
							   : (fn[1] == 't' ? c > 0 : c >= 0)));
		return 0;
	}
	if (!strcmp(fn, "not")) {
		if (want_args(x, at, fn, n, 1, 1) < 0)
			return -1;
		*out = owned(cJSON_CreateBool(!truth(a[0].j)));
		return 0;
	}
	if (!strcmp(fn, "and") || !strcmp(fn, "or")) {
		size_t i;

		if (want_args(x, at, fn, n, 1, 16) < 0)
			return -1;
		/* and: the first empty argument, or the last; or: the first non-empty, or the last
		 */
		for (i = 0; i + 1 < n; i++)
			if (truth(a[i].j) == (fn[0] == 'o'))
				break;
		*out = a[i];
		a[i] = (struct val){0};
		return 0;
	}
	return xerr(x, at, "function \"%s\" not defined", fn);
}
