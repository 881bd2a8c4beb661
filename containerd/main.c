/*
 * berth-containerd keeps all capabilities: the shims it spawns (and the
 * containers they run, --privileged ones included) can only have what it
 * has. It never parses image archives and never talks to the network; that
 * is what imaged and netd are for. No seccomp filter and no no_new_privs
 * either, since both would be inherited by every container.
 */
#include "config.h"

#include "containerd.h"

static const struct priv_spec containerd_priv = {
    .keep_all_caps = true,
    .no_new_privs = false,
    .syscalls = NULL,
};

static const struct daemon_def containerd_def = {
    .which = DAEMON_CONTAINERD,
    .accept_roles = ROLE_CLIENT | ROLE_SHIM,
    .table = containerd_table,
    .priv = &containerd_priv,
    .info = containerd_info,
};

int main(int argc, char **argv)
{
	return daemon_main(argc, argv, &containerd_def);
}
