/*
 * berth-containerd keeps all capabilities: the shims it spawns (and the
 * containers they run, --privileged ones included) can only have what it
 * has. It never parses image archives and never talks to the network; that
 * is what imaged and netd are for. No seccomp filter and no no_new_privs
 * either, since both would be inherited by every container.
 */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "containerd.h"

static const struct priv_spec containerd_priv = {
    .keep_all_caps = true,
    .no_new_privs = false,
    .syscalls = NULL,
};

static char *seccomp_profile_path(void)
{
	const char *env = getenv("BERTH_SECCOMP_PROFILE");
	char *p;

	if (env && *env)
		return xstrdup(env);
	/* a build tree: the profile sits in contrib/ next to the binaries */
	p = paths_program("contrib/seccomp/default.json", PKGDATADIR);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return xstrdup(PKGDATADIR "/seccomp/default.json");
}

int containerd_init(struct daemon *d, struct err *err)
{
	struct cd *cd = xzalloc(sizeof(*cd));

	d->priv = cd;
	cd->d = d;
	TAILQ_INIT(&cd->ctrs);
	LIST_INIT(&cd->subs);
	cd->dir = xstrdup(d->state_dir);
	cd->run_dir = xasprintf("%s/containers", d->paths.run);
	cd->vol_dir = xasprintf("%s/volumes", d->paths.root);
	cd->shim_path = paths_program("berth-shim", LIBEXECDIR);
	cd->init_path = paths_program("berth-init", LIBEXECDIR);
	cd->seccomp_path = seccomp_profile_path();
	cd->imaged_sock = paths_socket(&d->paths, DAEMON_IMAGED);
	cd->netd_sock = paths_socket(&d->paths, DAEMON_NETD);
	cd->seccomp_cache = xasprintf("%s/seccomp", d->paths.run);
	cd->grants_dir = xasprintf("%s/" POLICY_GRANT_DIR, d->paths.run);
	if (mkdir_secure(cd->run_dir, 0700, err) < 0 || mkdir_secure(cd->vol_dir, 0700, err) < 0 ||
	    mkdir_secure(cd->seccomp_cache, 0700, err) < 0 ||
	    mkdir_secure(cd->grants_dir, 0700, err) < 0)
		return -err->code;
	if (ctr_load_all(cd, err) < 0)
		return -err->code;
	log_info("%u containers on record; shim %s", cd->nctrs, cd->shim_path);
	ctr_restore(cd);
	return 0;
}

/* A directory of plain files (the seccomp cache, the copy grants), gone. */
static void rm_flat_dir(const char *path)
{
	DIR *dir = path ? opendir(path) : NULL;
	struct dirent *de;

	while (dir && (de = readdir(dir)))
		if (de->d_name[0] != '.')
			unlinkat(dirfd(dir), de->d_name, 0);
	if (dir)
		closedir(dir);
	if (path)
		rmdir(path);
}

void containerd_fini(struct daemon *d)
{
	struct cd *cd = d->priv;
	struct ctr *k;

	if (!cd)
		return;
	/* the containers go on without us (live restore) */
	while ((k = TAILQ_FIRST(&cd->ctrs)))
		ctr_destroy(k);
	events_free(cd);
	uv_run(&d->loop, UV_RUN_NOWAIT);
	/* leave to copy ends with us; nothing runs: leave $RUN as we found it */
	rm_flat_dir(cd->grants_dir);
	if (rmdir(cd->run_dir) == 0)
		rm_flat_dir(cd->seccomp_cache);
	free(cd->dir);
	free(cd->run_dir);
	free(cd->vol_dir);
	free(cd->shim_path);
	free(cd->init_path);
	free(cd->seccomp_path);
	free(cd->imaged_sock);
	free(cd->netd_sock);
	free(cd->seccomp_cache);
	free(cd->grants_dir);
	free(cd);
	d->priv = NULL;
}

/* Audit records are events: berth events and GET /events show them. */
static void containerd_audit(struct daemon *d, cJSON *event)
{
	event_publish(d->priv, event);
}

static const struct daemon_def containerd_def = {
    .which = DAEMON_CONTAINERD,
    .accept_roles = ROLE_CLIENT | ROLE_APID | ROLE_SHIM | ROLE_IMAGED | ROLE_NETD,
    .table = containerd_table,
    .priv = &containerd_priv,
    .init = containerd_init,
    .info = containerd_info,
    .fini = containerd_fini,
    .conn_closed = containerd_conn_closed,
    .audit = containerd_audit,
};

int main(int argc, char **argv)
{
	return daemon_main(argc, argv, &containerd_def);
}
