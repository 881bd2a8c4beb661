/*
 * The runtime bundle in $RUN/containers/<id>: rootfs/ (the overlay of the
 * image's layers and the container's own upper directory, as imaged
 * prepared them), config.json (the OCI spec), and the etc files the
 * container sees as /etc/hostname, /etc/hosts and /etc/resolv.conf (kept
 * with the record in $ROOT/containers/<id>). The shim uses the same
 * directory for its socket, pid and exit files.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "containerd.h"

static const char *gd(const struct ctr *k, const char *key)
{
	const cJSON *data = cJSON_GetObjectItem(ctr_cfg(k, "GraphDriver", "Data"), key);

	return cJSON_GetStringValue(data);
}

static int mount_rootfs(struct ctr *k, const char *rootfs, struct err *err)
{
	const char *lower = gd(k, "LowerDir"), *upper = gd(k, "UpperDir"), *work = gd(k, "WorkDir");
	cleanup_free char *opts = NULL, *empty = NULL;

	if (!upper || !work)
		return err_set(err, EINVAL, "container %.12s has no snapshot in its record", k->id);
	if (mkdir(rootfs, 0755) < 0 && errno != EEXIST)
		return err_sys(err, "create %s", rootfs);
	/* a container started before: its old mount goes first */
	umount2(rootfs, MNT_DETACH);
	if (!lower || !*lower) {
		/* an image without layers: overlayfs still wants a lower directory */
		cleanup_free char *run = ctr_run_dir(k);

		empty = xasprintf("%s/empty", run);
		if (mkdir(empty, 0755) < 0 && errno != EEXIST)
			return err_sys(err, "create %s", empty);
		lower = empty;
	}
	opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
	if (strlen(opts) >= 4000)
		return err_set(err, E2BIG, "the image has too many layers for one overlay mount");
	if (mount("overlay", rootfs, "overlay", 0, opts) < 0)
		return err_sys(err, "mount the overlay at %s", rootfs);
	return 0;
}

/*
 * --ipc shareable: the container's /dev/shm is a tmpfs here, in the host's
 * mount namespace, so that --ipc container:NAME can bind the same one (a
 * mount inside another container's namespace cannot be bound), as Docker.
 */
static int mount_shareable_shm(struct ctr *k, const char *run, struct err *err)
{
	const char *mode = cJSON_GetStringValue(ctr_cfg(k, "HostConfig", "IpcMode"));
	double size = cJSON_GetNumberValue(ctr_cfg(k, "HostConfig", "ShmSize"));
	cleanup_free char *shm = xasprintf("%s/shm", run), *opts = NULL;

	if (!mode || strcmp(mode, "shareable"))
		return 0;
	opts = xasprintf("mode=1777,size=%lld", size > 0 ? (long long)size : 67108864ll);
	umount2(shm, MNT_DETACH); /* an earlier run's */
	if (mkdir(shm, 0755) < 0 && errno != EEXIST)
		return err_sys(err, "create %s", shm);
	if (mount("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
		return err_sys(err, "mount the shareable /dev/shm at %s", shm);
	return 0;
}

/*
 * Made again at every start, so no fsync: a temporary name and a rename keep
 * a running container from ever seeing half a file.
 */
static int write_etc(struct ctr *k, const char *name, const char *text, struct err *err)
{
	cleanup_free char *dir = ctr_dir(k), *path = xasprintf("%s/%s", dir, name);
	cleanup_free char *tmp = xasprintf("%s/.%s.tmp", dir, name);
	size_t len = strlen(text);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0)
		return err_sys(err, "create %s", tmp);
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, 0644) < 0) {
		err_sys(err, "write %s", tmp);
		close(fd);
		unlink(tmp);
		return -err->code;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		return err_sys(err, "rename %s", tmp);
	}
	return 0;
}

/* The host's resolvers, as Docker gives them to a container without its own DNS. */
static char *resolv_conf(void)
{
	char *text = NULL;
	struct err err = ERR_INIT;

	if (read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 16, &text, NULL, &err) < 0) {
		err_clear(&err);
		return xstrdup("");
	}
	return text;
}

char *etc_hosts(struct ctr *k, const char *ip, const char *host)
{
	const char *dn = cJSON_GetStringValue(ctr_cfg(k, "Config", "Domainname"));
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const cJSON *e;

	fputs("127.0.0.1\tlocalhost\n"
	      "::1\tlocalhost ip6-localhost ip6-loopback\n"
	      "fe00::0\tip6-localnet\n"
	      "ff00::0\tip6-mcastprefix\n"
	      "ff02::1\tip6-allnodes\n"
	      "ff02::2\tip6-allrouters\n",
	      f);
	/* with --domainname, the full name first and the short one, as Docker's */
	if (dn && *dn)
		fprintf(f, "%s\t%s.%s %s\n", ip, host ? host : k->id, dn, host ? host : k->id);
	else
		fprintf(f, "%s\t%s\n", ip, host ? host : k->id);
	/* --add-host NAME:IP (checked at create: one word, an address) */
	cJSON_ArrayForEach (e, ctr_cfg(k, "HostConfig", "ExtraHosts")) {
		const char *s = cJSON_GetStringValue(e), *colon = s ? strchr(s, ':') : NULL;

		if (colon)
			fprintf(f, "%s\t%.*s\n", colon + 1, (int)(colon - s), s);
	}
	links_hosts(k, f);
	fclose(f);
	return text;
}

/* A space-separated list of an array of strings, or NULL when it is empty. */
static char *words(const cJSON *a)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	const cJSON *w;

	if (cJSON_GetArraySize(a) == 0)
		return NULL;
	f = open_memstream(&text, &len);
	cJSON_ArrayForEach (w, a)
		if (cJSON_GetStringValue(w))
			fprintf(f, "%s%s", w == a->child ? "" : " ", w->valuestring);
	fclose(f);
	return text;
}

char *etc_resolv(struct ctr *k, const char *base)
{
	cleanup_free char *search = words(ctr_cfg(k, "HostConfig", "DnsSearch"));
	cleanup_free char *options = words(ctr_cfg(k, "HostConfig", "DnsOptions"));
	const cJSON *dns = ctr_cfg(k, "HostConfig", "Dns"), *d;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (cJSON_GetArraySize(dns) > 0) {
		/* --dns: these servers instead of the host's or the network's */
		cJSON_ArrayForEach (d, dns)
			if (cJSON_GetStringValue(d))
				fprintf(f, "nameserver %s\n", d->valuestring);
	}
	for (const char *line = base; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (!((cJSON_GetArraySize(dns) > 0 && !strncmp(line, "nameserver", 10)) ||
		      (search && !strncmp(line, "search", 6)) ||
		      (options && !strncmp(line, "options", 7))))
			fprintf(f, "%.*s\n", (int)n, line);
		line = nl ? nl + 1 : line + n;
	}
	if (search)
		fprintf(f, "search %s\n", search);
	if (options)
		fprintf(f, "options %s\n", options);
	fclose(f);
	return text;
}

static int write_etc_files(struct ctr *k, struct err *err)
{
	const char *host = cJSON_GetStringValue(ctr_cfg(k, "Config", "Hostname"));
	const char *net = cJSON_GetStringValue(ctr_cfg(k, "HostConfig", "NetworkMode"));
	cleanup_free char *hostname = NULL, *hosts = NULL, *base = resolv_conf(), *resolv = NULL;
	char hostbuf[256];

	if (net && !strcmp(net, "host")) {
		/* the host's own name, as with Docker's host networking */
		if (gethostname(hostbuf, sizeof(hostbuf)) == 0)
			host = hostbuf;
	}
	hostname = xasprintf("%s\n", host ? host : k->id);
	hosts = etc_hosts(k, "127.0.1.1", host);
	resolv = etc_resolv(k, base);
	if (write_etc(k, "hostname", hostname, err) < 0 || write_etc(k, "hosts", hosts, err) < 0 ||
	    write_etc(k, "resolv.conf", resolv, err) < 0)
		return -err->code;
	return 0;
}

int bundle_prepare(struct cd *cd, struct ctr *k, struct err *err)
{
	cleanup_free char *run = ctr_run_dir(k), *rootfs = xasprintf("%s/rootfs", run);
	cleanup_free char *path = xasprintf("%s/config.json", run), *text = NULL;
	cleanup_cjson cJSON *spec = NULL;

	if (mkdir_secure(run, 0700, err) < 0 || mount_rootfs(k, rootfs, err) < 0 ||
	    mount_shareable_shm(k, run, err) < 0 || write_etc_files(k, err) < 0)
		goto fail;
	spec = spec_generate(cd, k, err);
	if (!spec)
		goto fail;
	text = cJSON_Print(spec);
	if (atomic_write_file(path, text, strlen(text), 0600, err) < 0)
		goto fail;
	return 0;
fail:
	bundle_release(k);
	return -err->code;
}

static void rm_run_dir(const char *dir)
{
	static const char *const files[] = {"config.json", "exit", "shim.pid", "shim.sock", NULL};

	for (size_t i = 0; files[i]; i++) {
		char *p = xasprintf("%s/%s", dir, files[i]);

		unlink(p);
		free(p);
	}
	for (const char *sub = "rootfs"; sub; sub = !strcmp(sub, "rootfs")  ? "empty"
						    : !strcmp(sub, "empty") ? "shm"
									    : NULL) {
		char *p = xasprintf("%s/%s", dir, sub);

		rmdir(p);
		free(p);
	}
	/* the shim's runtime state (rt/) is gone once the shim deleted the container */
	{
		char *p = xasprintf("%s/rt", dir);

		rmdir(p);
		free(p);
	}
	if (rmdir(dir) < 0 && errno != ENOENT)
		log_warn("remove %s", dir);
}

void bundle_release(struct ctr *k)
{
	cleanup_free char *run = ctr_run_dir(k), *rootfs = xasprintf("%s/rootfs", run);
	cleanup_free char *shm = xasprintf("%s/shm", run);

	if (umount2(rootfs, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		log_warn("unmount %s", rootfs);
	if (umount2(shm, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		log_warn("unmount %s", shm);
	rm_run_dir(run);
}
