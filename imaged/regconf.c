/*
 * Per-registry settings for pull, push and login, read by the worker at each
 * job (no daemon restart): CA and client certificates as Docker's certs.d
 * lays them out, the registries plain HTTP is allowed for, and mirrors for
 * docker.io.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "regconf.h"

static char *conf_dir(void)
{
	const char *d = getenv("BERTH_CONF_DIR");

	return xstrdup(d && *d ? d : "/etc/berth");
}

static char *read_small(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = xzalloc(max + 1);
	n = fread(buf, 1, max, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Every *.crt of dir, concatenated in memory: curl takes it as CAINFO_BLOB. */
static char *ca_bundle(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *all = NULL;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		cleanup_free char *p = NULL, *text = NULL;
		char *next;

		if (n < 5 || strcmp(de->d_name + n - 4, ".crt"))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		text = read_small(p, 1u << 20);
		if (!text)
			continue;
		next = xasprintf("%s%s\n", all ? all : "", text);
		free(all);
		all = next;
	}
	closedir(d);
	return all;
}

void regconf_load(const char *domain, struct regconf *rc)
{
	cleanup_free char *dir = conf_dir(), *certs = NULL, *cert = NULL, *key = NULL;
	cleanup_free char *json_path = NULL, *text = NULL;
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *it;

	*rc = (struct regconf){.push_chunk = 32u << 20};
	certs = xasprintf("%s/certs.d/%s", dir, domain);
	if (access(certs, F_OK) == 0) {
		rc->ca_dir = xstrdup(certs);
		rc->ca_pem = ca_bundle(certs);
		cert = xasprintf("%s/client.cert", certs);
		key = xasprintf("%s/client.key", certs);
		if (access(cert, R_OK) == 0 && access(key, R_OK) == 0) {
			rc->client_cert = steal_ptr(&cert);
			rc->client_key = steal_ptr(&key);
		}
	}
	json_path = xasprintf("%s/registries.json", dir);
	text = read_small(json_path, 1u << 20);
	doc = text ? cJSON_Parse(text) : NULL;
	it = cJSON_GetObjectItem(doc, "push-chunk-size");
	if (cJSON_IsNumber(it) && it->valuedouble >= 0)
		rc->push_chunk = (uint64_t)it->valuedouble;
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(doc, "insecure-registries"))
		if (cJSON_IsString(it) && !strcmp(it->valuestring, domain))
			rc->insecure = true;
	if (!strcmp(domain, "docker.io"))
		cJSON_ArrayForEach (it, cJSON_GetObjectItem(doc, "registry-mirrors")) {
			if (!cJSON_IsString(it) || (strncmp(it->valuestring, "http://", 7) &&
						    strncmp(it->valuestring, "https://", 8)))
				continue;
			rc->mirrors = xreallocarray(rc->mirrors, rc->nmirrors + 1, sizeof(char *));
			rc->mirrors[rc->nmirrors] = xstrdup(it->valuestring);
			/* "https://mirror/" -> "https://mirror" */
			for (size_t n = strlen(rc->mirrors[rc->nmirrors]);
			     n > 8 && rc->mirrors[rc->nmirrors][n - 1] == '/'; n--)
				rc->mirrors[rc->nmirrors][n - 1] = '\0';
			rc->nmirrors++;
		}
}

void regconf_free(struct regconf *rc)
{
	free(rc->ca_pem);
	free(rc->ca_dir);
	free(rc->client_cert);
	free(rc->client_key);
	for (size_t i = 0; i < rc->nmirrors; i++)
		free(rc->mirrors[i]);
	free(rc->mirrors);
	*rc = (struct regconf){.push_chunk = 32u << 20};
}

char *regconf_base_url(const char *domain, const struct regconf *rc)
{
	bool loopback = !strncmp(domain, "127.", 4) || !strncmp(domain, "localhost", 9) ||
			!strncmp(domain, "[::1]", 5);

	if (!strcmp(domain, "docker.io"))
		return xstrdup("https://registry-1.docker.io");
	/* certs.d for it says it speaks TLS; otherwise loopback and listed ones get HTTP */
	if ((loopback || rc->insecure) && !rc->ca_dir)
		return xasprintf("http://%s", domain);
	return xasprintf("https://%s", domain);
}

void regconf_apply(CURL *c, const struct regconf *rc)
{
	if (rc->ca_pem) {
		struct curl_blob b = {rc->ca_pem, strlen(rc->ca_pem), CURL_BLOB_COPY};

		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
	}
	if (rc->client_cert) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, rc->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, rc->client_key);
	}
}
