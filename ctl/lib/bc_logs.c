/*
 * libberthclient: a container's logs: the json-file logs containerd hands
 * over as fds (since, until, the tail kept), then, following, the live
 * stream of the container.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bc_session.h"
#include "bclient.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "proto/tags.h"

/* "2026-11-28T04:22:04.123456789Z" into nanoseconds since the epoch. */
static long long rfc3339_ns(const char *s)
{
	struct tm tm = {0};
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	long long ns = 0;

	if (!rest)
		return -1;
	if (*rest == '.') {
		int digits = 0;

		for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
			if (digits < 9)
				ns = ns * 10 + (*rest - '0');
		for (; digits < 9; digits++)
			ns *= 10;
	}
	return (long long)timegm(&tm) * 1000000000ll + ns;
}

/* RFC 3339, Unix seconds, or a duration back from now ("10m", "2h", "30s"). */
int bc_parse_time(const char *s, long long *ns)
{
	char *end;
	double v;

	if (strchr(s, 'T') && strchr(s, '-')) {
		*ns = rfc3339_ns(s);
		return *ns < 0 ? -1 : 0;
	}
	v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	if (!*end) {
		*ns = (long long)(v * 1e9);
		return 0;
	}
	if (end[1])
		return -1;
	switch (*end) {
	case 's':
		break;
	case 'm':
		v *= 60;
		break;
	case 'h':
		v *= 3600;
		break;
	default:
		return -1;
	}
	{
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		*ns = (long long)now.tv_sec * 1000000000ll + now.tv_nsec - (long long)(v * 1e9);
	}
	return 0;
}

struct line {
	const char *text; /* the reader's scratch until kept */
	size_t len;
	int stream;
	char time[40];
};

/* One reader's reusable buffer for decoded lines. */
struct scratch {
	char *p;
	size_t cap;
};

static void print_line(const struct bc_logs *o, const char *t, const char *text, size_t n,
		       int stream)
{
	if (o->timestamps) {
		char *l = xasprintf("%s %.*s", t, (int)n, text);

		o->output(stream, l, strlen(l), o->arg);
		free(l);
		return;
	}
	o->output(stream, text, n, o->arg);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The string at p (past its opening quote) into o; its end past the closing quote, or NULL. */
static const char *unescape(const char *p, const char *end, char *o, size_t *len)
{
	char *start = o;

	for (;;) {
		const char *q = p;

		while (q < end && *q != '"' && *q != '\\')
			q++;
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		if (q >= end)
			return NULL;
		if (*q == '"') {
			*len = (size_t)(o - start);
			return q + 1;
		}
		if (q + 1 >= end)
			return NULL;
		switch (q[1]) {
		case '"':
		case '\\':
		case '/':
			*o++ = q[1];
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'u': /* what the shim writes: \u00XX for one byte; the rest goes to cJSON */
			if (end - q < 6 || q[2] != '0' || q[3] != '0' || hexval(q[4]) < 0 ||
			    hexval(q[5]) < 0)
				return NULL;
			*o++ = (char)(hexval(q[4]) << 4 | hexval(q[5]));
			p = q + 6;
			continue;
		default:
			return NULL;
		}
		p = q + 2;
	}
}

/*
 * The shim's own form, {"log":"...","stream":"stdout","time":"..."}, read
 * without a JSON parser (the logs' hot path); 0 when the line is not of it.
 */
static int fast_line(const char *l, size_t n, struct scratch *s, struct line *out)
{
	static const char head[] = "{\"log\":\"", out_s[] = ",\"stream\":\"stdout\",\"time\":\"",
			  err_s[] = ",\"stream\":\"stderr\",\"time\":\"";
	const size_t hl = sizeof(head) - 1, sl = sizeof(out_s) - 1;
	const char *end = l + n, *p, *t;

	while (end > l && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if ((size_t)(end - l) < hl + sl + 2 || memcmp(l, head, hl))
		return 0;
	if (s->cap < n) {
		s->cap = n + n / 2;
		s->p = xrealloc(s->p, s->cap);
	}
	p = unescape(l + hl, end, s->p, &out->len);
	if (!p || end - p < (ptrdiff_t)sl + 2)
		return 0;
	if (!memcmp(p, out_s, sl))
		out->stream = 1;
	else if (!memcmp(p, err_s, sl))
		out->stream = 2;
	else
		return 0;
	t = p + sl;
	p = memchr(t, '"', (size_t)(end - t));
	if (!p || p + 2 != end || p[1] != '}' || (size_t)(p - t) >= sizeof(out->time))
		return 0;
	memcpy(out->time, t, (size_t)(p - t));
	out->time[p - t] = 0;
	out->text = s->p;
	return 1;
}

/* Any other json-file line, by cJSON. */
static int slow_line(const char *l, struct scratch *s, struct line *out)
{
	cleanup_cjson cJSON *doc = cJSON_Parse(l);
	const char *log = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "log"));
	const char *stream = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "stream"));
	const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "time"));

	if (!log || !t)
		return 0;
	out->len = strlen(log);
	if (s->cap < out->len + 1) {
		s->cap = out->len + 1;
		s->p = xrealloc(s->p, s->cap);
	}
	memcpy(s->p, log, out->len);
	out->text = s->p;
	out->stream = stream && !strcmp(stream, "stderr") ? 2 : 1;
	snprintf(out->time, sizeof(out->time), "%s", t);
	return 1;
}

/* One json-file line: 1 to print or keep (text in s), 0 filtered out. */
static int parse_log_line(const struct bc_logs *o, const char *l, size_t n, struct scratch *s,
			  struct line *out)
{
	long long ns;

	if (!fast_line(l, n, s, out) && !slow_line(l, s, out))
		return 0;
	if (!o->since_ns && !o->until_ns)
		return 1;
	ns = rfc3339_ns(out->time);
	return !((o->since_ns && ns < o->since_ns) || (o->until_ns && ns >= o->until_ns));
}

/* Read the log files (oldest first), at most sizes[i] bytes of each; keep the tail. */
static void print_logs(const struct bc_logs *o, int *fds, unsigned n, const cJSON *sizes)
{
	size_t cap = o->tail >= 0 ? (size_t)o->tail : 0, count = 0, head = 0;
	struct line *ring = cap ? xcalloc(cap, sizeof(*ring)) : NULL;
	struct scratch scratch = {0};

	for (unsigned i = 0; i < n; i++) {
		long long limit =
		    (long long)cJSON_GetNumberValue(cJSON_GetArrayItem(sizes, (int)i));
		FILE *f = fdopen(fds[i], "r");
		char *l = NULL;
		size_t lcap = 0;
		ssize_t got;
		long long off = 0;

		if (!f)
			continue;
		while ((got = getline(&l, &lcap, f)) > 0 && off + got <= limit) {
			struct line ln;

			off += got;
			if (!parse_log_line(o, l, (size_t)got, &scratch, &ln))
				continue;
			if (o->tail < 0) {
				print_line(o, ln.time, ln.text, ln.len, ln.stream);
				continue;
			}
			if (!cap)
				continue;
			ln.text = xstrndup(ln.text, ln.len);
			if (count == cap) {
				free((char *)ring[head].text);
				ring[head] = ln;
				head = (head + 1) % cap;
			} else {
				ring[(head + count++) % cap] = ln;
			}
		}
		free(l);
		fclose(f);
	}
	for (size_t i = 0; i < count; i++) {
		struct line *ln = &ring[(head + i) % cap];

		print_line(o, ln->time, ln->text, ln->len, ln->stream);
		free((char *)ln->text);
	}
	free(ring);
	free(scratch.p);
}

int bc_logs(const struct berth_paths *p, const struct bc_logs *o, struct err *err)
{
	cleanup_cjson cJSON *out = NULL;
	int fds[PROTO_MAX_FDS];
	unsigned nfds = 0, nlogs;
	struct pbuf pb;
	int r = 0;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, o->ref);
	pb_put_u32(&pb, TAG_STREAM, o->follow);
	if (bc_call(p, DAEMON_CONTAINERD, MSG_CONTAINER_LOGS, &pb, &out, fds, &nfds, err) < 0)
		return -err->code;
	nlogs = (unsigned)cJSON_GetArraySize(cJSON_GetObjectItem(out, "Sizes"));
	if (nlogs > nfds)
		nlogs = nfds;
	print_logs(o, fds, nlogs, cJSON_GetObjectItem(out, "Sizes"));
	if (o->flush)
		o->flush(o->arg);
	if (nfds > nlogs) {
		struct session s = {
		    .fd = fds[nlogs],
		    .req_id = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(out, "AttachId")),
		    .output = o->output,
		    .arg = o->arg,
		    .in = -1,
		};
		int code;

		r = session_run(&s, &code, err) < 0 ? -err->code : 0;
		for (unsigned i = nlogs; i < nfds; i++)
			close(fds[i]);
	}
	return r;
}
