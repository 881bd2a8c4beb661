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

int main(int argc, char **argv)
{
	netd_priv.syscalls = priv_allowlist(netd_syscalls);
	return daemon_main(argc, argv, &netd_def);
}
