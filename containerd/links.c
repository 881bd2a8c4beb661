/*
 * --link NAME[:ALIAS] (HostConfig.Links; docker-compose run links a one-off
 * container to its service's containers): the linked container's address
 * on a network both are on, under its alias and its name, in this
 * container's /etc/hosts, as Docker's links give on a user defined network.
 * The environment variables of Docker's legacy links (ALIAS_PORT_...) are
 * not made: they are deprecated there, and a name that resolves is what
 * links are used for.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "containerd.h"

/* "NAME", "NAME:ALIAS", or Docker's stored form "/NAME:/THIS/ALIAS", into name and alias. */
static bool link_parse(const char *spec, char name[256], char alias[256])
{
	const char *colon = strchr(spec, ':'), *a;
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);

	if (*spec == '/')
		spec++, n--;
	if (!n || n >= 256)
		return false;
	snprintf(name, 256, "%.*s", (int)n, spec);
	a = colon ? colon + 1 : name;
	if (strrchr(a, '/'))
		a = strrchr(a, '/') + 1;
	if (!*a || strlen(a) >= 256)
		return false;
	snprintf(alias, 256, "%s", a);
	return true;
}

/* The address of other on a network k is on too, or NULL. */
static const char *shared_address(const struct ctr *k, const struct ctr *other)
{
	cleanup_cjson cJSON *names = ctr_networks(k);
	const cJSON *n, *att;

	cJSON_ArrayForEach (n, names)
		if ((att = ctr_attachment(other, n->valuestring)))
			return cJSON_GetStringValue(cJSON_GetObjectItem(att, "IPAddress"));
	return NULL;
}

int links_check(struct cd *cd, const cJSON *hc, struct err *err)
{
	const cJSON *l;
	const char *net = cJSON_GetStringValue(cJSON_GetObjectItem(hc, "NetworkMode"));

	cJSON_ArrayForEach (l, cJSON_GetObjectItem(hc, "Links")) {
		char name[256], alias[256];

		if (!cJSON_GetStringValue(l) || !link_parse(l->valuestring, name, alias))
			return err_set(err, EINVAL, "invalid --link '%s': expected NAME[:ALIAS]",
				       cJSON_GetStringValue(l) ?: "");
		if (net && (!strcmp(net, "host") || !strcmp(net, "none") ||
			    !strncmp(net, "container:", 10)))
			return err_set(err, EINVAL,
				       "--link %s needs a network: it is not possible with "
				       "--network %s",
				       l->valuestring, net);
		if (!host_name_valid(alias, 253))
			return err_set(err, EINVAL,
				       "invalid --link %s: the alias '%s' is not a host name "
				       "(letters, digits, '.', '-' and '_')",
				       l->valuestring, alias);
		if (!ctr_find(cd, name, err)) {
			err_clear(err);
			return err_set(err, EINVAL, "invalid --link %s: no such container: %s",
				       l->valuestring, name);
		}
	}
	return 0;
}

int links_check_start(struct ctr *k, struct err *err)
{
	const cJSON *l;

	cJSON_ArrayForEach (l, ctr_cfg(k, "HostConfig", "Links")) {
		char name[256], alias[256];
		struct ctr *other;

		if (!cJSON_GetStringValue(l) || !link_parse(l->valuestring, name, alias))
			continue;
		if (!(other = ctr_find(k->cd, name, err)))
			return err_wrap(err, "--link %s", l->valuestring);
		if (other->status != CS_RUNNING && other->status != CS_PAUSED)
			return err_set(err, EINVAL,
				       "cannot link to container %s, it is not running: start it "
				       "first (--link %s)",
				       other->name, l->valuestring);
		if (!shared_address(k, other))
			return err_set(err, EINVAL,
				       "cannot link to container %s: it is on no network container "
				       "%s is on (--link %s)",
				       other->name, k->name, l->valuestring);
	}
	return 0;
}

void links_hosts(struct ctr *k, FILE *f)
{
	const cJSON *l;

	cJSON_ArrayForEach (l, ctr_cfg(k, "HostConfig", "Links")) {
		char name[256], alias[256];
		struct err err = ERR_INIT;
		struct ctr *other;
		const char *ip;

		if (!cJSON_GetStringValue(l) || !link_parse(l->valuestring, name, alias))
			continue;
		other = ctr_find(k->cd, name, &err);
		err_clear(&err);
		if (other && (ip = shared_address(k, other)))
			fprintf(f, "%s\t%s%s%s\n", ip, alias, strcmp(alias, other->name) ? " " : "",
				strcmp(alias, other->name) ? other->name : "");
	}
}
