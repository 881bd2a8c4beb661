/*
 * Compiled seccomp filters, made once per profile: in the parent before
 * clone, kept in a root-only cache directory, keyed by the profile itself
 * (and the libseccomp and architecture that compiled it).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
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

/*
 * The cache key: the profile's text, with the libseccomp version and the
 * architecture that compile it. An entry holds the whole key, compared byte
 * for byte on lookup; its file name is only a bucket (FNV-1a of the key),
 * so no digest library is mapped and a collision is only a miss.
 */
static char *cache_key(const cJSON *sc)
{
	cleanup_free char *text = cJSON_PrintUnformatted(sc);
	const struct scmp_version *v = seccomp_version();

	return xasprintf("%s\n%u.%u.%u/%u", text, v->major, v->minor, v->micro,
			 seccomp_arch_native());
}

static char *cache_path(const char *dir, const char *key)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return xasprintf("%s/%016llx.bpf", dir, (unsigned long long)h);
}

#define CACHE_MAGIC "berth-seccomp-1\n"

/* The entry's program when its key is exactly ours. */
static int cache_read(const char *path, const char *key, void **bpf, size_t *len)
{
	struct err err = ERR_INIT;
	size_t klen = strlen(key), mlen = strlen(CACHE_MAGIC), n = 0;
	char *buf = NULL;

	if (read_file_at(AT_FDCWD, path, 4 << 20, &buf, &n, &err) < 0) {
		err_clear(&err);
		return -1;
	}
	if (n <= mlen + klen + 1 || memcmp(buf, CACHE_MAGIC, mlen) ||
	    memcmp(buf + mlen, key, klen) || buf[mlen + klen] != '\0' ||
	    (n - mlen - klen - 1) % sizeof(struct sock_filter)) {
		free(buf);
		return -1;
	}
	*len = n - mlen - klen - 1;
	*bpf = xmalloc(*len);
	memcpy(*bpf, buf + mlen + klen + 1, *len);
	free(buf);
	return 0;
}

static void cache_write(const char *path, const char *key, const void *bpf, size_t len)
{
	size_t klen = strlen(key), mlen = strlen(CACHE_MAGIC);
	cleanup_free char *buf = xmalloc(mlen + klen + 1 + len);
	struct err err = ERR_INIT;

	memcpy(buf, CACHE_MAGIC, mlen);
	memcpy(buf + mlen, key, klen + 1);
	memcpy(buf + mlen + klen + 1, bpf, len);
	/* a cache that cannot be written only costs the next start its time */
	atomic_write_file(path, buf, mlen + klen + 1 + len, 0600, &err);
	err_clear(&err);
}

int seccomp_prepare(struct spec *s, struct err *err)
{
	const char *dir;
	cleanup_free char *path = NULL, *key = NULL;
	scmp_filter_ctx ctx;
	int r;

	if (!s->seccomp || s->seccomp_bpf)
		return 0;
	dir = cache_dir(s);
	if (dir) {
		key = cache_key(s->seccomp);
		path = cache_path(dir, key);
		if (cache_read(path, key, &s->seccomp_bpf, &s->seccomp_bpf_len) == 0)
			return 0;
	}
	r = seccomp_build(s->seccomp, &ctx, err);
	if (r < 0)
		return r;
	r = export_bpf(ctx, &s->seccomp_bpf, &s->seccomp_bpf_len, err);
	seccomp_release(ctx);
	if (r < 0)
		return r;
	if (path)
		cache_write(path, key, s->seccomp_bpf, s->seccomp_bpf_len);
	return 0;
}
