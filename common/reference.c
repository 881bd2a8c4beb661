#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/digest.h"
#include "common/xalloc.h"
#include "common/reference.h"

#define DEFAULT_DOMAIN "docker.io"

static bool is_sep(char c)
{
	return c == '.' || c == '_' || c == '-';
}

/* A path component: [a-z0-9]+ joined by ., _, __ or -+ */
static bool component_ok(const char *s, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (isupper((unsigned char)c))
			return false;
		if (!isalnum((unsigned char)c) && !is_sep(c))
			return false;
	}
	return true;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("_.-", t[i]))
			return false;
	return true;
}

static bool domain_like(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && !strncmp(s, "localhost", 9));
}

int ref_parse(const char *s, struct ref *r, struct err *err)
{
	cleanup_free char *copy = xstrdup(s);
	char *name = copy, *at, *slash, *colon, *rest;

	memset(r, 0, sizeof(*r));
	if (!*s || strlen(s) > 255)
		return err_set(err, EINVAL, "invalid reference format: '%s'", s);
	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!digest_valid(at + 1))
			return err_set(err, EINVAL, "invalid reference '%s': bad digest '%s'", s,
				       at + 1);
		r->digest = xstrdup(at + 1);
	}
	slash = strchr(name, '/');
	if (slash && domain_like(name, (size_t)(slash - name))) {
		r->domain = xstrndup(name, (size_t)(slash - name));
		rest = slash + 1;
	} else {
		r->domain = xstrdup(DEFAULT_DOMAIN);
		rest = name;
	}
	colon = strrchr(rest, ':');
	if (colon && !strchr(colon, '/')) {
		*colon = '\0';
		if (!tag_ok(colon + 1)) {
			ref_free(r);
			return err_set(err, EINVAL, "invalid reference '%s': bad tag '%s'", s,
				       colon + 1);
		}
		r->tag = xstrdup(colon + 1);
	}
	for (char *p = rest;;) {
		char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (!component_ok(p, n)) {
			ref_free(r);
			return err_set(err, EINVAL,
				       "invalid reference format: '%s' (repository names are lower "
				       "case letters, digits and separators)",
				       s);
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (!strcmp(r->domain, DEFAULT_DOMAIN) && !strchr(rest, '/'))
		r->path = xasprintf("library/%s", rest);
	else
		r->path = xstrdup(rest);
	if (!r->tag && !r->digest)
		r->tag = xstrdup("latest");
	return 0;
}

void ref_free(struct ref *r)
{
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

char *ref_full(const struct ref *r)
{
	if (r->digest)
		return xasprintf("%s/%s@%s", r->domain, r->path, r->digest);
	return xasprintf("%s/%s:%s", r->domain, r->path, r->tag);
}

char *ref_familiar_of(const char *full)
{
	const char *p = full;

	if (!strncmp(p, DEFAULT_DOMAIN "/", strlen(DEFAULT_DOMAIN) + 1)) {
		p += strlen(DEFAULT_DOMAIN) + 1;
		if (!strncmp(p, "library/", 8))
			p += 8;
	}
	return xstrdup(p);
}
