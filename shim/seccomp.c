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

int seccomp_build(const cJSON *sc, scmp_filter_ctx *out, struct err *err)
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
	return sc ? seccomp_build(sc, NULL, err) : 0;
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
	r = seccomp_build(s->seccomp, &ctx, err);
	if (r < 0)
		return r;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return err_set(err, -r, "load the seccomp filter: %s", strerror(-r));
	return 0;
}
