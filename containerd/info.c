/* What containerd reports in INFO: the host facts the runtime depends on, and counts. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/sysinfo.h"
#include "containerd.h"

int containerd_info(struct daemon *d, cJSON *out, struct err *err)
{
	enum cgroup_mode mode = cgroup_mode_detect("/sys/fs/cgroup");
	struct utsname u;

	if (uname(&u) < 0)
		return err_sys(err, "uname");
	cJSON_AddStringToObject(out, "kernel", u.release);
	cJSON_AddStringToObject(out, "os", u.sysname);
	cJSON_AddStringToObject(out, "architecture", u.machine);
	cJSON_AddStringToObject(out, "hostname", u.nodename);
	cJSON_AddStringToObject(out, "cgroup_layout", cgroup_mode_name(mode));
	cJSON_AddNumberToObject(out, "cgroup_version", cgroup_mode_version(mode));
	cJSON_AddBoolToObject(out, "overlayfs", overlayfs_supported());
	{
		const struct cd *cd = d->priv;
		const struct ctr *k;
		int running = 0, stopped = 0;

		TAILQ_FOREACH (k, &cd->ctrs, link) {
			if (k->status == CS_RUNNING || k->status == CS_PAUSED)
				running++;
			else
				stopped++;
		}
		cJSON_AddNumberToObject(out, "containers", cd->nctrs);
		cJSON_AddNumberToObject(out, "containers_running", running);
		cJSON_AddNumberToObject(out, "containers_stopped", stopped);
	}
	return 0;
}
