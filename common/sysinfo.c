#include "config.h"

#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

#include "cleanup.h"
#include "sysinfo.h"

enum cgroup_mode cgroup_mode_detect(const char *base)
{
	struct statfs st;
	char unified[4096];

	if (statfs(base, &st) < 0)
		return CGROUP_MODE_UNKNOWN;
	if (st.f_type == CGROUP2_SUPER_MAGIC)
		return CGROUP_MODE_V2;
	if (st.f_type != TMPFS_MAGIC)
		return CGROUP_MODE_UNKNOWN;
	snprintf(unified, sizeof(unified), "%s/unified", base);
	if (statfs(unified, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
		return CGROUP_MODE_HYBRID;
	return CGROUP_MODE_V1;
}

const char *cgroup_mode_name(enum cgroup_mode m)
{
	switch (m) {
	case CGROUP_MODE_V1:
		return "v1";
	case CGROUP_MODE_HYBRID:
		return "hybrid";
	case CGROUP_MODE_V2:
		return "v2";
	default:
		return "unknown";
	}
}

int cgroup_mode_version(enum cgroup_mode m)
{
	switch (m) {
	case CGROUP_MODE_V1:
	case CGROUP_MODE_HYBRID:
		return 1;
	case CGROUP_MODE_V2:
		return 2;
	default:
		return 0;
	}
}

bool overlayfs_supported(void)
{
	cleanup_fclose FILE *f = fopen("/proc/filesystems", "re");
	char line[256];

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, '\t');

		name = name ? name + 1 : line;
		name[strcspn(name, "\n")] = '\0';
		if (strcmp(name, "overlay") == 0)
			return true;
	}
	return false;
}
