/*
 * Output through --format templates: inspect (containers, images, networks,
 * volumes) prints one rendered line per object; ps and images render their
 * rows, as a table with a header when the template starts with "table ".
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl.h"
#include "lib/bclient.h"
#include "format.h"
#include "proto/tags.h"
#include "template.h"

struct tmpl *ctl_template(const char *text)
{
	char *err = NULL, *unescaped = xstrdup(text), *w = unescaped;
	struct tmpl *t;

	/* a literal \t or \n typed in the shell stands for a tab or a newline, as with Docker */
	for (const char *r = text; *r; r++) {
		if (r[0] == '\\' && (r[1] == 't' || r[1] == 'n')) {
			*w++ = r[1] == 't' ? '\t' : '\n';
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	t = tmpl_parse(unescaped, &err);
	free(unescaped);

	if (!t) {
		ctl_fail(EXIT_DAEMON, "--format: %s", err);
		free(err);
	}
	return t;
}

int ctl_print_template(const struct tmpl *t, const cJSON *item)
{
	char *err = NULL;

	if (tmpl_exec(t, item, stdout, &err) < 0) {
		fflush(stdout);
		ctl_fail(EXIT_FAIL, "--format: %s", err);
		free(err);
		return EXIT_FAIL;
	}
	putchar('\n');
	return EXIT_OK;
}

/*
 * One reference as the first kind that knows it (a daemon's "no such" is
 * ENOENT): printed errors for one kind, "no such object" for several.
 */
static int lookup(struct ctl *ctl, const struct inspect_kind *kinds, size_t n, const char *ref,
		  cJSON **out)
{
	if (n == 1)
		return ctl_ref_call(ctl, kinds[0].d, kinds[0].type, ref, out);
	for (size_t i = 0; i < n; i++) {
		struct err err = ERR_INIT;
		struct pbuf pb;
		int r;

		pb_init(&pb);
		pb_put_str(&pb, TAG_REF, ref);
		r = ctl_daemon_try(ctl, kinds[i].d, kinds[i].type, &pb, out, NULL, NULL, &err);
		if (r == -ENOENT) {
			err_clear(&err);
			continue;
		}
		if (r < 0) {
			r = ctl_fail(err.code == BC_UNREACHABLE ? EXIT_DAEMON : EXIT_FAIL, "%s",
				     err_msg(&err));
			err_clear(&err);
		}
		return r;
	}
	return ctl_fail(EXIT_FAIL, "no such object: %s", ref);
}

int ctl_inspect(struct ctl *ctl, const struct inspect_kind *kinds, size_t nkinds, int argc,
		char **argv, const char *usage)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
					     {"type", required_argument, NULL, 'T'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	cleanup_cjson cJSON *all = cJSON_CreateArray();
	struct tmpl *t = NULL;
	const char *what = nkinds == 1 ? kinds[0].name : "container, image, network or volume";
	int c, rc = EXIT_OK;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		if (c == 'h') {
			ctl_usage(stdout, usage);
			tmpl_free(t);
			return EXIT_OK;
		}
		if (c == 'T') {
			size_t i = 0;

			while (i < nkinds && strcmp(kinds[i].name, optarg))
				i++;
			if (i == nkinds) {
				tmpl_free(t);
				return ctl_fail(EXIT_DAEMON, "--type %s: use %s", optarg, what);
			}
			kinds += i;
			nkinds = 1;
			what = kinds[0].name;
			continue;
		}
		if (c != 'f')
			goto usage;
		tmpl_free(t);
		t = NULL;
		if (strcmp(optarg, "json") && !(t = ctl_template(optarg)))
			return EXIT_DAEMON;
	}
	if (optind >= argc) {
		tmpl_free(t);
		return ctl_fail(EXIT_DAEMON, "%s needs at least one %s", argv[0], what);
	}
	for (int i = optind; i < argc; i++) {
		cJSON *out = NULL;
		int r;

		if ((r = lookup(ctl, kinds, nkinds, argv[i], &out))) {
			rc = r;
			continue;
		}
		if (t) {
			r = ctl_print_template(t, out);
			cJSON_Delete(out);
			if (r) {
				rc = r;
				break;
			}
		} else {
			cJSON_AddItemToArray(all, out);
		}
	}
	if (!t)
		json_print(stdout, all);
	tmpl_free(t);
	return rc;
usage:
	tmpl_free(t);
	return EXIT_DAEMON;
}

int listfmt_parse(const char *s, struct listfmt *lf)
{
	listfmt_free(lf);
	if (!strcmp(s, "json") || !strcmp(s, "table") || !strcmp(s, "text"))
		return format_parse(s, &lf->fmt);
	lf->fmt = FORMAT_TEXT;
	lf->table = !strncmp(s, "table ", 6);
	lf->t = ctl_template(lf->table ? s + 6 : s);
	return lf->t ? 0 : -1;
}

void listfmt_free(struct listfmt *lf)
{
	tmpl_free(lf->t);
	*lf = (struct listfmt){0};
}

/* One row rendered; NULL (the error printed) when the template fails on it. */
static char *render(const struct tmpl *t, const cJSON *row)
{
	char *s = NULL, *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (tmpl_exec(t, row, f, &err) < 0) {
		fclose(f);
		free(s);
		ctl_fail(EXIT_FAIL, "--format: %s", err);
		free(err);
		return NULL;
	}
	fclose(f);
	return s;
}

/* A rendered line's tab-separated cells into the table (ncols of them). */
static void add_cells(struct table *tb, char *line, unsigned ncols)
{
	const char **cells = xcalloc(ncols, sizeof(char *));
	char *p = line;

	for (unsigned i = 0; i < ncols && p; i++) {
		char *tab = i + 1 < ncols ? strchr(p, '\t') : NULL;

		if (tab)
			*tab = '\0';
		cells[i] = p;
		p = tab ? tab + 1 : NULL;
	}
	table_add(tb, cells);
	free(cells);
}

int listfmt_print(const struct listfmt *lf, const cJSON *rows, const cJSON *headers)
{
	const cJSON *row;
	struct table *tb;
	char *head;
	unsigned ncols = 1;
	int rc = EXIT_OK;

	if (!lf->table) {
		cJSON_ArrayForEach (row, rows) {
			char *line = render(lf->t, row);

			if (!line)
				return EXIT_FAIL;
			puts(line);
			free(line);
		}
		return EXIT_OK;
	}
	head = render(lf->t, headers);
	if (!head)
		return EXIT_FAIL;
	for (const char *p = head; (p = strchr(p, '\t')); p++)
		ncols++;
	{
		const char **titles = xcalloc(ncols, sizeof(char *));
		char *p = head;

		for (unsigned i = 0; i < ncols; i++) {
			char *tab = strchr(p, '\t');

			if (tab)
				*tab = '\0';
			titles[i] = p;
			p = tab ? tab + 1 : p + strlen(p);
		}
		tb = table_new(ncols, titles);
		free(titles);
	}
	cJSON_ArrayForEach (row, rows) {
		char *line = render(lf->t, row);

		if (!line) {
			rc = EXIT_FAIL;
			break;
		}
		add_cells(tb, line, ncols);
		free(line);
	}
	if (rc == EXIT_OK)
		table_print(tb, stdout);
	table_free(tb);
	free(head);
	return rc;
}

cJSON *listfmt_titles(const char *const (*kv)[2], size_t n)
{
	cJSON *h = cJSON_CreateObject();

	for (size_t i = 0; i < n; i++)
		cJSON_AddStringToObject(h, kv[i][0], kv[i][1]);
	return h;
}
