/* Answers, written from the request's thread on the connection it owns. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>

#include "apid.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl/lib/bclient.h"

/* A client that stops reading for this long is dropped. */
#define WRITE_TIMEOUT_MS 60000

int conn_write_all(struct conn *c, const void *data, size_t n)
{
	const char *p = data;

	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = {c->fd, POLLOUT, 0};

			if (poll(&pfd, 1, WRITE_TIMEOUT_MS) <= 0)
				return -1;
			continue;
		}
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static const char *reason(int status)
{
	switch (status) {
	case 101:
		return "UPGRADED";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return status >= 500 ? "Internal Server Error" : "Error";
	}
}

static int head(struct resp *rs, int status, const char *type, long long length, bool close)
{
	char buf[4096];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "HTTP/1.1 %d %s\r\n"
		     "Api-Version: " APID_API_VERSION "\r\n"
		     /* the classic builder (POST /build), not BuildKit's session */
		     "Builder-Version: 1\r\n"
		     "Docker-Experimental: false\r\n"
		     "Ostype: linux\r\n"
		     "Server: berth-apid/" PACKAGE_VERSION " (linux)\r\n"
		     "%s%s%s",
		     status, reason(status), type ? "Content-Type: " : "", type ? type : "",
		     type ? "\r\n" : "");
	if (rs->extra_headers && strlen(rs->extra_headers) < sizeof(buf) - (size_t)n - 256)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s", rs->extra_headers);
	if (length >= 0)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "Content-Length: %lld\r\n", length);
	else if (status != 101 && status != 204 && status != 304)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "Transfer-Encoding: chunked\r\n");
	if (close || !rs->req->keep_alive)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "Connection: close\r\n");
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\r\n");
	rs->sent_head = true;
	rs->status = status;
	return conn_write_all(rs->c, buf, (size_t)n);
}

static int whole(struct resp *rs, int status, const char *type, const char *body, size_t len)
{
	if (rs->sent_head)
		return -1;
	if (head(rs, status, type, (long long)len, false) < 0)
		return -1;
	/* HEAD: the length of what GET would send, and no body */
	if (rs->req->method && !strcmp(rs->req->method, "HEAD"))
		return 0;
	return len ? conn_write_all(rs->c, body, len) : 0;
}

int resp_json(struct resp *rs, int status, const cJSON *doc)
{
	cleanup_free char *text = cJSON_PrintUnformatted(doc);
	size_t n = strlen(text);

	/* Docker ends a JSON body with a newline */
	text = xrealloc(text, n + 2);
	text[n++] = '\n';
	text[n] = '\0';
	return whole(rs, status, "application/json", text, n);
}

int resp_text(struct resp *rs, int status, const char *type, const char *body)
{
	return whole(rs, status, type, body, strlen(body));
}

int resp_empty(struct resp *rs, int status)
{
	if (rs->sent_head)
		return -1;
	return head(rs, status, NULL, status == 204 || status == 304 ? -2 : 0, false);
}

int resp_error(struct resp *rs, int status, const char *fmt, ...)
{
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	cleanup_free char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	cJSON_AddStringToObject(o, "message", msg ? msg : "out of memory");
	if (rs->sent_head)
		return -1; /* a stream already began: its handler says it in the stream */
	return resp_json(rs, status, o);
}

int resp_status_of(int code)
{
	switch (code) {
	case ENOENT:
		return 404;
	case EEXIST:
	case EBUSY:
	case EALREADY:
	case ENOTEMPTY:
		return 409;
	case EINVAL:
	case BC_BADARG:
	case E2BIG:
	case ENAMETOOLONG:
	case ERANGE:
	case ENOTDIR:
		return 400;
	case EACCES:
	case EPERM:
	case ERR_DENIED:
		return 403;
	case ENOSYS:
	case EOPNOTSUPP:
		return 501;
	default:
		return 500;
	}
}

int resp_err(struct resp *rs, const struct err *err)
{
	return resp_error(rs, resp_status_of(err->code), "%s", err_msg(err));
}

int resp_stream_begin(struct resp *rs, int status, const char *type)
{
	rs->chunked = true;
	return head(rs, status, type, -1, false);
}

int resp_chunk(struct resp *rs, const void *data, size_t n)
{
	char len[24];
	int k;

	if (!n)
		return 0;
	k = snprintf(len, sizeof(len), "%zx\r\n", n);
	if (conn_write_all(rs->c, len, (size_t)k) < 0 || conn_write_all(rs->c, data, n) < 0 ||
	    conn_write_all(rs->c, "\r\n", 2) < 0)
		return -1;
	return 0;
}

int resp_stream_end(struct resp *rs)
{
	return conn_write_all(rs->c, "0\r\n\r\n", 5);
}

int resp_hijack(struct resp *rs, const char *type)
{
	char buf[512];
	int n;

	rs->hijacked = true;
	rs->sent_head = true;
	rs->status = rs->req->upgrade ? 101 : 200;
	if (rs->req->upgrade)
		n = snprintf(buf, sizeof(buf),
			     "HTTP/1.1 101 UPGRADED\r\n"
			     "Content-Type: %s\r\n"
			     "Connection: Upgrade\r\n"
			     "Upgrade: tcp\r\n"
			     "Api-Version: " APID_API_VERSION "\r\n\r\n",
			     type);
	else
		n = snprintf(buf, sizeof(buf),
			     "HTTP/1.1 200 OK\r\n"
			     "Content-Type: %s\r\n"
			     "Api-Version: " APID_API_VERSION "\r\n\r\n",
			     type);
	return conn_write_all(rs->c, buf, (size_t)n);
}

int resp_stdcopy(struct resp *rs, int stream, const void *data, size_t n)
{
	uint8_t h[8] = {(uint8_t)stream,   0,	      0, 0, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
			(uint8_t)(n >> 8), (uint8_t)n};

	if (conn_write_all(rs->c, h, sizeof(h)) < 0)
		return -1;
	return conn_write_all(rs->c, data, n);
}

int resp_message(struct resp *rs, const cJSON *msg)
{
	cleanup_free char *text = cJSON_PrintUnformatted(msg), *chunk = NULL;

	chunk = xasprintf("%s\r\n", text);
	return resp_chunk(rs, chunk, strlen(chunk));
}

int resp_stream_error(struct resp *rs, const struct err *err)
{
	cleanup_cjson cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "errorDetail"), "message", err_msg(err));
	cJSON_AddStringToObject(o, "error", err_msg(err));
	return resp_message(rs, o);
}

char *b64_encode(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}
