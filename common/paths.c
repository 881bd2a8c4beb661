#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "xalloc.h"

const struct daemon_desc berth_daemons[DAEMON_COUNT] = {
    [DAEMON_IMAGED] = {"imaged", "berth-imaged", "image"},
    [DAEMON_NETD] = {"netd", "berth-netd", "network"},
    [DAEMON_CONTAINERD] = {"containerd", "berth-containerd", "containers"},
};

static char *pick(const char *explicit, const char *env, const char *def)
{
	const char *v = explicit;

	if (!v || !*v)
		v = getenv(env);
	if (!v || !*v)
		v = def;
	return xstrdup(v);
}

void paths_init(struct berth_paths *p, const char *root, const char *run)
{
	p->root = pick(root, "BERTH_ROOT", BERTH_DEFAULT_ROOT);
	p->run = pick(run, "BERTH_RUN", BERTH_DEFAULT_RUN);
}

void paths_free(struct berth_paths *p)
{
	free(p->root);
	free(p->run);
	p->root = p->run = NULL;
}

char *paths_socket(const struct berth_paths *p, enum berth_daemon d)
{
	return xasprintf("%s/%s.sock", p->run, berth_daemons[d].name);
}

char *paths_pidfile(const struct berth_paths *p, enum berth_daemon d)
{
	return xasprintf("%s/%s.pid", p->run, berth_daemons[d].binary);
}

char *paths_program(const char *name, const char *installed_dir)
{
	const char *env = getenv("BERTH_DAEMON_DIR");
	char self[PATH_MAX], *slash, *cand;
	ssize_t n;

	if (env && *env)
		return xasprintf("%s/%s", env, name);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			*slash = '\0';
			cand = xasprintf("%s/%s", self, name);
			if (access(cand, F_OK) == 0)
				return cand;
			free(cand);
		}
	}
	return xasprintf("%s/%s", installed_dir, name);
}

/* What is below the archive's top entry: "top/rest" or "./top/rest" -> "rest"; under a "." top,
 * "./rest" -> "rest". */
const char *tar_child(const char *name, bool dot_top)
{
	const char *slash;

	if (!strncmp(name, "./", 2))
		name += 2;
	if (!strcmp(name, "."))
		return "";
	if (dot_top)
		return name;
	slash = strchr(name, '/');
	return slash ? slash + 1 : "";
}
