/* Output formatting shared by every command: aligned tables, key/value blocks and JSON. */
#ifndef BERTH_FORMAT_H
#define BERTH_FORMAT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "lib/bc_text.h"

enum out_format {
	FORMAT_TEXT = 0,
	FORMAT_JSON,
};

/* Parse a --format value ("table", "text" or "json"); -1 with a message on stderr otherwise. */
int format_parse(const char *s, enum out_format *out);

/* A list's --format: table, json, or a Go-style template ("table " first: with a header). */
struct tmpl;
struct listfmt {
	enum out_format fmt;
	struct tmpl *t; /* NULL: table or json, as fmt says */
	bool table;
};
int listfmt_parse(const char *s, struct listfmt *lf);
/* The rows (objects) through the template; headers maps each field to its column title. */
int listfmt_print(const struct listfmt *lf, const cJSON *rows, const cJSON *headers);
void listfmt_free(struct listfmt *lf);
/* The titles of a "table" template from {field, column title} pairs. */
cJSON *listfmt_titles(const char *const (*kv)[2], size_t n);
#define cleanup_listfmt __attribute__((cleanup(listfmt_free)))
/* A template parsed (NULL: the error printed), and one object rendered and a newline. */
struct tmpl *ctl_template(const char *text);
int ctl_print_template(const struct tmpl *t, const cJSON *item);

struct table;
struct table *table_new(unsigned ncols, const char *const *headers);
/* Add a row of ncols strings (copied; NULL prints as empty). */
void table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *out);
void table_free(struct table *t);

/* " Key:   value" lines with the values aligned at width. */
void kv_print(FILE *out, int indent, int width, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Pretty-print a JSON document followed by a newline. */
void json_print(FILE *out, const cJSON *doc);
/* "3s", "5m 2s", "2h 5m", "3d 4h". */
void format_duration(char *buf, size_t len, unsigned long long ms);

/* "5 minutes ago", or "N/A". */
void format_ago(const char *rfc3339, char *buf, size_t len);

/* "2026-11-28 08:04:46 +0000 UTC" from an RFC 3339 UTC time, as Docker's CreatedAt. */
void format_created_at(const char *rfc3339, char *buf, size_t len);

/* An object of labels as "a=b,c=d" (heap). */
char *labels_text(const cJSON *labels);

/* "2.01MB" (decimal units, as Docker shows sizes). */
void format_size(double bytes, char *buf, size_t len);

#endif
