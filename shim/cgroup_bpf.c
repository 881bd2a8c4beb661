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
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "common/xalloc.h"

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) INSN(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT_INSN() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* One rule's tests and verdict; the jumps go past its end. */
static size_t emit_rule(struct bpf_insn *p, const struct dev_rule *r)
{
	size_t n = 0, jumps[4], nj = 0;

	if (r->type != 'a') {
		jumps[nj++] = n;
		p[n++] = JNE_IMM(BPF_REG_2,
				 r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
	}
	if ((r->access & DEV_ACC_ALL) != DEV_ACC_ALL) {
		/* every access asked for must be one the rule names */
		p[n++] = MOV32_REG(BPF_REG_1, BPF_REG_3);
		p[n++] = ALU32_IMM(BPF_AND, BPF_REG_1, (int32_t)(~r->access & DEV_ACC_ALL));
		jumps[nj++] = n;
		p[n++] = JNE_IMM(BPF_REG_1, 0, 0);
	}
	if (r->major >= 0) {
		jumps[nj++] = n;
		p[n++] = JNE_IMM(BPF_REG_4, (int32_t)r->major, 0);
	}
	if (r->minor >= 0) {
		jumps[nj++] = n;
		p[n++] = JNE_IMM(BPF_REG_5, (int32_t)r->minor, 0);
	}
	p[n++] = MOV64_IMM(BPF_REG_0, r->allow ? 1 : 0);
	p[n++] = EXIT_INSN();
	for (size_t i = 0; i < nj; i++)
		p[jumps[i]].off = (int16_t)(n - jumps[i] - 1);
	return n;
}

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load(const struct bpf_insn *prog, size_t len, char *log, size_t log_size)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = (uint32_t)len;
	/* no helper is called: the license string only has to be there */
	attr.license = (uint64_t)(uintptr_t) "MIT";
	if (log) {
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = (uint32_t)log_size;
		attr.log_level = 1;
	}
	return (int)bpf(BPF_PROG_LOAD, &attr);
}

int cg_bpf_devices(int dirfd, const struct dev_rule *rules, size_t n, struct err *err)
{
	/* 6 loads, at most 8 instructions a rule, 2 for the default */
	struct bpf_insn *prog = xcalloc(6 + 8 * n + 2, sizeof(*prog));
	char log[4096] = "";
	union bpf_attr attr;
	size_t len = 0;
	bool decided = false;
	int fd, r = 0;

	prog[len++] = LDX_W(BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	prog[len++] = LDX_W(BPF_REG_3, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	prog[len++] = ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff);
	prog[len++] = ALU32_IMM(BPF_RSH, BPF_REG_3, 16);
	prog[len++] = LDX_W(BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major));
	prog[len++] = LDX_W(BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor));
	for (size_t i = n; i-- > 0 && !decided;) {
		len += emit_rule(prog + len, &rules[i]);
		/* a rule that matches everything ends it: the verifier refuses dead code */
		decided = rules[i].type == 'a' && rules[i].major < 0 && rules[i].minor < 0 &&
			  (rules[i].access & DEV_ACC_ALL) == DEV_ACC_ALL;
	}
	if (!decided) {
		prog[len++] = MOV64_IMM(BPF_REG_0, 0);
		prog[len++] = EXIT_INSN();
	}
	fd = load(prog, len, NULL, 0);
	if (fd < 0) {
		/* again with the verifier's log, to say why */
		int e = errno;

		load(prog, len, log, sizeof(log));
		log[sizeof(log) - 1] = '\0';
		log[strcspn(log, "\n")] = '\0';
		errno = e;
		free(prog);
		return err_sys(err, "load the device filter (eBPF, %zu instructions)%s%s", len,
			       *log ? ": " : "", log);
	}
	free(prog);
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dirfd;
	attr.attach_bpf_fd = (uint32_t)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (bpf(BPF_PROG_ATTACH, &attr) < 0)
		r = err_sys(err, "attach the device filter to the cgroup");
	close(fd); /* the attachment keeps the program */
	return r;
}
