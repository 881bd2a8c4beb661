/* Unit tests for common/: errors, atomic files, safe paths, ids, digests, host facts. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/bpf.h"
#include "common/cleanup.h"
#include "common/digest.h"
#include "common/err.h"
#include "common/id.h"
#include "common/paths.h"
#include "common/policy.h"
#include "common/privdrop.h"
#include "common/safepath.h"
#include "common/size.h"
#include "common/sysinfo.h"
#include "common/xalloc.h"
#include "tap.h"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/berth-unit.XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void rmrf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

START_TEST(test_err_chain)
{
	struct err e = ERR_INIT;
	int r;

	r = err_set(&e, ENOENT, "no such image: %s", "busybox:latest");
	ck_assert_int_eq(r, -ENOENT);
	r = err_wrap(&e, "pull %s", "busybox");
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_str_eq(err_msg(&e), "pull busybox: no such image: busybox:latest");
	errno = EACCES;
	r = err_sys(&e, "open %s", "/x");
	ck_assert_int_eq(r, -EACCES);
	ck_assert_str_eq(err_msg(&e), "open /x: Permission denied");
	err_clear(&e);
	ck_assert_int_eq(e.code, 0);
	ck_assert_ptr_null(e.msg);
	/* a NULL err is allowed: the code still comes back */
	ck_assert_int_eq(err_set(NULL, EINVAL, "ignored"), -EINVAL);
	ck_assert_int_eq(err_set(&e, 0, "zero code becomes EIO"), -EIO);
	err_clear(&e);
}
END_TEST

START_TEST(test_atomic_write)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *path = xasprintf("%s/state.json", dir);
	cleanup_free char *text = NULL;
	struct err e = ERR_INIT;
	struct stat st;
	size_t len = 0;

	ck_assert_int_eq(atomic_write_file(path, "one", 3, 0600, &e), 0);
	ck_assert_int_eq(atomic_write_file(path, "second", 6, 0640, &e), 0);
	ck_assert_int_eq(read_file_at(AT_FDCWD, path, 1024, &text, &len, &e), 0);
	ck_assert_str_eq(text, "second");
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	/* no temporary file is left behind */
	{
		cleanup_free char *cmd = xasprintf("test $(ls -A '%s' | wc -l) -eq 1", dir);
		ck_assert_int_eq(system(cmd), 0);
	}
	/* a missing directory is a clear error naming it */
	{
		cleanup_free char *bad = xasprintf("%s/missing/state.json", dir);
		ck_assert_int_lt(atomic_write_file(bad, "x", 1, 0600, &e), 0);
		ck_assert_int_eq(e.code, ENOENT);
		ck_assert_ptr_nonnull(strstr(err_msg(&e), "missing"));
		err_clear(&e);
	}
	/* read_file_at refuses what is larger than asked */
	free(text);
	text = NULL;
	ck_assert_int_lt(read_file_at(AT_FDCWD, path, 3, &text, NULL, &e), 0);
	ck_assert_int_eq(e.code, EFBIG);
	err_clear(&e);
	rmrf(dir);
}
END_TEST

START_TEST(test_open_in_root)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *root = xasprintf("%s/root", dir);
	cleanup_free char *canary = xasprintf("%s/canary", dir);
	cleanup_close int rootfd = -1;
	struct err e = ERR_INIT;
	char buf[16] = {0};
	int fd;

	ck_assert_int_eq(mkdir(root, 0755), 0);
	ck_assert_int_eq(atomic_write_file(canary, "outside", 7, 0644, &e), 0);
	rootfd = open(root, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(rootfd, 0);
	ck_assert_int_eq(mkdirat(rootfd, "inner", 0755), 0);
	ck_assert_int_eq(atomic_write_at(rootfd, "inner/canary", "inside", 6, 0644, &e), 0);
	/* an absolute symlink and a ".." chain both stay inside the root */
	ck_assert_int_eq(symlinkat("/inner", rootfd, "abs"), 0);
	ck_assert_int_eq(symlinkat("../../../../../..", rootfd, "up"), 0);
	fd = open_in_root(rootfd, "abs/canary", O_RDONLY, 0, &e);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "inside");
	close(fd);
	fd = open_in_root(rootfd, "up/canary", O_RDONLY, 0, &e);
	ck_assert_int_lt(fd, 0); /* resolves to <root>/canary, which does not exist */
	ck_assert_int_eq(e.code, ENOENT);
	err_clear(&e);
	fd = open_in_root(rootfd, "/../../canary", O_RDONLY, 0, &e);
	ck_assert_int_lt(fd, 0);
	err_clear(&e);
	/* creating through an escaping symlink lands inside */
	fd = open_in_root(rootfd, "up/new", O_WRONLY | O_CREAT | O_EXCL, 0600, &e);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(faccessat(rootfd, "new", F_OK, 0), 0);
	/* mkdir_in_root through the same symlink */
	ck_assert_int_eq(mkdir_in_root(rootfd, "up/a/b", 0755, &e), 0);
	ck_assert_int_eq(faccessat(rootfd, "a/b", F_OK, 0), 0);
	{
		cleanup_free char *outside = xasprintf("%s/a", dir);
		ck_assert_int_ne(access(outside, F_OK), 0);
	}
	rmrf(dir);
}
END_TEST

START_TEST(test_mkdir_secure)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *deep = xasprintf("%s/a/b/c", dir);
	cleanup_free char *open_dir = xasprintf("%s/open", dir);
	cleanup_free char *file = xasprintf("%s/file", dir);
	struct err e = ERR_INIT;
	struct stat st;

	ck_assert_int_eq(mkdir_secure(deep, 0711, &e), 0);
	ck_assert_int_eq(stat(deep, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0711);
	ck_assert_int_eq(mkdir_secure(deep, 0711, &e), 0); /* idempotent */
	ck_assert_int_eq(mkdir(open_dir, 0777), 0);
	ck_assert_int_eq(chmod(open_dir, 0777), 0);
	ck_assert_int_lt(mkdir_secure(open_dir, 0700, &e), 0);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "writable by group or others"));
	err_clear(&e);
	ck_assert_int_eq(atomic_write_file(file, "x", 1, 0600, &e), 0);
	ck_assert_int_lt(mkdir_secure(file, 0700, &e), 0);
	ck_assert_int_eq(e.code, ENOTDIR);
	err_clear(&e);
	ck_assert_int_lt(mkdir_secure("relative/path", 0700, &e), 0);
	err_clear(&e);
	rmrf(dir);
}
END_TEST

START_TEST(test_mkdir_nofollow)
{
	cleanup_free char *dir = tmpdir();
	cleanup_free char *deep = xasprintf("%s/a/b", dir), *link = xasprintf("%s/l", dir);
	cleanup_free char *through = xasprintf("%s/l/x", dir), *file = xasprintf("%s/f", dir);
	cleanup_free char *under_file = xasprintf("%s/f/x", dir),
			  *dotdot = xasprintf("%s/a/../c", dir);
	struct err e = ERR_INIT;
	struct stat st;

	ck_assert(path_is_clean("/a/b"));
	ck_assert(!path_is_clean("/a/../b") && !path_is_clean("/a/./b") && !path_is_clean("/a//b"));
	ck_assert(!path_is_clean("a/b") && !path_is_clean("/a/.."));
	ck_assert(path_is_clean("/a/..b/.c"));
	ck_assert_int_eq(mkdir_nofollow(deep, 0750, &e), 0);
	ck_assert_int_eq(stat(deep, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(mkdir_nofollow(deep, 0750, &e), 0); /* idempotent */
	ck_assert_int_eq(symlink("/", link), 0);
	ck_assert_int_lt(mkdir_nofollow(through, 0755, &e), 0);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "'l' is a symlink"));
	err_clear(&e);
	ck_assert_int_eq(atomic_write_file(file, "x", 1, 0600, &e), 0);
	ck_assert_int_lt(mkdir_nofollow(under_file, 0755, &e), 0);
	err_clear(&e);
	ck_assert_int_lt(mkdir_nofollow(dotdot, 0755, &e), 0);
	ck_assert_int_eq(e.code, EINVAL);
	err_clear(&e);
	ck_assert_int_ne(access("/x", F_OK), 0);
	rmrf(dir);
}
END_TEST

START_TEST(test_ids)
{
	char a[ID_LEN + 1], b[ID_LEN + 1], s[ID_SHORT_LEN + 1];

	id_new(a);
	id_new(b);
	ck_assert(id_valid(a));
	ck_assert(id_valid(b));
	ck_assert_str_ne(a, b);
	id_short(a, s);
	ck_assert_uint_eq(strlen(s), ID_SHORT_LEN);
	ck_assert(strncmp(a, s, ID_SHORT_LEN) == 0);
	ck_assert(id_prefix_valid(s));
	ck_assert(!id_prefix_valid(""));
	ck_assert(!id_prefix_valid("ABC"));
	ck_assert(!id_valid(s));
	ck_assert(!id_valid("zz"));
}
END_TEST

START_TEST(test_sha256)
{
	char d[DIGEST_STR_LEN + 1], d2[DIGEST_STR_LEN + 1];
	struct err e = ERR_INIT;
	struct sha256 h;

	ck_assert_int_eq(sha256_digest("abc", 3, d, &e), 0);
	ck_assert_str_eq(d,
			 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(sha256_init(&h, &e), 0);
	sha256_update(&h, "a", 1);
	sha256_update(&h, "bc", 2);
	sha256_final(&h, d2);
	ck_assert_str_eq(d, d2);
	ck_assert(digest_valid(d));
	ck_assert(!digest_valid("sha256:abc"));
	ck_assert(
	    !digest_valid("md5:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}
END_TEST

START_TEST(test_paths)
{
	struct berth_paths p;
	char *s;

	setenv("BERTH_ROOT", "/env/root", 1);
	unsetenv("BERTH_RUN");
	paths_init(&p, NULL, NULL);
	ck_assert_str_eq(p.root, "/env/root");
	ck_assert_str_eq(p.run, BERTH_DEFAULT_RUN);
	paths_free(&p);
	paths_init(&p, "/flag/root", "/flag/run");
	ck_assert_str_eq(p.root, "/flag/root");
	s = paths_socket(&p, DAEMON_CONTAINERD);
	ck_assert_str_eq(s, "/flag/run/containerd.sock");
	free(s);
	s = paths_pidfile(&p, DAEMON_IMAGED);
	ck_assert_str_eq(s, "/flag/run/berth-imaged.pid");
	free(s);
	paths_free(&p);
	unsetenv("BERTH_ROOT");
}
END_TEST

START_TEST(test_cgroup_mode)
{
	enum cgroup_mode m = cgroup_mode_detect("/sys/fs/cgroup");

	/* every Linux host berth runs on has one of the three layouts */
	ck_assert_int_ne(m, CGROUP_MODE_UNKNOWN);
	ck_assert_int_eq(cgroup_mode_detect("/nonexistent"), CGROUP_MODE_UNKNOWN);
	ck_assert_int_eq(cgroup_mode_version(CGROUP_MODE_HYBRID), 1);
	ck_assert_int_eq(cgroup_mode_version(CGROUP_MODE_V2), 2);
	ck_assert_str_eq(cgroup_mode_name(CGROUP_MODE_HYBRID), "hybrid");
}
END_TEST

START_TEST(test_bpf_load)
{
	const struct bpf_insn ok[] = {BPF_MOV64_IMM(BPF_REG_0, 0), BPF_EXIT_INSN()};
	const struct bpf_insn bad[] = {BPF_MOV64_IMM(BPF_REG_0, 0)};
	struct err err = ERR_INIT;
	int fd;

	if (geteuid() != 0)
		return; /* loading needs CAP_BPF here */
	fd = bpf_prog_new(BPF_PROG_TYPE_SOCKET_FILTER, 0, ok, 2, "a test program", &err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* refused: the error names the program and carries the verifier's verdict */
	ck_assert_int_lt(bpf_prog_new(BPF_PROG_TYPE_SOCKET_FILTER, 0, bad, 1, "a bad one", &err),
			 0);
	ck_assert_msg(strstr(err_msg(&err), "load a bad one (eBPF, 1 instructions): ") != NULL,
		      "%s", err_msg(&err));
	err_clear(&err);
}
END_TEST

/* In a child: bpf() allowed for one map command only; what the seccomp filter answers. */
static int bpf_after_drop(int cmd)
{
	static const long cmds[] = {BPF_MAP_GET_NEXT_KEY, -1};
	static const struct priv_arg_rule rules[] = {{"bpf", cmds}, {NULL, NULL}};
	struct priv_spec spec = {.no_new_privs = true, .arg_rules = rules};
	struct err err = ERR_INIT;
	union bpf_attr attr;
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		spec.syscalls = priv_allowlist(NULL);
		if (priv_drop(&spec, &err) < 0)
			_exit(100);
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = (uint32_t)-1;
		_exit(bpf_sys(cmd, &attr) < 0 ? errno : 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_priv_arg_rules)
{
	/* the allowed command reaches the kernel (a bad fd), the others stop at the filter */
	ck_assert_int_eq(bpf_after_drop(BPF_MAP_GET_NEXT_KEY), EBADF);
	ck_assert_int_eq(bpf_after_drop(BPF_PROG_LOAD), EPERM);
	ck_assert_int_eq(bpf_after_drop(BPF_MAP_CREATE), EPERM);
}
END_TEST

/* policy_check_container on a create request given as JSON text. */
static int check_ctr(const struct policy_profile *pr, const char *req, struct err *err)
{
	cJSON *doc = cJSON_Parse(req);
	int r;

	ck_assert_ptr_nonnull(doc);
	err_clear(err);
	r = policy_check_container(pr, doc, err);
	cJSON_Delete(doc);
	return r;
}

START_TEST(test_size_parse)
{
	long long n;

	ck_assert_int_eq(size_parse("4096", &n), 0);
	ck_assert_int_eq(n, 4096);
	ck_assert_int_eq(size_parse("16k", &n), 0);
	ck_assert_int_eq(n, 16384);
	ck_assert_int_eq(size_parse("10m", &n), 0);
	ck_assert_int_eq(n, 10ll << 20);
	ck_assert_int_eq(size_parse("1.5G", &n), 0);
	ck_assert_int_eq(n, 3ll << 29);
	ck_assert_int_eq(size_parse("2gb", &n), 0);
	ck_assert_int_eq(n, 2ll << 30);
	ck_assert_int_eq(size_parse("-1", &n), 0);
	ck_assert_int_eq(n, -1);
	ck_assert_int_eq(size_parse("12q", &n), -1);
	ck_assert_int_eq(size_parse("m", &n), -1);
	ck_assert_int_eq(size_parse("", &n), -1);
	ck_assert_int_eq(size_parse("-5", &n), -1);
	ck_assert_int_eq(size_parse("10mm", &n), -1);
}
END_TEST

START_TEST(test_policy)
{
	char *dir = tmpdir(), *path = xasprintf("%s/policy.json", dir);
	struct policy_who root = {.uid = 0}, user = {.uid = 4242}, tls = {.uid = (uid_t)-1};
	const struct policy_profile *pr;
	struct err err = ERR_INIT;
	struct policy p;
	FILE *f;

	/* no file: root unrestricted, others restricted */
	policy_init(&p, path);
	policy_refresh(&p);
	pr = policy_profile_for(&p, &root, &err);
	ck_assert_str_eq(pr->name, "unrestricted");
	pr = policy_profile_for(&p, &user, &err);
	ck_assert_str_eq(pr->name, "restricted");
	ck_assert_str_eq(policy_who_name(&user), "uid 4242");
	ck_assert_int_eq(check_ctr(pr, "{\"Config\":{\"Image\":\"busybox\"}}", &err), 0);
	ck_assert_int_eq(check_ctr(pr, "{\"HostConfig\":{\"CapAdd\":[\"cap_chown\"]}}", &err), 0);
	ck_assert_int_eq(check_ctr(pr, "{\"HostConfig\":{\"CapAdd\":[\"cap_net_admin\"]}}", &err),
			 -ERR_DENIED);
	ck_assert_str_eq(
	    err_msg(&err),
	    "--cap-add NET_ADMIN is not allowed: rule capabilities of profile restricted");
	err_clear(&err);
	/* a lower OOM priority is anyone's; immunity and real-time CPU are host_resources */
	ck_assert_int_eq(check_ctr(pr, "{\"HostConfig\":{\"OomScoreAdj\":500}}", &err), 0);
	ck_assert_int_eq(check_ctr(pr, "{\"HostConfig\":{\"OomScoreAdj\":-1}}", &err), -ERR_DENIED);
	ck_assert_str_eq(
	    err_msg(&err),
	    "--oom-score-adj -1 is not allowed: rule host_resources of profile restricted");
	err_clear(&err);
	ck_assert_int_eq(check_ctr(pr, "{\"HostConfig\":{\"CpuRealtimeRuntime\":950}}", &err),
			 -ERR_DENIED);
	ck_assert_int_eq(
	    check_ctr(pr,
		      "{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"1024\"}]}}}",
		      &err),
	    0);
	ck_assert_int_eq(check_ctr(pr, "{\"HostConfig\":{\"Binds\":[\"vol:/data\"]}}", &err), 0);
	ck_assert_int_eq(
	    check_ctr(pr, "{\"HostConfig\":{\"SecurityOpt\":[\"apparmor:unconfined\"]}}", &err),
	    -ERR_DENIED);
	/* a profile of one's own; the file changes under the same name */
	f = fopen(path, "w");
	fputs("{\"profiles\": {\"p\": {\"sysctls\": [\"net.ipv4.*\"], \"images\": "
	      "[\"docker.io/library/\"], \"bind_mounts\": [{\"source\": \"/srv/\", "
	      "\"read_only\": true}]}},"
	      "\"identities\": [{\"uid\": 4242, \"profile\": \"p\"}, "
	      "{\"subject\": \"CN=r\", \"profile\": \"read-only\"}]}",
	      f);
	fclose(f);
	policy_refresh(&p);
	ck_assert_ptr_null(p.error);
	pr = policy_profile_for(&p, &user, &err);
	ck_assert_str_eq(pr->name, "p");
	ck_assert_int_eq(
	    check_ctr(pr,
		      "{\"Config\":{\"Image\":\"busybox\"},\"HostConfig\":{\"Sysctls\":"
		      "{\"net.ipv4.ip_forward\":\"1\"},\"Binds\":[\"/srv/x:/x:ro\"]}}",
		      &err),
	    0);
	ck_assert_int_eq(check_ctr(pr, "{\"HostConfig\":{\"Binds\":[\"/srvx:/x:ro\"]}}", &err),
			 -ERR_DENIED);
	ck_assert_int_eq(check_ctr(pr, "{\"HostConfig\":{\"Binds\":[\"/srv:/x\"]}}", &err),
			 -ERR_DENIED);
	ck_assert_int_eq(policy_check_image(pr, "quay.io/x/y:1", &err), -ERR_DENIED);
	ck_assert_int_eq(policy_check_image(pr, "sha256:0123456789ab", &err), -ERR_DENIED);
	ck_assert_int_eq(policy_check_image(pr, "0123456789ab", &err), -ERR_DENIED);
	ck_assert_int_eq(policy_check_image(pr, "alpine:3", &err), 0);
	tls.subject = xstrdup("CN=r");
	pr = policy_profile_for(&p, &tls, &err);
	ck_assert_str_eq(policy_who_name(&tls), "TLS client 'CN=r'");
	ck_assert_int_eq(policy_check_write(pr, "container.create", &err), -ERR_DENIED);
	/* an invalid file: root still passes, the others get the fault */
	f = fopen(path, "w");
	fputs("{\"identities\": [{\"user\": \"x\", \"profile\": \"nope\"}]}", f);
	fclose(f);
	policy_refresh(&p);
	ck_assert_ptr_nonnull(p.error);
	ck_assert_ptr_nonnull(policy_profile_for(&p, &root, &err));
	ck_assert_ptr_null(policy_profile_for(&p, &user, &err));
	ck_assert_ptr_nonnull(strstr(err_msg(&err), "identities[0]: no profile named 'nope'"));
	err_clear(&err);
	policy_who_free(&root);
	policy_who_free(&user);
	policy_who_free(&tls);
	policy_free(&p);
	rmrf(dir);
	free(dir);
	free(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("common");

	tcase_add_test(tc, test_err_chain);
	tcase_add_test(tc, test_atomic_write);
	tcase_add_test(tc, test_open_in_root);
	tcase_add_test(tc, test_mkdir_secure);
	tcase_add_test(tc, test_mkdir_nofollow);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_sha256);
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_cgroup_mode);
	tcase_add_test(tc, test_bpf_load);
	tcase_add_test(tc, test_priv_arg_rules);
	tcase_add_test(tc, test_policy);
	tcase_add_test(tc, test_size_parse);
	suite_add_tcase(s, tc);
	return run_suite_tap(s);
}
