/* libberthclient: a container's processes as ps -ef shows them (bc_top.h). */
#include "config.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bc_top.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "proto/tags.h"

/* A /proc file of pid, whole (it is small), NUL-terminated; its length, or -1. */
static ssize_t proc_read(int pid, const char *name, char *buf, size_t len)
{
	char path[64];
	cleanup_close int fd = -1;
	size_t off = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (off < len - 1 && (n = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	return (ssize_t)off;
}

static long long boot_time(void)
{
	char buf[8192], *p;
	cleanup_close int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "\nbtime ");
	return p ? strtoll(p + 7, NULL, 10) : 0;
}

struct proc_stat {
	long long ppid, tty, cpu_ticks, start_ticks;
};

/* The fields of /proc/PID/stat after the command's ")" that ps -ef needs. */
static int parse_stat(int pid, struct proc_stat *st)
{
	char buf[1024], *p;
	long long f[23] = {0};

	if (proc_read(pid, "stat", buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return -1;
	p += 2; /* the state, field 3 */
	for (int i = 3; i <= 22 && *p; i++) {
		f[i] = i == 3 ? 0 : strtoll(p, NULL, 10);
		p = strchr(p, ' ');
		if (!p)
			break;
		p++;
	}
	st->ppid = f[4];
	st->tty = f[7];
	st->cpu_ticks = f[14] + f[15];
	st->start_ticks = f[22];
	return 0;
}

static char *user_of(int pid)
{
	char buf[4096], *u, name[512];
	struct passwd pw, *res = NULL;
	long uid;

	if (proc_read(pid, "status", buf, sizeof(buf)) <= 0 || !(u = strstr(buf, "\nUid:")))
		return xstrdup("?");
	uid = strtol(u + 5, NULL, 10);
	if (getpwuid_r((uid_t)uid, &pw, name, sizeof(name), &res) == 0 && res)
		return xstrdup(pw.pw_name);
	return xasprintf("%ld", uid);
}

static char *tty_of(long long nr)
{
	unsigned major = (unsigned)((nr >> 8) & 0xfff);
	unsigned minor = (unsigned)((nr & 0xff) | ((nr >> 12) & 0xfff00));

	if (major >= 136 && major <= 143)
		return xasprintf("pts/%u", minor + (major - 136) * 256);
	if (major == 4 && minor < 64)
		return xasprintf("tty%u", minor);
	return xstrdup("?");
}

static char *cmd_of(int pid)
{
	char buf[4096];
	ssize_t n = proc_read(pid, "cmdline", buf, sizeof(buf));

	if (n <= 0) {
		char comm[64];

		if (proc_read(pid, "comm", comm, sizeof(comm)) <= 0)
			return xstrdup("?");
		comm[strcspn(comm, "\n")] = '\0';
		return xasprintf("[%s]", comm);
	}
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return xstrdup(buf);
}

/* One row of ps -ef; NULL when the process is gone. */
static cJSON *row(int pid, long long btime, long ticks, time_t now)
{
	struct proc_stat st;
	cleanup_free char *user = NULL, *tty = NULL, *cmd = NULL;
	char num[3][24], stime[16], cputime[32];
	time_t start;
	struct tm tm_start, tm_now;
	long long cpu_s, age;
	cJSON *r;

	if (parse_stat(pid, &st) < 0)
		return NULL;
	user = user_of(pid);
	tty = tty_of(st.tty);
	cmd = cmd_of(pid);
	start = (time_t)(btime + st.start_ticks / ticks);
	localtime_r(&start, &tm_start);
	localtime_r(&now, &tm_now);
	strftime(stime, sizeof(stime),
		 tm_start.tm_yday == tm_now.tm_yday && tm_start.tm_year == tm_now.tm_year ? "%H:%M"
											  : "%b%d",
		 &tm_start);
	cpu_s = st.cpu_ticks / ticks;
	age = (long long)(now - start);
	snprintf(cputime, sizeof(cputime), "%02lld:%02lld:%02lld", cpu_s / 3600, cpu_s / 60 % 60,
		 cpu_s % 60);
	snprintf(num[0], sizeof(num[0]), "%d", pid);
	snprintf(num[1], sizeof(num[1]), "%lld", st.ppid);
	/* ps's C: the CPU share of its life, in percent */
	snprintf(
	    num[2], sizeof(num[2]), "%lld",
	    age > 0
		? (st.cpu_ticks * 100 / ticks / age > 99 ? 99 : st.cpu_ticks * 100 / ticks / age)
		: 0);
	r = cJSON_CreateArray();
	for (const char *const *v = (const char *const[]){user, num[0], num[1], num[2], stime, tty,
							  cputime, cmd, NULL};
	     *v; v++)
		cJSON_AddItemToArray(r, cJSON_CreateString(*v));
	return r;
}

static int container_pids(const struct berth_paths *p, const char *ref, cJSON **out,
			  struct err *err)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, ref);
	return bc_call(p, DAEMON_CONTAINERD, MSG_CONTAINER_TOP, &pb, out, NULL, NULL, err);
}

int bc_top(const struct berth_paths *p, const char *ref, cJSON **out, struct err *err)
{
	static const char *const titles[] = {"UID",   "PID", "PPID", "C",
					     "STIME", "TTY", "TIME", "CMD"};
	cleanup_cjson cJSON *pids = NULL;
	long long btime = boot_time();
	long ticks = sysconf(_SC_CLK_TCK);
	time_t now = time(NULL);
	const cJSON *pid;
	cJSON *doc, *procs;

	if (container_pids(p, ref, &pids, err) < 0)
		return -err->code;
	if (ticks <= 0)
		ticks = 100;
	doc = cJSON_CreateObject();
	cJSON_AddItemToObject(doc, "Titles", cJSON_CreateStringArray(titles, 8));
	procs = cJSON_AddArrayToObject(doc, "Processes");
	cJSON_ArrayForEach (pid, cJSON_GetObjectItem(pids, "Pids")) {
		cJSON *r = row(pid->valueint, btime, ticks, now);

		if (r)
			cJSON_AddItemToArray(procs, r);
	}
	*out = doc;
	return 0;
}

int bc_top_pids(const struct berth_paths *p, const char *ref, char **pids, struct err *err)
{
	cleanup_cjson cJSON *out = NULL;
	const cJSON *pid;
	size_t len = 0;

	if (container_pids(p, ref, &out, err) < 0)
		return -err->code;
	*pids = xzalloc(16 * ((size_t)cJSON_GetArraySize(cJSON_GetObjectItem(out, "Pids")) + 1));
	cJSON_ArrayForEach (pid, cJSON_GetObjectItem(out, "Pids"))
		len += (size_t)sprintf(*pids + len, "%s%d", len ? "," : "", pid->valueint);
	return 0;
}
