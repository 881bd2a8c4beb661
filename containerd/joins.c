/*
 * Sharing another container's namespaces: --network, --pid and --ipc
 * container:NAME, as Docker has them (debugging sidecars, pods). The other
 * container must exist at create and be one the requester may use (the
 * policy: nobody gets into root's privileged container this way), and run at
 * every start: its namespaces are joined by path, /proc/PID/ns/KIND.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"
#include "containerd.h"

static const struct {
	const char *key, *flag, *kind;
} joinable[] = {
    {"NetworkMode", "--network", "net"},
    {"PidMode", "--pid", "pid"},
    {"IpcMode", "--ipc", "ipc"},
};

#define NJOINABLE (sizeof(joinable) / sizeof(joinable[0]))

/* The container a mode names ("container:NAME"), or NULL. */
static const char *target(const cJSON *hc, const char *key)
{
	const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(hc, key));

	return m && !strncmp(m, "container:", 10) ? m + 10 : NULL;
}

bool join_mode(const cJSON *hc, const char *key)
{
	return target(hc, key) != NULL;
}

int joins_check(struct cd *cd, const cJSON *hc, struct err *err)
{
	for (size_t i = 0; i < NJOINABLE; i++) {
		const char *ref = target(hc, joinable[i].key);

		if (!ref)
			continue;
		if (!*ref || !ctr_find(cd, ref, err)) {
			err_clear(err);
			return err_set(err, ENOENT, "invalid %s container:%s: no such container",
				       joinable[i].flag, ref);
		}
	}
	return 0;
}

int joins_authorize(struct conn *c, const cJSON *hc, struct err *err)
{
	for (size_t i = 0; i < NJOINABLE; i++) {
		const char *ref = target(hc, joinable[i].key);
		struct ctr *other;

		if (!ref || !c->profile)
			continue;
		if (!(other = ctr_find(cd_of(c), ref, err)))
			return -err->code;
		if (ctr_authorize(c, other, err) < 0)
			return err_wrap(err, "%s container:%s", joinable[i].flag, ref);
	}
	return 0;
}

int joins_check_start(struct ctr *k, struct err *err)
{
	const cJSON *hc = ctr_cfg(k, "HostConfig", NULL);

	for (size_t i = 0; i < NJOINABLE; i++) {
		const char *ref = target(hc, joinable[i].key);
		struct ctr *other;

		if (!ref)
			continue;
		if (!(other = ctr_find(k->cd, ref, err)))
			return err_wrap(err, "%s container:%s", joinable[i].flag, ref);
		if (other == k)
			return err_set(err, EINVAL,
				       "%s container:%s: a container cannot join itself",
				       joinable[i].flag, ref);
		/* Docker's rule: only a shareable one's /dev/shm can be shared (bundle.c) */
		if (!strcmp(joinable[i].key, "IpcMode") &&
		    strcmp(cJSON_GetStringValue(ctr_cfg(other, "HostConfig", "IpcMode")) ?: "",
			   "shareable"))
			return err_set(err, EINVAL,
				       "--ipc container:%s: container %s's IPC is not shareable "
				       "(start it with --ipc shareable)",
				       ref, other->name);
		if ((other->status != CS_RUNNING && other->status != CS_PAUSED) || other->pid <= 0)
			return err_set(err, EINVAL,
				       "cannot join the %s namespace of container %s: it is not "
				       "running (%s container:%s)",
				       joinable[i].kind, other->name, joinable[i].flag, ref);
	}
	return 0;
}

struct ctr *join_target_ctr(struct cd *cd, const cJSON *hc, const char *key)
{
	const char *ref = target(hc, key);
	struct err err = ERR_INIT;
	struct ctr *other;

	if (!ref)
		return NULL;
	other = ctr_find(cd, ref, &err);
	err_clear(&err);
	return other;
}

char *join_ns_path(struct cd *cd, const cJSON *hc, const char *key)
{
	struct ctr *other = join_target_ctr(cd, hc, key);
	pid_t pid = other ? other->pid : 0;

	for (size_t i = 0; pid > 0 && i < NJOINABLE; i++)
		if (!strcmp(joinable[i].key, key))
			return xasprintf("/proc/%d/ns/%s", (int)pid, joinable[i].kind);
	return NULL;
}
