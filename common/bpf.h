/*
 * eBPF without libbpf: the few bpf(2) commands berth uses and the
 * instructions its small hand-assembled programs are made of (the shim's
 * cgroup v2 device filter, netd's connect hook for published ports).
 */
#ifndef BERTH_BPF_H
#define BERTH_BPF_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define BPF_INSN(c, d, s, o, i)                                                                    \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define BPF_LDX_W(dst, src, off) BPF_INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define BPF_STX_W(dst, src, off) BPF_INSN(BPF_STX | BPF_W | BPF_MEM, dst, src, off, 0)
#define BPF_STX_H(dst, src, off) BPF_INSN(BPF_STX | BPF_H | BPF_MEM, dst, src, off, 0)
#define BPF_STX_DW(dst, src, off) BPF_INSN(BPF_STX | BPF_DW | BPF_MEM, dst, src, off, 0)
#define BPF_ST_W(dst, off, imm) BPF_INSN(BPF_ST | BPF_W | BPF_MEM, dst, 0, off, imm)
#define BPF_ST_H(dst, off, imm) BPF_INSN(BPF_ST | BPF_H | BPF_MEM, dst, 0, off, imm)
#define BPF_ALU32_IMM(op, dst, imm) BPF_INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define BPF_ALU64_IMM(op, dst, imm) BPF_INSN(BPF_ALU64 | (op) | BPF_K, dst, 0, 0, imm)
#define BPF_MOV32_REG(dst, src) BPF_INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define BPF_MOV64_REG(dst, src) BPF_INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define BPF_MOV64_IMM(dst, imm) BPF_INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define BPF_JEQ_IMM(dst, imm, off) BPF_INSN(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm)
#define BPF_JNE_IMM(dst, imm, off) BPF_INSN(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define BPF_JNE_REG(dst, src, off) BPF_INSN(BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0)
#define BPF_GOTO(off) BPF_INSN(BPF_JMP | BPF_JA, 0, 0, off, 0)
#define BPF_CALL_HELPER(fn) BPF_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define BPF_EXIT_INSN() BPF_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* A 64-bit constant takes two instructions; so does a map's fd. */
#define BPF_LD_IMM64_RAW(dst, src, v)                                                              \
	BPF_INSN(BPF_LD | BPF_DW | BPF_IMM, dst, src, 0, (int32_t)(uint32_t)(v)),                  \
	    BPF_INSN(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(v) >> 32))
#define BPF_LD_IMM64(dst, v) BPF_LD_IMM64_RAW(dst, 0, v)
#define BPF_LD_MAP_FD(dst, fd) BPF_LD_IMM64_RAW(dst, BPF_PSEUDO_MAP_FD, fd)

/* bpf(2) itself. */
long bpf_sys(int cmd, union bpf_attr *attr);

/*
 * Load a program; on failure the error carries the verifier's first line.
 * expected is the attach type some program types must name at load (0: none).
 */
int bpf_prog_new(enum bpf_prog_type type, enum bpf_attach_type expected,
		 const struct bpf_insn *insns, size_t n, const char *what, struct err *err);
int bpf_map_new(enum bpf_map_type type, uint32_t key_size, uint32_t value_size, uint32_t max,
		const char *name, struct err *err);
int bpf_map_put(int fd, const void *key, const void *value);
int bpf_map_del(int fd, const void *key);
/* The key after key (NULL: the first); -1 with errno ENOENT at the end. */
int bpf_map_next(int fd, const void *key, void *next);

#endif
