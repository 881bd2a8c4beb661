/* A worker's side of a job: one message per line on its pipe (P progress, R result, E error). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "job.h"

static void write_line(int out, char tag, const char *text)
{
	size_t n = strlen(text);
	char *line = xmalloc(n + 3);

	line[0] = tag;
	memcpy(line + 1, text, n);
	/* one message per line: newlines inside become spaces */
	for (size_t i = 1; i <= n; i++)
		if (line[i] == '\n')
			line[i] = ' ';
	line[n + 1] = '\n';
	for (size_t off = 0; off < n + 2;) {
		ssize_t w = write(out, line + off, n + 2 - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(line);
}

void job_progress(int out, const char *fmt, ...)
{
	char *text;
	va_list ap;

	if (out < 0)
		return;
	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	write_line(out, 'P', text);
	free(text);
}

void job_done(int out, const char *json)
{
	write_line(out, 'R', json);
	_exit(0);
}

void job_fail(int out, const struct err *err)
{
	char *text = xasprintf("%d %s", err->code ? err->code : EIO, err_msg(err));

	write_line(out, 'E', text);
	free(text);
	_exit(1);
}
