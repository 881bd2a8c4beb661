/*
 * Registry tokens kept between jobs: $ROOT/image/tokens.json (0600, root's),
 * keyed by the digest of the token request (realm, service, scope) and of
 * the credentials it was asked with, until the expiry the token service
 * gave (60 s when it gave none, as the distribution spec says). Replaced
 * atomically; two pulls writing at once only lose one entry.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/digest.h"
#include "common/xalloc.h"
#include "tokencache.h"

static cJSON *load(const char *path)
{
	FILE *f = fopen(path, "re");
	char buf[65536];
	size_t n;

	if (!f)
		return cJSON_CreateObject();
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	{
		cJSON *doc = cJSON_Parse(buf);

		if (cJSON_IsObject(doc))
			return doc;
		cJSON_Delete(doc);
	}
	return cJSON_CreateObject();
}

void token_key(const char *url, const char *userpwd, char out[DIGEST_STR_LEN + 1])
{
	cleanup_free char *text = xasprintf("%s\n%s", url, userpwd ? userpwd : "");
	struct err e = ERR_INIT;

	if (sha256_digest(text, strlen(text), out, &e) < 0) {
		out[0] = '\0';
		err_clear(&e);
	}
	explicit_bzero(text, strlen(text));
}

char *token_cache_get(const char *path, const char *key)
{
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *e;

	if (!path || !key[0])
		return NULL;
	doc = load(path);
	e = cJSON_GetObjectItem(doc, key);
	/* a few seconds of margin: the token must outlive the requests made with it */
	if (!cJSON_IsString(cJSON_GetObjectItem(e, "token")) ||
	    cJSON_GetNumberValue(cJSON_GetObjectItem(e, "expires")) < (double)time(NULL) + 5)
		return NULL;
	return xstrdup(cJSON_GetObjectItem(e, "token")->valuestring);
}

void token_cache_put(const char *path, const char *key, const char *token, long ttl)
{
	cleanup_cjson cJSON *doc = NULL;
	cleanup_free char *text = NULL;
	cJSON *e, *it, *next;
	struct err err = ERR_INIT;
	double now = (double)time(NULL);

	if (!path || !key[0])
		return;
	doc = load(path);
	/* expired entries go */
	for (it = doc->child; it; it = next) {
		next = it->next;
		if (cJSON_GetNumberValue(cJSON_GetObjectItem(it, "expires")) < now)
			cJSON_Delete(cJSON_DetachItemViaPointer(doc, it));
	}
	cJSON_DeleteItemFromObject(doc, key);
	e = cJSON_AddObjectToObject(doc, key);
	cJSON_AddStringToObject(e, "token", token);
	cJSON_AddNumberToObject(e, "expires", now + (double)(ttl > 0 ? ttl : 60));
	text = cJSON_PrintUnformatted(doc);
	if (atomic_write_file(path, text, strlen(text), 0600, &err) < 0)
		err_clear(&err); /* a cache: the next pull asks again */
}
