/*
 * berth-netd keeps the network capabilities and CAP_SYS_ADMIN (setns into
 * a container's network namespace); nothing for files.
 */
#include "config.h"

#include <linux/capability.h>
#include <stddef.h>

#include "netd.h"

static const int netd_caps[] = {
    CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SYS_ADMIN, -1,
};

static const char *const netd_syscalls[] = {"setns", "unshare", NULL};

static const char *const *netd_allowlist(void);

static struct priv_spec netd_priv = {
    .caps = netd_caps,
    .no_new_privs = true,
};

static const struct daemon_def netd_def = {
    .which = DAEMON_NETD,
    .accept_roles = ROLE_CLIENT | ROLE_CONTAINERD,
    .table = netd_table,
    .priv = &netd_priv,
    .info = netd_info,
};

/* The base list plus netd's own, built once at start. */
static const char *const *netd_allowlist(void)
{
	static const char *list[512];
	size_t n = 0;

	for (const char *const *s = priv_base_syscalls; *s && n < 500; s++)
		list[n++] = *s;
	for (const char *const *s = netd_syscalls; *s && n < 510; s++)
		list[n++] = *s;
	list[n] = NULL;
	return list;
}

int main(int argc, char **argv)
{
	netd_priv.syscalls = netd_allowlist();
	return daemon_main(argc, argv, &netd_def);
}
