/*
 * Compiled seccomp filters, made once per profile: in the parent before
 * clone, kept in a root-only cache directory under the SHA-256 of the
 * profile (and of the libseccomp and architecture that compiled it).
 * Separate from seccomp.c so that what only checks profiles (containerd)
 * does not link libcrypto.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/digest.h"
#include "common/xalloc.h"
#include "runtime.h"

/* The compiled program of ctx, read back from libseccomp's export. */
static int export_bpf(scmp_filter_ctx ctx, void **buf, size_t *len, struct err *err)
{
	cleanup_close int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0)
		return err_sys(err, "memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return err_set(err, -r, "export the seccomp filter: %s", strerror(-r));
	if (fstat(fd, &st) < 0)
		return err_sys(err, "stat the seccomp filter");
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) ||
	    st.st_size > 1 << 20)
		return err_set(err, EINVAL, "the exported seccomp filter has %lld bytes",
			       (long long)st.st_size);
	*len = (size_t)st.st_size;
	*buf = xmalloc(*len);
	if (pread(fd, *buf, *len, 0) != (ssize_t)*len) {
		free(*buf);
		*buf = NULL;
		return err_sys(err, "read the seccomp filter");
	}
	return 0;
}

/* The cache directory, when the spec names one we can trust. */
static const char *cache_dir(const struct spec *s)
{
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(s->doc, "annotations");
	const char *dir =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ann, "org.berth.seccomp-cache"));
	struct stat st;

	if (!dir || dir[0] != '/' || lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != 0 || (st.st_mode & 022))
		return NULL;
	return dir;
}

static char *cache_path(const char *dir, const cJSON *sc, struct err *err)
{
	cleanup_free char *text = cJSON_PrintUnformatted(sc);
	const struct scmp_version *v = seccomp_version();
	char digest[DIGEST_STR_LEN + 1];
	struct sha256 h;

	if (sha256_init(&h, err) < 0)
		return NULL;
	sha256_update(&h, text, strlen(text));
	/* a filter belongs to the libseccomp and the architecture that made it */
	{
		char tag[64];
		int n = snprintf(tag, sizeof(tag), "\n%u.%u.%u/%u", v->major, v->minor, v->micro,
				 seccomp_arch_native());

		sha256_update(&h, tag, (size_t)n);
	}
	sha256_final(&h, digest);
	return xasprintf("%s/%s.bpf", dir, digest + 7);
}

int seccomp_prepare(struct spec *s, struct err *err)
{
	const char *dir;
	cleanup_free char *path = NULL;
	scmp_filter_ctx ctx;
	int r;

	if (!s->seccomp || s->seccomp_bpf)
		return 0;
	dir = cache_dir(s);
	if (dir && !(path = cache_path(dir, s->seccomp, err)))
		return -err->code;
	if (path) {
		struct err miss = ERR_INIT;
		char *buf = NULL;
		size_t len = 0;

		if (read_file_at(AT_FDCWD, path, 1 << 20, &buf, &len, &miss) == 0 && len > 0 &&
		    len % sizeof(struct sock_filter) == 0) {
			s->seccomp_bpf = buf;
			s->seccomp_bpf_len = len;
			return 0;
		}
		free(buf);
		err_clear(&miss);
	}
	r = seccomp_build(s->seccomp, &ctx, err);
	if (r < 0)
		return r;
	r = export_bpf(ctx, &s->seccomp_bpf, &s->seccomp_bpf_len, err);
	seccomp_release(ctx);
	if (r < 0)
		return r;
	if (path) {
		struct err werr = ERR_INIT;

		/* a cache that cannot be written only costs the next start time */
		atomic_write_file(path, s->seccomp_bpf, s->seccomp_bpf_len, 0600, &werr);
		err_clear(&werr);
	}
	return 0;
}
