#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf.h"

long bpf_sys(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int prog_load(enum bpf_prog_type type, enum bpf_attach_type expected,
		     const struct bpf_insn *insns, size_t n, char *log, size_t log_size)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.expected_attach_type = expected;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	/* the helpers berth calls are not GPL-only: the string only has to be there */
	attr.license = (uint64_t)(uintptr_t) "MIT";
	if (log) {
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = (uint32_t)log_size;
		attr.log_level = 1;
	}
	return (int)bpf_sys(BPF_PROG_LOAD, &attr);
}

int bpf_prog_new(enum bpf_prog_type type, enum bpf_attach_type expected,
		 const struct bpf_insn *insns, size_t n, const char *what, struct err *err)
{
	char log[8192] = "", *line;
	int fd = prog_load(type, expected, insns, n, NULL, 0), e;

	if (fd >= 0)
		return fd;
	/* again with the verifier's log, to say why; its last line is the verdict */
	e = errno;
	prog_load(type, expected, insns, n, log, sizeof(log));
	log[sizeof(log) - 1] = '\0';
	while (*log && log[strlen(log) - 1] == '\n')
		log[strlen(log) - 1] = '\0';
	line = strrchr(log, '\n');
	line = line ? line + 1 : log;
	errno = e;
	return err_sys(err, "load %s (eBPF, %zu instructions)%s%s", what, n, *line ? ": " : "",
		       line);
}

int bpf_map_new(enum bpf_map_type type, uint32_t key_size, uint32_t value_size, uint32_t max,
		const char *name, struct err *err)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = key_size;
	attr.value_size = value_size;
	attr.max_entries = max;
	strncpy(attr.map_name, name, sizeof(attr.map_name) - 1);
	fd = (int)bpf_sys(BPF_MAP_CREATE, &attr);
	if (fd < 0)
		return err_sys(err, "create the eBPF map %s", name);
	return fd;
}

static int map_elem(int cmd, int fd, const void *key, const void *value, void *next)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = (uint64_t)(uintptr_t)key;
	/* the kernel wants every field past a command's last one zero */
	if (next)
		attr.next_key = (uint64_t)(uintptr_t)next;
	if (value) {
		attr.value = (uint64_t)(uintptr_t)value;
		attr.flags = BPF_ANY;
	}
	return (int)bpf_sys(cmd, &attr);
}

int bpf_map_put(int fd, const void *key, const void *value)
{
	return map_elem(BPF_MAP_UPDATE_ELEM, fd, key, value, NULL);
}

int bpf_map_del(int fd, const void *key)
{
	return map_elem(BPF_MAP_DELETE_ELEM, fd, key, NULL, NULL);
}

int bpf_map_next(int fd, const void *key, void *next)
{
	return map_elem(BPF_MAP_GET_NEXT_KEY, fd, key, NULL, next);
}
