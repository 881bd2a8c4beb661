/* Facts about the host that the daemons report and the runtime relies on. */
#ifndef BERTH_SYSINFO_H
#define BERTH_SYSINFO_H

#include <stdbool.h>

enum cgroup_mode {
	CGROUP_MODE_UNKNOWN = 0,
	CGROUP_MODE_V1,	    /* legacy: controllers on v1 hierarchies only */
	CGROUP_MODE_HYBRID, /* controllers on v1, a cgroup2 mount beside them */
	CGROUP_MODE_V2,	    /* unified: /sys/fs/cgroup is cgroup2 */
};

/* Detect the layout under base (normally "/sys/fs/cgroup") with statfs. */
enum cgroup_mode cgroup_mode_detect(const char *base);
const char *cgroup_mode_name(enum cgroup_mode m);
/* "1" or "2": the hierarchy berth manages resources through. */
int cgroup_mode_version(enum cgroup_mode m);
/* True when the kernel lists overlay in /proc/filesystems. */
bool overlayfs_supported(void);

#endif
