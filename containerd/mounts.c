/*
 * HostConfig.Mounts, the long form of mounts (docker run --mount, berth run
 * --mount, compose's long volume syntax, the SDKs' Mount objects): each one
 * becomes what the rest of containerd knows, a bind or named volume in
 * Binds, a tmpfs in Tmpfs, an anonymous volume in Config.Volumes, before
 * anything is checked. So one set of checks and one policy apply however a
 * mount was asked for. Errors name the mount as --mount would be typed.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/bindspec.h"
#include "common/xalloc.h"
#include "containerd.h"

static cJSON *item(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(item(o, key)) ?: "";
}

static cJSON *child(cJSON *o, const char *key, bool array)
{
	cJSON *c = item(o, key);

	if (c)
		return c;
	return array ? cJSON_AddArrayToObject(o, key) : cJSON_AddObjectToObject(o, key);
}

/* No two mounts at one place (Docker: "Duplicate mount point"). */
static int check_free(cJSON *req, const char *dst, struct err *err)
{
	cJSON *hc = item(req, "HostConfig");

	if (binds_at(item(hc, "Binds"), dst) || item(item(hc, "Tmpfs"), dst) ||
	    item(item(item(req, "Config"), "Volumes"), dst))
		return err_set(err, EINVAL,
			       "invalid --mount target=%s: duplicate mount point, something is "
			       "mounted there already",
			       dst);
	return 0;
}

/* A key another type of mount has: Docker refuses it rather than ignore it. */
static int check_foreign(const cJSON *m, const char *type, const char *key, struct err *err)
{
	const cJSON *o = item(m, key);

	if (o && !cJSON_IsNull(o) && !(cJSON_IsObject(o) && !o->child))
		return err_set(err, EINVAL,
			       "invalid --mount type=%s,target=%s: %s do not apply to a %s mount",
			       type, str(m, "Target"), key, type);
	return 0;
}

static int bind_mount(cJSON *req, const cJSON *m, struct err *err)
{
	const char *src = str(m, "Source"), *dst = str(m, "Target");
	const cJSON *bo = item(m, "BindOptions");
	const char *prop = str(bo, "Propagation");
	struct stat st;
	char *spec;

	if (check_foreign(m, "bind", "VolumeOptions", err) < 0 ||
	    check_foreign(m, "bind", "TmpfsOptions", err) < 0)
		return -err->code;
	if (src[0] != '/')
		return err_set(err, EINVAL,
			       "invalid --mount type=bind,target=%s: source= must be an absolute "
			       "host path, not '%s'",
			       dst, src);
	/* unlike -v, --mount does not make a missing source (Docker's rule) */
	if (stat(src, &st) < 0)
		return err_sys(err,
			       "invalid --mount type=bind,target=%s: bind source path %s does not "
			       "exist",
			       dst, src);
	if (*prop && strcmp(prop, "rprivate") && strcmp(prop, "private"))
		return err_set(err, EINVAL,
			       "invalid --mount type=bind,target=%s: bind-propagation=%s is not "
			       "supported: berth binds are private (rprivate)",
			       dst, prop);
	if (cJSON_IsTrue(item(bo, "NonRecursive")) || cJSON_IsTrue(item(bo, "CreateMountpoint")) ||
	    cJSON_IsTrue(item(bo, "ReadOnlyNonRecursive")) ||
	    cJSON_IsTrue(item(bo, "ReadOnlyForceRecursive")))
		return err_set(
		    err, EINVAL,
		    "invalid --mount type=bind,target=%s: only bind-propagation=rprivate "
		    "is supported of the bind options",
		    dst);
	spec = xasprintf("%s:%s%s", src, dst, cJSON_IsTrue(item(m, "ReadOnly")) ? ":ro" : "");
	cJSON_AddItemToArray(child(item(req, "HostConfig"), "Binds", true),
			     cJSON_CreateString(spec));
	free(spec);
	return 0;
}

static int volume_mount(cJSON *req, const cJSON *m, struct err *err)
{
	const char *src = str(m, "Source"), *dst = str(m, "Target");
	const cJSON *vo = item(m, "VolumeOptions");
	const char *driver = str(item(vo, "DriverConfig"), "Name");
	char *spec;

	if (check_foreign(m, "volume", "BindOptions", err) < 0 ||
	    check_foreign(m, "volume", "TmpfsOptions", err) < 0)
		return -err->code;
	if (*driver && strcmp(driver, "local"))
		return err_set(err, EINVAL,
			       "invalid --mount type=volume,target=%s: volume-driver=%s is not "
			       "supported: berth has the local driver only",
			       dst, driver);
	if (cJSON_GetArraySize(item(item(vo, "DriverConfig"), "Options")) > 0 ||
	    *str(vo, "Subpath"))
		return err_set(err, EINVAL,
			       "invalid --mount type=volume,target=%s: volume-opt and "
			       "volume-subpath are not supported",
			       dst);
	if (!*src) { /* anonymous: made at create like an image's VOLUME */
		cJSON_AddItemToObject(child(item(req, "Config"), "Volumes", false), dst,
				      cJSON_CreateObject());
		return 0;
	}
	if (src[0] == '/')
		return err_set(err, EINVAL,
			       "invalid --mount type=volume,target=%s: source=%s is a path; a "
			       "volume source is a volume name (type=bind mounts a host path)",
			       dst, src);
	spec = xasprintf("%s:%s%s", src, dst,
			 cJSON_IsTrue(item(m, "ReadOnly"))
			     ? (cJSON_IsTrue(item(vo, "NoCopy")) ? ":ro,nocopy" : ":ro")
			     : (cJSON_IsTrue(item(vo, "NoCopy")) ? ":nocopy" : ""));
	cJSON_AddItemToArray(child(item(req, "HostConfig"), "Binds", true),
			     cJSON_CreateString(spec));
	free(spec);
	return 0;
}

static int tmpfs_mount(cJSON *req, const cJSON *m, struct err *err)
{
	const char *dst = str(m, "Target");
	const cJSON *to = item(m, "TmpfsOptions");
	double size = cJSON_GetNumberValue(item(to, "SizeBytes"));
	double mode = cJSON_GetNumberValue(item(to, "Mode"));
	char opts[96] = "";
	size_t n = 0;

	if (check_foreign(m, "tmpfs", "BindOptions", err) < 0 ||
	    check_foreign(m, "tmpfs", "VolumeOptions", err) < 0)
		return -err->code;
	if (*str(m, "Source"))
		return err_set(err, EINVAL,
			       "invalid --mount type=tmpfs,target=%s: a tmpfs has no source", dst);
	if (size < 0 || (mode == mode && (mode < 0 || mode > 07777)))
		return err_set(err, EINVAL,
			       "invalid --mount type=tmpfs,target=%s: tmpfs-size must not be "
			       "negative, tmpfs-mode is an octal mode up to 7777",
			       dst);
	if (cJSON_GetArraySize(item(to, "Options")) > 0)
		return err_set(err, EINVAL,
			       "invalid --mount type=tmpfs,target=%s: tmpfs options other than "
			       "size and mode are not supported",
			       dst);
	if (size > 0)
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, ",size=%.0f", size);
	if (mode > 0)
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, ",mode=%o", (unsigned)mode);
	if (cJSON_IsTrue(item(m, "ReadOnly")))
		snprintf(opts + n, sizeof(opts) - n, ",ro");
	cJSON_AddStringToObject(child(item(req, "HostConfig"), "Tmpfs", false), dst,
				opts[0] ? opts + 1 : "");
	return 0;
}

int mounts_normalize(cJSON *req, struct err *err)
{
	const cJSON *m;
	cJSON *hc = item(req, "HostConfig");

	if (!item(req, "Config"))
		cJSON_AddObjectToObject(req, "Config");
	cJSON_ArrayForEach (m, item(hc, "Mounts")) {
		const char *type = str(m, "Type"), *dst = str(m, "Target");
		int r;

		if (!cJSON_IsObject(m))
			return err_set(err, EINVAL, "invalid HostConfig.Mounts: not an object");
		if (!*dst)
			return err_set(err, EINVAL, "invalid --mount type=%s: target= is required",
				       *type ? type : "volume");
		if (dst[0] != '/')
			return err_set(err, EINVAL,
				       "invalid --mount target=%s: it must be an absolute path",
				       dst);
		if (check_free(req, dst, err) < 0)
			return -err->code;
		if (!strcmp(type, "bind"))
			r = bind_mount(req, m, err);
		else if (!strcmp(type, "volume") || !*type)
			r = volume_mount(req, m, err);
		else if (!strcmp(type, "tmpfs"))
			r = tmpfs_mount(req, m, err);
		else
			r = err_set(
			    err, EINVAL,
			    "invalid --mount type=%s,target=%s: the type is bind, volume or "
			    "tmpfs",
			    type, dst);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A named volume's labels (--mount volume-label=) when the volume is new, after the policy. */
int mounts_volume_labels(struct cd *cd, const cJSON *req, struct err *err)
{
	const cJSON *m;

	cJSON_ArrayForEach (m, item(item(req, "HostConfig"), "Mounts")) {
		const cJSON *labels = item(item(m, "VolumeOptions"), "Labels");
		const char *type = str(m, "Type"), *src = str(m, "Source");

		if ((*type && strcmp(type, "volume")) || !*src || !cJSON_GetArraySize(labels))
			continue;
		if (volume_ensure(cd, src, labels, false, err) < 0)
			return -err->code;
	}
	return 0;
}
