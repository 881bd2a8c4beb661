#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Set once at start by log_init(), read-only afterwards. */
static struct {
	const char *name;
	bool to_stderr;
	enum log_level level;
} log_cfg = {"berth", true, LOG_LEVEL_INFO};

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_init(const char *progname, bool to_stderr, enum log_level level)
{
	log_cfg.name = progname;
	log_cfg.to_stderr = to_stderr;
	log_cfg.level = level;
	if (!to_stderr)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

enum log_level log_get_level(void)
{
	return log_cfg.level;
}

static void log_vemit(enum log_level lvl, int errnum, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char msg[2048];
	int n;

	if (lvl > log_cfg.level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (errnum && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(errnum));
	if (log_cfg.to_stderr) {
		struct timespec ts;
		struct tm tm;
		char stamp[32] = "";

		clock_gettime(CLOCK_REALTIME, &ts);
		if (localtime_r(&ts.tv_sec, &tm))
			strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s[%d]: %s: %s\n", stamp, ts.tv_nsec / 1000000,
			log_cfg.name, (int)getpid(), level_names[lvl], msg);
	} else {
		syslog(prio[lvl], "%s", msg);
	}
}

#define LOG_FN(fn, lvl, use_errno)                                                                 \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		int saved = errno;                                                                 \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vemit(lvl, use_errno ? saved : 0, fmt, ap);                                    \
		va_end(ap);                                                                        \
		errno = saved;                                                                     \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG, false)
LOG_FN(log_info, LOG_LEVEL_INFO, false)
LOG_FN(log_warn, LOG_LEVEL_WARN, true)
LOG_FN(log_warnx, LOG_LEVEL_WARN, false)
LOG_FN(log_error, LOG_LEVEL_ERROR, false)

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
