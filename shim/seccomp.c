/* linux.seccomp compiled with libseccomp. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/digest.h"
#include "common/xalloc.h"
#include "runtime.h"

static int parse_action(const cJSON *v, const cJSON *errno_ret, uint32_t default_errno,
			const char *where, uint32_t *out, struct err *err)
{
	const char *a = cJSON_IsString(v) ? v->valuestring : NULL;
	uint32_t e = default_errno;

	if (!a)
		return err_set(err, EINVAL, "%s: action is required", where);
	if (cJSON_IsNumber(errno_ret))
		e = (uint32_t)errno_ret->valueint;
	if (!strcmp(a, "SCMP_ACT_ALLOW"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(a, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO(e);
	else if (!strcmp(a, "SCMP_ACT_KILL") || !strcmp(a, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(a, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(a, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(a, "SCMP_ACT_TRACE"))
		*out = SCMP_ACT_TRACE(e);
	else if (!strcmp(a, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_LOG;
	else
		return err_set(err, EINVAL, "%s: unsupported action '%s'", where, a);
	return 0;
}

static int parse_op(const char *op, enum scmp_compare *out)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
	    {"SCMP_CMP_NE", SCMP_CMP_NE},
	    {"SCMP_CMP_LT", SCMP_CMP_LT},
	    {"SCMP_CMP_LE", SCMP_CMP_LE},
	    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
	    {"SCMP_CMP_GE", SCMP_CMP_GE},
	    {"SCMP_CMP_GT", SCMP_CMP_GT},
	    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i].name) == 0) {
			*out = ops[i].op;
			return 0;
		}
	return -1;
}

static uint32_t parse_arch(const char *a)
{
	static const struct {
		const char *name;
		uint32_t arch;
	} arches[] = {
	    {"SCMP_ARCH_X86", SCMP_ARCH_X86},	      {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
	    {"SCMP_ARCH_X32", SCMP_ARCH_X32},	      {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
	    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64}, {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
	    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},     {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
	};

	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (strcmp(a, arches[i].name) == 0)
			return arches[i].arch;
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const cJSON *rule, size_t idx, uint32_t def_errno,
		    uint32_t def_action, struct err *err)
{
	struct scmp_arg_cmp cmps[6];
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(rule, "names");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(rule, "args");
	const cJSON *it;
	char where[64];
	unsigned ncmp = 0;
	uint32_t action;
	int r;

	snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", idx);
	r = parse_action(cJSON_GetObjectItemCaseSensitive(rule, "action"),
			 cJSON_GetObjectItemCaseSensitive(rule, "errnoRet"), def_errno, where,
			 &action, err);
	if (r < 0)
		return r;
	if (!cJSON_IsArray(names) || cJSON_GetArraySize(names) == 0)
		return err_set(err, EINVAL, "%s: names must be a non-empty array", where);
	cJSON_ArrayForEach (it, args) {
		const cJSON *index = cJSON_GetObjectItemCaseSensitive(it, "index");
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(it, "value");
		const cJSON *two = cJSON_GetObjectItemCaseSensitive(it, "valueTwo");
		const cJSON *op = cJSON_GetObjectItemCaseSensitive(it, "op");
		enum scmp_compare cmp;

		if (ncmp == 6 || !cJSON_IsNumber(index) || index->valueint < 0 ||
		    index->valueint > 5 || !cJSON_IsNumber(value) || !cJSON_IsString(op) ||
		    parse_op(op->valuestring, &cmp) < 0)
			return err_set(err, EINVAL,
				       "%s: args[%u] needs index 0-5, value and a known op", where,
				       ncmp);
		cmps[ncmp].arg = (unsigned)index->valueint;
		cmps[ncmp].op = cmp;
		cmps[ncmp].datum_a = (scmp_datum_t)value->valuedouble;
		cmps[ncmp].datum_b = cJSON_IsNumber(two) ? (scmp_datum_t)two->valuedouble : 0;
		ncmp++;
	}
	if (action == def_action)
		return 0; /* the same as the default: libseccomp refuses such rules */
	cJSON_ArrayForEach (it, names) {
		int nr;

		if (!cJSON_IsString(it))
			return err_set(err, EINVAL, "%s: names must be strings", where);
		nr = seccomp_syscall_resolve_name(it->valuestring);
		if (nr == __NR_SCMP_ERROR)
			return err_set(err, EINVAL, "%s: unknown syscall '%s'", where,
				       it->valuestring);
		if (!ctx)
			continue;
		r = seccomp_rule_add_array(ctx, action, nr, ncmp, cmps);
		/* a name that exists but not on this architecture is not an error */
		if (r < 0 && r != -EDOM && nr >= 0)
			return err_set(err, -r, "%s: cannot add a rule for %s: %s", where,
				       it->valuestring, strerror(-r));
	}
	return 0;
}

static int build(const cJSON *sc, scmp_filter_ctx *out, struct err *err)
{
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(sc, "defaultAction");
	const cJSON *def_errno = cJSON_GetObjectItemCaseSensitive(sc, "defaultErrnoRet");
	const cJSON *arches = cJSON_GetObjectItemCaseSensitive(sc, "architectures");
	const cJSON *rules = cJSON_GetObjectItemCaseSensitive(sc, "syscalls");
	const cJSON *it;
	uint32_t action;
	scmp_filter_ctx ctx = NULL;
	size_t i = 0;
	int r;

	r = parse_action(def, def_errno, EPERM, "linux.seccomp.defaultAction", &action, err);
	if (r < 0)
		return r;
	if (out) {
		ctx = seccomp_init(action);
		if (!ctx)
			return err_set(err, ENOMEM, "seccomp_init failed");
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	}
	cJSON_ArrayForEach (it, arches) {
		uint32_t a = cJSON_IsString(it) ? parse_arch(it->valuestring) : 0;

		if (!a) {
			r = err_set(err, EINVAL, "linux.seccomp.architectures: unknown '%s'",
				    cJSON_IsString(it) ? it->valuestring : "?");
			goto fail;
		}
		if (ctx && a != seccomp_arch_native()) {
			r = seccomp_arch_add(ctx, a);
			if (r < 0 && r != -EEXIST) {
				r = err_set(err, -r, "seccomp: add architecture %s",
					    it->valuestring);
				goto fail;
			}
		}
	}
	cJSON_ArrayForEach (it, rules) {
		r = add_rule(ctx, it, i++,
			     cJSON_IsNumber(def_errno) ? (uint32_t)def_errno->valueint : EPERM,
			     action, err);
		if (r < 0)
			goto fail;
	}
	if (out)
		*out = ctx;
	return 0;
fail:
	if (ctx)
		seccomp_release(ctx);
	return r;
}

int seccomp_check(const cJSON *sc, struct err *err)
{
	return sc ? build(sc, NULL, err) : 0;
}

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
	r = build(s->seccomp, &ctx, err);
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

int seccomp_apply(const struct spec *s, struct err *err)
{
	scmp_filter_ctx ctx;
	int r;

	if (!s->seccomp)
		return 0;
	if (s->seccomp_bpf) {
		struct sock_fprog prog = {
		    .len = (unsigned short)(s->seccomp_bpf_len / sizeof(struct sock_filter)),
		    .filter = s->seccomp_bpf,
		};

		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
			return err_sys(err, "load the seccomp filter");
		return 0;
	}
	r = build(s->seccomp, &ctx, err);
	if (r < 0)
		return r;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return err_set(err, -r, "load the seccomp filter: %s", strerror(-r));
	return 0;
}
