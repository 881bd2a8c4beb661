#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"
#include "ctl.h"
#include "format.h"

int format_parse(const char *s, enum out_format *out)
{
	if (strcmp(s, "json") == 0) {
		*out = FORMAT_JSON;
		return 0;
	}
	if (strcmp(s, "table") == 0 || strcmp(s, "text") == 0) {
		*out = FORMAT_TEXT;
		return 0;
	}
	ctl_fail(EXIT_DAEMON, "unknown --format '%s' (use table or json)", s);
	return -1;
}

struct table {
	unsigned ncols, nrows;
	char **cells; /* (nrows + 1) * ncols, row 0 is the header */
};

struct table *table_new(unsigned ncols, const char *const *headers)
{
	struct table *t = xzalloc(sizeof(*t));

	t->ncols = ncols;
	t->cells = xcalloc(ncols, sizeof(char *));
	for (unsigned i = 0; i < ncols; i++)
		t->cells[i] = xstrdup(headers[i]);
	return t;
}

void table_add(struct table *t, const char *const *cells)
{
	size_t base = (size_t)(t->nrows + 1) * t->ncols;

	t->cells = xreallocarray(t->cells, base + t->ncols, sizeof(char *));
	for (unsigned i = 0; i < t->ncols; i++)
		t->cells[base + i] = xstrdup(cells[i] ? cells[i] : "");
	t->nrows++;
}

void table_print(const struct table *t, FILE *out)
{
	size_t *w = xcalloc(t->ncols, sizeof(size_t));

	for (unsigned r = 0; r <= t->nrows; r++)
		for (unsigned c = 0; c < t->ncols; c++) {
			size_t l = strlen(t->cells[r * t->ncols + c]);
			if (l > w[c])
				w[c] = l;
		}
	for (unsigned r = 0; r <= t->nrows; r++) {
		for (unsigned c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			if (c + 1 == t->ncols)
				fprintf(out, "%s\n", cell);
			else
				fprintf(out, "%-*s   ", (int)w[c], cell);
		}
	}
	free(w);
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < (size_t)(t->nrows + 1) * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void kv_print(FILE *out, int indent, int width, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = fprintf(out, "%*s%s:", indent, "", key);
	fprintf(out, "%*s", n < width ? width - n : 1, "");
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

void json_print(FILE *out, const cJSON *doc)
{
	char *s = cJSON_Print(doc);

	if (s) {
		fputs(s, out);
		fputc('\n', out);
	}
	free(s);
}

void format_duration(char *buf, size_t len, unsigned long long ms)
{
	unsigned long long s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%llus", s);
	else if (s < 3600)
		snprintf(buf, len, "%llum %llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lluh %llum", s / 3600, (s % 3600) / 60);
	else
		snprintf(buf, len, "%llud %lluh", s / 86400, (s % 86400) / 3600);
}

/* Seconds since an RFC 3339 time, or -1. */
void format_ago(const char *rfc3339, char *buf, size_t len)
{
	long d = format_age_seconds(rfc3339);
	char age[64];

	if (d < 0) {
		snprintf(buf, len, "N/A");
		return;
	}
	format_age(age, sizeof(age), d);
	snprintf(buf, len, "%s ago", age);
}

void format_size(double bytes, char *buf, size_t len)
{
	if (humanize_number(buf, len < 7 ? len : 7, (int64_t)bytes, "B", HN_AUTOSCALE,
			    HN_DECIMAL | HN_NOSPACE | HN_DIVISOR_1000) < 0)
		snprintf(buf, len, "%.0fB", bytes);
}

void format_created_at(const char *rfc3339, char *buf, size_t len)
{
	snprintf(buf, len, "%.10s %.8s +0000 UTC", rfc3339,
		 strlen(rfc3339) > 11 ? rfc3339 + 11 : "");
}

char *labels_text(const cJSON *labels)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	const cJSON *l;

	cJSON_ArrayForEach (l, labels)
		fprintf(f, "%s%s=%s", l == labels->child ? "" : ",", l->string,
			cJSON_IsString(l) ? l->valuestring : "");
	fclose(f);
	return s;
}
