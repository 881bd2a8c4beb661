/*
 * The container's root filesystem: the spec's mounts (each destination
 * resolved inside the rootfs with openat2 and mounted through
 * /proc/self/fd, so a symlink cannot redirect it out: CVE-2021-30465),
 * default devices, pivot_root, masked and read-only paths.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "runtime.h"

/* (Re)open a mount target inside the root: see mount_point_in_root(). */
static int retarget(int rootfd, const char *dest, int *fd, char target[FDPATH_LEN], struct err *err)
{
	if (*fd >= 0)
		close(*fd);
	*fd = mount_point_in_root(rootfd, dest, 0, target, err);
	return *fd < 0 ? err_wrap(err, "mount point %s", dest) : 0;
}

static void fdpath(char buf[FDPATH_LEN], int fd)
{
	snprintf(buf, FDPATH_LEN, "/proc/self/fd/%d", fd);
}

/*
 * A bind source containerd already resolved (and checked against the
 * policy): opened without following any symlink, so one swapped in since
 * cannot redirect the mount.
 */
static int open_source_nofollow(const char *path, struct err *err)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	if (fd < 0 && errno == ELOOP)
		return err_set(err, ELOOP,
			       "the source has a symbolic link in its path now (it had none when "
			       "it was checked)");
	if (fd < 0)
		return err_sys(err, "open the source");
	return fd;
}

/* Flags a remount of a bind mount must keep (the kernel refuses to clear locked ones). */
static unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	return f;
}

/* Create the mount point inside the root: a file when binding a file, else a directory. */
static int make_target(int rootfd, const struct spec_mount *m, struct err *err)
{
	struct stat st;
	bool is_file = false;
	cleanup_free char *parent = xstrdup(m->dest);
	char *slash;
	int fd;

	if (m->bind && stat(m->source, &st) == 0 && !S_ISDIR(st.st_mode))
		is_file = true;
	if (!is_file)
		return mkdir_in_root(rootfd, m->dest, 0755, err);
	slash = strrchr(parent, '/');
	*slash = '\0';
	if (*parent && mkdir_in_root(rootfd, parent, 0755, err) < 0)
		return -err->code;
	fd = open_in_root(rootfd, m->dest, O_WRONLY | O_CREAT | O_NOCTTY, 0644, err);
	if (fd < 0) {
		/* an existing non-writable file (or a device) will do as a mount point */
		err_clear(err);
		fd = open_in_root(rootfd, m->dest, O_PATH, 0, err);
		if (fd < 0)
			return fd;
	}
	close(fd);
	return 0;
}

static int do_mount(int rootfd, const struct spec_mount *m, struct cgroup *cg, struct err *err)
{
	cleanup_close int tfd = -1;
	char target[FDPATH_LEN];
	unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	int r;

	r = make_target(rootfd, m, err);
	if (r < 0)
		return err_wrap(err, "mount point %s", m->dest);
	if (retarget(rootfd, m->dest, &tfd, target, err) < 0)
		return -err->code;
	if (m->type && strcmp(m->type, "cgroup") == 0 && !m->bind) {
		r = cg->ops->mount(cg, rootfd, m->dest, flags, err);
		return r < 0 ? err_wrap(err, "mount cgroup at %s", m->dest) : 0;
	}
	if (m->bind) {
		cleanup_close int sfd = -1;
		char source[FDPATH_LEN];

		if (m->src_nofollow && (sfd = open_source_nofollow(m->source, err)) < 0)
			return err_wrap(err, "bind %s to %s", m->source, m->dest);
		if (sfd >= 0)
			fdpath(source, sfd);
		if (mount(sfd >= 0 ? source : m->source, target, NULL,
			  MS_BIND | (m->flags & MS_REC), NULL) < 0)
			return err_sys(err, "bind %s to %s", m->source, m->dest);
		if (flags) {
			if (retarget(rootfd, m->dest, &tfd, target, err) < 0)
				return -err->code;
			flags |= locked_flags(target) & ~(m->clear & ~MS_RDONLY);
			if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
				return err_sys(err, "remount %s with its options", m->dest);
		}
	} else {
		const char *src = m->source ? m->source : m->type;

		if (mount(src, target, m->type, flags, m->data) < 0) {
			/* sysfs cannot be mounted from a user namespace without its own netns */
			if (errno == EPERM && strcmp(m->type, "sysfs") == 0 &&
			    mount("/sys", target, NULL, MS_BIND | MS_REC, NULL) == 0)
				goto propagation;
			return err_sys(err, "mount %s (%s) at %s", src, m->type, m->dest);
		}
	}
propagation:
	if (!m->propagation)
		return 0;
	if (retarget(rootfd, m->dest, &tfd, target, err) < 0)
		return -err->code;
	if (mount(NULL, target, NULL, m->propagation, NULL) < 0)
		return err_sys(err, "set propagation of %s", m->dest);
	return 0;
}

static const struct {
	const char *name;
	unsigned maj, min;
} default_devices[] = {
    {"null", 1, 3},   {"zero", 1, 5},	 {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

/* mknod where we may; in a user namespace, bind the host's node instead. */
static int make_device(int rootfd, const char *path, char type, unsigned maj, unsigned min,
		       mode_t mode, uid_t uid, gid_t gid, bool in_userns, struct err *err)
{
	cleanup_free char *parent = xstrdup(path);
	cleanup_close int dfd = -1;
	const char *base = strrchr(path, '/') + 1;
	char *slash = strrchr(parent, '/');
	mode_t fmt = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;

	*slash = '\0';
	if (*parent && mkdir_in_root(rootfd, parent, 0755, err) < 0)
		return -err->code;
	dfd = open_in_root(rootfd, *parent ? parent : "/", O_PATH | O_DIRECTORY, 0, err);
	if (dfd < 0)
		return dfd;
	if (!in_userns) {
		if (mknodat(dfd, base, fmt | (mode & 07777), makedev(maj, min)) < 0 &&
		    errno != EEXIST)
			return err_sys(err, "mknod %s", path);
		if (fchmodat(dfd, base, mode & 07777, 0) < 0 ||
		    fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(err, "set owner and mode of %s", path);
		return 0;
	}
	{
		char target[FDPATH_LEN];
		cleanup_close int fd = -1;

		if (fmt != S_IFCHR)
			return err_set(err, EPERM, "cannot create %s inside a user namespace",
				       path);
		const char *host = path; /* the host node of the same name */
		fd = openat(dfd, base, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0 && errno != EEXIST)
			return err_sys(err, "create %s", path);
		if (fd >= 0)
			close(fd);
		fd = mount_point_in_root(rootfd, path, 0, target, err);
		if (fd < 0)
			return fd;
		if (mount(host, target, NULL, MS_BIND, NULL) < 0)
			return err_sys(err, "bind %s to %s", host, path);
	}
	return 0;
}

static int setup_dev(int rootfd, const struct spec *s, bool in_userns, int console_fd,
		     struct err *err)
{
	static const char *const links[][2] = {
	    {"/proc/self/fd", "fd"},	   {"/proc/self/fd/0", "stdin"},
	    {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
	    {"/proc/kcore", "core"},
	};
	cleanup_close int dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0, err);
	struct stat st;
	int r;

	if (dev < 0)
		return err_wrap(err, "open /dev of the container");
	for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/dev/%s", default_devices[i].name);
		r = make_device(rootfd, path, 'c', default_devices[i].maj, default_devices[i].min,
				0666, 0, 0, in_userns, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct spec_device *d = &s->devices[i];

		r = make_device(rootfd, d->path, d->type == 'u' ? 'c' : d->type, (unsigned)d->major,
				(unsigned)d->minor, d->mode, d->uid, d->gid, in_userns, err);
		if (r < 0)
			return err_wrap(err, "linux.devices[%zu]", i);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			return err_sys(err, "symlink /dev/%s", links[i][1]);
	if (fstatat(dev, "pts/ptmx", &st, 0) == 0 &&
	    (unlinkat(dev, "ptmx", 0) == 0 || errno == ENOENT) &&
	    symlinkat("pts/ptmx", dev, "ptmx") < 0)
		return err_sys(err, "symlink /dev/ptmx");
	if (console_fd >= 0) {
		char src[FDPATH_LEN], target[FDPATH_LEN];
		cleanup_close int cfd = -1;
		int fd = openat(dev, "console", O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd >= 0)
			close(fd);
		cfd = mount_point_in_root(rootfd, "/dev/console", 0, target, err);
		if (cfd < 0)
			return cfd;
		fdpath(src, console_fd);
		if (mount(src, target, NULL, MS_BIND, NULL) < 0)
			return err_sys(err, "bind the console to /dev/console");
	}
	return 0;
}

static bool dev_is_mounted(const struct spec *s)
{
	for (size_t i = 0; i < s->nmounts; i++)
		if (strcmp(s->mounts[i].dest, "/dev") == 0)
			return !s->mounts[i].bind;
	return false;
}

static int do_pivot(const char *rootfs, struct err *err)
{
	cleanup_close int newroot = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (newroot < 0)
		return err_sys(err, "open %s", rootfs);
	if (fchdir(newroot) < 0)
		return err_sys(err, "chdir %s", rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_sys(err, "pivot_root %s", rootfs);
	/* the old root is now on top; keep its unmount from reaching the host */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return err_sys(err, "make the old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		return err_sys(err, "detach the old root");
	if (chdir("/") < 0)
		return err_sys(err, "chdir /");
	return 0;
}

static int mask_paths(const cJSON *paths, struct err *err)
{
	const cJSON *it;

	cJSON_ArrayForEach (it, paths) {
		const char *p = it->valuestring;
		cleanup_close int fd = -1;
		char target[FDPATH_LEN];
		struct stat st;

		fd = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return err_sys(err, "masked path %s", p);
		}
		if (fstat(fd, &st) < 0)
			return err_sys(err, "stat masked path %s", p);
		fdpath(target, fd);
		if (S_ISDIR(st.st_mode)) {
			if (mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0k,nr_inodes=1") < 0)
				return err_sys(err, "mask %s", p);
		} else if (mount("/dev/null", target, NULL, MS_BIND, NULL) < 0) {
			return err_sys(err, "mask %s", p);
		}
	}
	return 0;
}

static int readonly_remount(const char *p, struct err *err)
{
	cleanup_close int fd = open(p, O_PATH | O_CLOEXEC);
	char target[FDPATH_LEN];

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return err_sys(err, "read-only path %s", p);
	}
	fdpath(target, fd);
	if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys(err, "bind read-only path %s", p);
	close(fd);
	fd = open(p, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "reopen %s", p);
	fdpath(target, fd);
	if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(target),
		  NULL) < 0)
		return err_sys(err, "make %s read-only", p);
	return 0;
}

#define PROPAGATION_TYPES (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

int rootfs_prepare(const struct spec *s, struct cgroup *cg, bool in_userns, int console_fd,
		   struct err *err)
{
	unsigned long type = s->rootfs_propagation & PROPAGATION_TYPES;
	cleanup_close int rootfd = -1;
	int r;

	/* in the host's mount namespace nothing is mounted: it would land in the host's table */
	if (!s->ns[NS_MOUNT].present)
		return 0;
	/*
	 * Nothing we mount may reach the host; a shared root is made shared once it
	 * is the root (pivot_root refuses a shared parent), an unbindable one too (the
	 * rootfs could not be bound).
	 */
	if (mount(NULL, "/", NULL,
		  MS_REC | (type == MS_SHARED	    ? MS_SLAVE
			    : type == MS_UNBINDABLE ? MS_PRIVATE
						    : type),
		  NULL) < 0)
		return err_sys(err, "set the propagation of /");
	if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys(err, "bind the rootfs %s", s->rootfs);
	rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_sys(err, "open rootfs %s", s->rootfs);
	for (size_t i = 0; i < s->nmounts; i++) {
		r = do_mount(rootfd, &s->mounts[i], cg, err);
		if (r < 0)
			return r;
	}
	if (dev_is_mounted(s)) {
		r = setup_dev(rootfd, s, in_userns, console_fd, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int enter_chroot(const struct spec *s, struct err *err)
{
	if (chroot(s->rootfs) < 0)
		return err_sys(err, "chroot %s", s->rootfs);
	if (chdir("/") < 0)
		return err_sys(err, "chdir /");
	return 0;
}

int rootfs_enter(const struct spec *s, struct err *err)
{
	bool own_mounts = s->ns[NS_MOUNT].present;
	const cJSON *it;
	int r;

	if (s->hostname && *s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return err_sys(err, "sethostname %s", s->hostname);
	if (s->domainname && *s->domainname &&
	    setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return err_sys(err, "setdomainname %s", s->domainname);
	/* without a mount namespace the host's /proc/sys is the one to write (before chroot) */
	if (!own_mounts) {
		r = sysctl_apply(s, err);
		return r < 0 ? r : enter_chroot(s, err);
	}
	r = do_pivot(s->rootfs, err);
	if (r < 0)
		return r;
	r = sysctl_apply(s, err);
	if (r < 0)
		return r;
	r = mask_paths(s->masked, err);
	if (r < 0)
		return r;
	cJSON_ArrayForEach (it, s->readonly) {
		r = readonly_remount(it->valuestring, err);
		if (r < 0)
			return r;
	}
	if (s->readonly_root &&
	    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
		return err_sys(err, "make the root read-only");
	/* last: the masks above are binds, which an unbindable tree would refuse */
	if (mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
		return err_sys(err, "apply linux.rootfsPropagation to /");
	return 0;
}
