/* HostConfig.Binds entries (see bindspec.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bindspec.h"
#include "xalloc.h"

static const char *const noops[] = {"rw",	  "z",	    "Z",	 "rprivate", "private",
				    "consistent", "cached", "delegated", NULL};

static int parse_opts(struct bind_spec *b, const char *spec, struct err *err)
{
	char *copy = xstrdup(b->opts), *save = NULL;
	int rc = 0;

	for (char *t = strtok_r(copy, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save)) {
		bool known = false;

		for (size_t i = 0; noops[i]; i++)
			known = known || !strcmp(t, noops[i]);
		if (!strcmp(t, "ro"))
			b->ro = known = true;
		else if (!strcmp(t, "nocopy"))
			b->nocopy = known = true;
		if (!known && (strstr(t, "shared") || strstr(t, "slave")))
			rc =
			    err_set(err, EINVAL,
				    "invalid volume '%s': propagation %s is not supported: berth's "
				    "binds are private (rprivate)",
				    spec, t);
		else if (!known)
			rc = err_set(
			    err, EINVAL,
			    "invalid volume option '%s' in '%s': expected ro, rw, nocopy, z, "
			    "Z or rprivate",
			    t, spec);
	}
	free(copy);
	return rc;
}

int bind_spec_parse(const char *spec, struct bind_spec *b, struct err *err)
{
	char *dst, *opts;

	memset(b, 0, sizeof(*b));
	b->buf = xstrdup(spec ? spec : "");
	dst = strchr(b->buf, ':');
	if (!dst || !dst[1] || dst == b->buf) {
		err_set(err, EINVAL, "invalid volume '%s': expected SOURCE:DEST[:OPTIONS]",
			spec ? spec : "");
		bind_spec_free(b);
		return -EINVAL;
	}
	*dst++ = '\0';
	if ((opts = strchr(dst, ':')))
		*opts++ = '\0';
	b->src = b->buf;
	b->dst = dst;
	b->opts = opts ? opts : "";
	b->volume = b->src[0] != '/';
	if (parse_opts(b, spec, err) < 0) {
		bind_spec_free(b);
		return -err->code;
	}
	return 0;
}

void bind_spec_free(struct bind_spec *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

bool bind_spec_at(const char *spec, const char *dst)
{
	const char *d = spec ? strchr(spec, ':') : NULL;
	size_t n = strlen(dst);

	return d && !strncmp(d + 1, dst, n) && (d[1 + n] == '\0' || d[1 + n] == ':');
}

bool binds_at(const cJSON *binds, const char *dst)
{
	const cJSON *b;

	cJSON_ArrayForEach (b, binds)
		if (bind_spec_at(cJSON_GetStringValue(b), dst))
			return true;
	return false;
}
