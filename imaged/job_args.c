/* Job arguments as JSON: the daemon writes them, berth-imaged-worker reads them back. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "import.h"
#include "save.h"

char *save_args_json(const struct save_args *sa)
{
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(o, "images");

	cJSON_AddBoolToObject(o, "oci", sa->oci);
	for (size_t i = 0; i < sa->n; i++) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "manifest", sa->manifests[i]);
		if (sa->names[i])
			cJSON_AddStringToObject(e, "name", sa->names[i]);
		cJSON_AddItemToArray(list, e);
	}
	return cJSON_PrintUnformatted(o);
}

int save_args_parse(const char *text, struct save_args *sa)
{
	cleanup_cjson cJSON *o = cJSON_Parse(text);
	const cJSON *e;

	memset(sa, 0, sizeof(*sa));
	if (!o)
		return -1;
	sa->oci = cJSON_IsTrue(cJSON_GetObjectItem(o, "oci"));
	cJSON_ArrayForEach (e, cJSON_GetObjectItem(o, "images")) {
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(e, "manifest"));
		const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(e, "name"));

		if (!m)
			return -1;
		sa->manifests = xreallocarray(sa->manifests, sa->n + 1, sizeof(*sa->manifests));
		sa->names = xreallocarray(sa->names, sa->n + 1, sizeof(char *));
		snprintf(sa->manifests[sa->n], sizeof(sa->manifests[sa->n]), "%s", m);
		sa->names[sa->n] = n ? xstrdup(n) : NULL;
		sa->n++;
	}
	return sa->n ? 0 : -1;
}

char *import_args_json(const struct import_args *ia)
{
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	cJSON *ch = cJSON_AddArrayToObject(o, "changes");

	cJSON_AddStringToObject(o, "name", ia->name);
	cJSON_AddStringToObject(o, "url", ia->url);
	cJSON_AddStringToObject(o, "message", ia->message);
	for (size_t i = 0; i < ia->nchanges; i++)
		cJSON_AddItemToArray(ch, cJSON_CreateString(ia->changes[i]));
	return cJSON_PrintUnformatted(o);
}

int import_args_parse(const char *text, struct import_args *ia)
{
	cleanup_cjson cJSON *o = cJSON_Parse(text);
	const cJSON *e;

	memset(ia, 0, sizeof(*ia));
	if (!o)
		return -1;
	snprintf(ia->name, sizeof(ia->name), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(o, "name")) ?: "");
	snprintf(ia->url, sizeof(ia->url), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(o, "url")) ?: "");
	snprintf(ia->message, sizeof(ia->message), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(o, "message")) ?: "");
	ia->changes = xcalloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItem(o, "changes")) + 1,
			      sizeof(char *));
	cJSON_ArrayForEach (e, cJSON_GetObjectItem(o, "changes"))
		if (cJSON_GetStringValue(e))
			ia->changes[ia->nchanges++] = xstrdup(cJSON_GetStringValue(e));
	return 0;
}
