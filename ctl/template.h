/*
 * Docker's --format templates: the part of Go's text/template people use
 * with docker inspect, ps and images, applied to a JSON document.
 *
 *   {{.Field.Sub}}  {{json .Config}}  {{index .Labels "key"}}  {{.A | upper}}
 *   {{range .Mounts}}{{.Source}} {{end}}  {{range $k, $v := .Labels}}..{{end}}
 *   {{if .State.Running}}up{{else}}down{{end}}  {{with .X}}..{{end}}  {{- -}}
 *
 * Functions: json, index, len, join, split, upper, lower, title, truncate,
 * pad, print, println, printf (%s %d %v %q %f), eq, ne, lt, le, gt, ge, not,
 * and, or. A field missing from the document is an error, as with Docker.
 */
#ifndef BERTH_TEMPLATE_H
#define BERTH_TEMPLATE_H

#include <cjson/cJSON.h>
#include <stdio.h>

struct tmpl;

/* NULL with *err (heap, "template: ...") when text is not a valid template. */
struct tmpl *tmpl_parse(const char *text, char **err);
/* Render t with data as "." and "$"; -1 with *err (heap) when it cannot be executed. */
int tmpl_exec(const struct tmpl *t, const cJSON *data, FILE *out, char **err);
void tmpl_free(struct tmpl *t);

#endif
