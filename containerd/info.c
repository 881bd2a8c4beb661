/* What containerd reports in INFO: the host facts the runtime depends on, and counts. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/sysinfo.h"
#include "containerd.h"

static int count_subdirs(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

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
	cJSON_AddNumberToObject(out, "containers", count_subdirs(d->state_dir));
	return 0;
}
