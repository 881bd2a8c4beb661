/*
 * Fuzz target for --format templates (ctl/template.c): any text either
 * parses and executes (or fails to execute) cleanly over a fixed document,
 * or is refused with a message. Built with libFuzzer by `make fuzz`.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char doc_text[] =
    "{\"Id\":\"abc\",\"N\":3,\"F\":1.5,\"B\":true,\"Z\":null,\"L\":[1,\"x\",[2],{\"k\":\"v\"}],"
    "\"M\":{\"a\":\"1\",\"b\":{\"c\":[]}},\"E\":[],\"O\":{}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *err = NULL, *out = NULL;
	size_t len = 0;
	cJSON *doc = cJSON_Parse(doc_text);
	struct tmpl *t;

	memcpy(text, data, size);
	text[size] = '\0';
	t = tmpl_parse(text, &err);
	if (t) {
		FILE *f = open_memstream(&out, &len);

		if (tmpl_exec(t, doc, f, &err) < 0 && !err)
			abort(); /* a failure always says why */
		fclose(f);
		free(out);
		tmpl_free(t);
	} else if (!err) {
		abort();
	}
	free(err);
	cJSON_Delete(doc);
	free(text);
	return 0;
}
