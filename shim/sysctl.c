/* Namespaced sysctls only: checked at parse time, written inside the container. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime.h"
#include "spec.h"

static const char *const ipc_keys[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

static bool key_chars_ok(const char *key)
{
	const char *p;

	if (!*key || *key == '.' || *key == '/')
		return false;
	for (p = key; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.' ||
			  *p == '/';
		if (!ok)
			return false;
		if ((*p == '.' || *p == '/') && (p[1] == '.' || p[1] == '/' || p[1] == '\0'))
			return false; /* no empty segment and no ".." */
	}
	return true;
}

int sysctl_check(const char *key, const char *value, const struct spec *s, struct err *err)
{
	if (!key_chars_ok(key))
		return err_set(err, EINVAL, "linux.sysctl: invalid key '%s'", key);
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '=' || *p == '+')
			return err_set(
			    err, EINVAL,
			    "linux.sysctl.%s: value holds a forbidden character (0x%02x): "
			    "one value per key",
			    key, (unsigned char)*p);
	for (size_t i = 0; i < sizeof(ipc_keys) / sizeof(ipc_keys[0]); i++)
		if (strcmp(key, ipc_keys[i]) == 0)
			goto ipc;
	if (strncmp(key, "fs.mqueue.", 10) == 0)
		goto ipc;
	if (strncmp(key, "net.", 4) == 0) {
		if (!s->ns[NS_NET].present || s->ns[NS_NET].path)
			return err_set(err, EINVAL, "linux.sysctl.%s needs a new network namespace",
				       key);
		return 0;
	}
	if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0) {
		if (!s->ns[NS_UTS].present)
			return err_set(err, EINVAL, "linux.sysctl.%s needs a uts namespace", key);
		return 0;
	}
	return err_set(err, EPERM,
		       "linux.sysctl.%s is not namespaced: setting it would change the host", key);
ipc:
	if (!s->ns[NS_IPC].present)
		return err_set(err, EINVAL, "linux.sysctl.%s needs an ipc namespace", key);
	return 0;
}

/* Write every sysctl of the spec through /proc/sys (the container's, after its /proc). */
int sysctl_apply(const struct spec *s, struct err *err)
{
	cleanup_close int dir = -1;
	const cJSON *it;

	if (!s->sysctl || !s->sysctl->child)
		return 0;
	dir = open("/proc/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return err_sys(err, "open /proc/sys");
	cJSON_ArrayForEach (it, s->sysctl) {
		struct open_how how = {.flags = O_WRONLY | O_CLOEXEC,
				       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
						  RESOLVE_NO_MAGICLINKS};
		cleanup_free char *path = xstrdup(it->string);
		cleanup_close int fd = -1;
		size_t len = strlen(it->valuestring);

		for (char *p = path; *p; p++)
			if (*p == '.')
				*p = '/';
		fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof(how));
		if (fd < 0)
			return err_sys(err, "sysctl %s", it->string);
		if (write(fd, it->valuestring, len) != (ssize_t)len)
			return err_sys(err, "sysctl %s = '%s'", it->string, it->valuestring);
	}
	return 0;
}
