/*
 * berth-imaged keeps only the capabilities that file ownership needs to
 * unpack layers faithfully. CAP_SYS_CHROOT and CAP_SYS_ADMIN stay in the
 * permitted set only, for the unpack worker that confines itself to the
 * target directory; they are never effective in the daemon itself.
 */
#include "config.h"

#include <linux/capability.h>

#include "imaged.h"
#include "job.h"

static const int imaged_caps[] = {
    CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_MKNOD, CAP_SETFCAP, -1,
};
static const int imaged_caps_permitted[] = {CAP_SYS_CHROOT, CAP_SYS_ADMIN, -1};

/* The base list plus what the workers need (they inherit the filter). */
static const char *const imaged_syscalls[] = {"chroot",	 "mknod", "mknodat", "capset", "execve",
					      "unshare", "mount", "umount2", NULL};

static struct priv_spec imaged_priv = {
    .caps = imaged_caps,
    .caps_permitted = imaged_caps_permitted,
    .no_new_privs = true,
};

static const struct daemon_def imaged_def = {
    .which = DAEMON_IMAGED,
    .accept_roles = ROLE_CLIENT | ROLE_APID | ROLE_CONTAINERD,
    .table = imaged_table,
    .priv = &imaged_priv,
    .init = imaged_init,
    .info = imaged_info,
    .fini = imaged_fini,
    .conn_closed = job_conn_closed,
};

int main(int argc, char **argv)
{
	imaged_priv.syscalls = priv_allowlist(imaged_syscalls);
	return daemon_main(argc, argv, &imaged_def);
}
