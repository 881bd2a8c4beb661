/*
 * cgroup v2 has no devices controller: device access is decided by an eBPF
 * program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup, as
 * runc and crun do. The program is made here from the rules, last rule
 * first, so the last rule that matches decides (what successive writes to
 * v1's devices.allow and devices.deny amount to); no match denies.
 *
 *   r2 = type (1 block, 2 char), r3 = access (1 mknod, 2 read, 4 write),
 *   r4 = major, r5 = minor; per rule: skip unless every test holds, then
 *   r0 = allow; exit.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "common/bpf.h"
#include "common/xalloc.h"

/* One rule's tests and verdict; the jumps go past its end. */
static size_t emit_rule(struct bpf_insn *p, const struct dev_rule *r)
{
	size_t n = 0, jumps[4], nj = 0;

	if (r->type != 'a') {
		jumps[nj++] = n;
		p[n++] = BPF_JNE_IMM(BPF_REG_2,
				     r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
	}
	if ((r->access & DEV_ACC_ALL) != DEV_ACC_ALL) {
		/* every access asked for must be one the rule names */
		p[n++] = BPF_MOV32_REG(BPF_REG_1, BPF_REG_3);
		p[n++] = BPF_ALU32_IMM(BPF_AND, BPF_REG_1, (int32_t)(~r->access & DEV_ACC_ALL));
		jumps[nj++] = n;
		p[n++] = BPF_JNE_IMM(BPF_REG_1, 0, 0);
	}
	if (r->major >= 0) {
		jumps[nj++] = n;
		p[n++] = BPF_JNE_IMM(BPF_REG_4, (int32_t)r->major, 0);
	}
	if (r->minor >= 0) {
		jumps[nj++] = n;
		p[n++] = BPF_JNE_IMM(BPF_REG_5, (int32_t)r->minor, 0);
	}
	p[n++] = BPF_MOV64_IMM(BPF_REG_0, r->allow ? 1 : 0);
	p[n++] = BPF_EXIT_INSN();
	for (size_t i = 0; i < nj; i++)
		p[jumps[i]].off = (int16_t)(n - jumps[i] - 1);
	return n;
}

int cg_bpf_devices(int dirfd, const struct dev_rule *rules, size_t n, struct err *err)
{
	/* 6 loads, at most 8 instructions a rule, 2 for the default */
	struct bpf_insn *prog = xcalloc(6 + 8 * n + 2, sizeof(*prog));
	union bpf_attr attr;
	size_t len = 0;
	bool decided = false;
	int fd, r = 0;

	prog[len++] =
	    BPF_LDX_W(BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	prog[len++] =
	    BPF_LDX_W(BPF_REG_3, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	prog[len++] = BPF_ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff);
	prog[len++] = BPF_ALU32_IMM(BPF_RSH, BPF_REG_3, 16);
	prog[len++] = BPF_LDX_W(BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major));
	prog[len++] = BPF_LDX_W(BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor));
	for (size_t i = n; i-- > 0 && !decided;) {
		len += emit_rule(prog + len, &rules[i]);
		/* a rule that matches everything ends it: the verifier refuses dead code */
		decided = rules[i].type == 'a' && rules[i].major < 0 && rules[i].minor < 0 &&
			  (rules[i].access & DEV_ACC_ALL) == DEV_ACC_ALL;
	}
	if (!decided) {
		prog[len++] = BPF_MOV64_IMM(BPF_REG_0, 0);
		prog[len++] = BPF_EXIT_INSN();
	}
	fd = bpf_prog_new(BPF_PROG_TYPE_CGROUP_DEVICE, 0, prog, len, "the device filter", err);
	free(prog);
	if (fd < 0)
		return fd;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dirfd;
	attr.attach_bpf_fd = (uint32_t)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (bpf_sys(BPF_PROG_ATTACH, &attr) < 0)
		r = err_sys(err, "attach the device filter to the cgroup");
	close(fd); /* the attachment keeps the program */
	return r;
}
