#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/xalloc.h"
#include "logfile.h"

int logfile_open(struct logfile *l, const char *path, uint64_t max_size, int max_files,
		 struct err *err)
{
	struct stat st;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (!path)
		return 0;
	l->path = xstrdup(path);
	l->max_size = max_size;
	l->max_files = max_files < 1 ? 1 : max_files;
	l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (l->fd < 0)
		return err_sys(err, "open log %s", path);
	if (fstat(l->fd, &st) == 0)
		l->size = (uint64_t)st.st_size;
	return 0;
}

static void reserve(struct logfile *l, size_t n)
{
	if (l->outcap - l->outlen >= n)
		return;
	while (l->outcap - l->outlen < n)
		l->outcap = l->outcap ? l->outcap * 2 : 65536;
	l->out = xrealloc(l->out, l->outcap);
}

static void rotate(struct logfile *l)
{
	char from[4096], to[4096];

	close(l->fd);
	for (int i = l->max_files - 1; i > 0; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", l->path);
		else
			snprintf(from, sizeof(from), "%s.%d", l->path, i - 1);
		snprintf(to, sizeof(to), "%s.%d", l->path, i);
		rename(from, to);
	}
	if (l->max_files == 1)
		unlink(l->path);
	l->fd = open(l->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
	l->size = 0;
}

static void write_out(struct logfile *l)
{
	size_t off = 0;

	if (!l->outlen)
		return;
	if (l->max_size && l->size + l->outlen > l->max_size && l->size > 0)
		rotate(l);
	while (off < l->outlen) {
		ssize_t n = l->fd >= 0 ? write(l->fd, l->out + off, l->outlen - off) : -1;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* a full or failing disk: keep draining the container, count the loss */
			l->dropped += l->outlen - off;
			break;
		}
		off += (size_t)n;
		l->size += (uint64_t)n;
	}
	l->outlen = 0;
}

/*
 * Length of the run at p (at most n bytes) that needs no escaping: no
 * control character, no '"' and no '\\'. Eight bytes at a time (SWAR).
 */
static size_t plain_run(const char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w, q, b;

		memcpy(&w, p + i, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		/* a byte below 0x20, or equal to '"' or '\\', sets its high bit here */
		if (((w - ones * 0x20) | (q - ones) | (b - ones)) & ~w & highs)
			break;
	}
	while (i < n && (unsigned char)p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
		i++;
	return i;
}

/* Append one record: {"log":"<escaped>","stream":"stdout","time":"..."} */
static void record(struct logfile *l, int stream, const char *p, size_t n, const char *stamp)
{
	static const char hex[] = "0123456789abcdef";
	char *o;

	/* flush before a record would take the file over its size */
	if (l->max_size && l->size + l->outlen + n * 6 + 96 > l->max_size)
		write_out(l);
	reserve(l, n * 6 + 96);
	o = l->out + l->outlen;
	memcpy(o, "{\"log\":\"", 8);
	o += 8;
	for (size_t i = 0; i < n;) {
		unsigned char c;
		size_t run = i + plain_run(p + i, n - i);

		/* copy plain runs at once; escape the rest */
		memcpy(o, p + i, run - i);
		o += run - i;
		if (run == n)
			break;
		c = (unsigned char)p[run];
		i = run + 1;
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else if (c == '\r') {
			*o++ = '\\';
			*o++ = 'r';
		} else {
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
		}
	}
	o += sprintf(o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream ? "stderr" : "stdout",
		     stamp);
	l->outlen = (size_t)(o - l->out);
}

void logfile_write(struct logfile *l, int stream, const char *buf, size_t len)
{
	char stamp[RFC3339_LEN];

	if (!l->path)
		return;
	rfc3339_now(stamp);
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) + 1 : len;
		size_t room = LOG_PARTIAL_MAX - l->linelen[stream];

		if (l->linelen[stream] == 0 && nl && take <= LOG_PARTIAL_MAX) {
			record(l, stream, buf, take, stamp); /* the common case: a whole line */
		} else if (take <= room) {
			memcpy(l->line[stream] + l->linelen[stream], buf, take);
			l->linelen[stream] += take;
			if (nl) {
				record(l, stream, l->line[stream], l->linelen[stream], stamp);
				l->linelen[stream] = 0;
			}
		} else {
			/* over 16 KiB without a newline: a partial record */
			take = room;
			memcpy(l->line[stream] + l->linelen[stream], buf, take);
			record(l, stream, l->line[stream], LOG_PARTIAL_MAX, stamp);
			l->linelen[stream] = 0;
		}
		buf += take;
		len -= take;
	}
	if (l->outlen >= 256 * 1024)
		write_out(l);
}

void logfile_flush(struct logfile *l, bool final)
{
	if (!l->path)
		return;
	if (final) {
		char stamp[RFC3339_LEN];

		rfc3339_now(stamp);
		for (int s = 0; s < 2; s++)
			if (l->linelen[s]) {
				record(l, s, l->line[s], l->linelen[s], stamp);
				l->linelen[s] = 0;
			}
	}
	write_out(l);
	if (final && l->fd >= 0)
		fsync(l->fd);
}

void logfile_close(struct logfile *l)
{
	logfile_flush(l, true);
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l->out);
	l->path = l->out = NULL;
	l->fd = -1;
}
