/*
 * A live session with a container's shim over the connection containerd
 * handed us: its output (stream frames tagged stdout or stderr) to ours,
 * our stdin to its stdin, terminal size changes, the detach keys, and the
 * exit status in the stream's last frame.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "bc_session.h"
#include "proto/client.h"
#include "proto/tags.h"

static volatile sig_atomic_t winch = 1;
volatile sig_atomic_t session_cancel;

static void on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

static int send_frame(int fd, uint16_t type, struct pbuf *pb)
{
	static uint32_t next_id = 1000;
	struct frame_writer w;
	struct err err = ERR_INIT;
	int r;

	frame_writer_init(&w);
	frame_writer_push(&w, type, 0, next_id++, pb, NULL, 0);
	r = frame_writer_flush(&w, fd, &err);
	frame_writer_free(&w);
	err_clear(&err);
	return r == 1 ? 0 : -1;
}

void session_send_stdin(const struct session *s, const void *buf, size_t n)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_bytes(&pb, TAG_DATA, buf, n);
	if (s->exec_id)
		pb_put_u32(&pb, TAG_PID, s->exec_id);
	send_frame(s->fd, MSG_SHIM_WRITE, &pb);
}

void session_close_stdin(const struct session *s)
{
	struct pbuf pb;

	pb_init(&pb);
	if (s->exec_id)
		pb_put_u32(&pb, TAG_PID, s->exec_id);
	send_frame(s->fd, MSG_SHIM_CLOSE_STDIN, &pb);
}

static void send_size(const struct session *s)
{
	struct winsize ws;
	struct pbuf pb;

	if (ioctl(s->in, TIOCGWINSZ, &ws) < 0 || !ws.ws_row || !ws.ws_col)
		return;
	pb_init(&pb);
	pb_put_u32(&pb, TAG_ROWS, ws.ws_row);
	pb_put_u32(&pb, TAG_COLS, ws.ws_col);
	send_frame(s->fd, MSG_SHIM_RESIZE, &pb);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The exit code in the stream's END frame ({"exit_code": N}). */
static int end_code(const struct frame *f)
{
	struct err err = ERR_INIT;
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *c;

	p_get_str(f->payload, f->len, TAG_JSON, &text, &err);
	err_clear(&err);
	doc = text ? cJSON_Parse(text) : NULL;
	c = cJSON_GetObjectItem(doc, "exit_code");
	return cJSON_IsNumber(c) ? c->valueint : -1;
}

/* 1: the stream ended (*code set); 2: the exec runs (until_started); 0: go on; -1: ferr set. */
static int handle_frame(const struct session *s, struct frame *f, int *code, struct err *ferr)
{
	struct err err = ERR_INIT;

	if (f->id != s->req_id)
		return 0; /* replies to our writes and resizes */
	if (f->flags & PF_ERROR) {
		frame_to_err(f, ferr);
		return -1;
	}
	if (f->flags & PF_END) {
		*code = end_code(f);
		return 1;
	}
	if (f->flags & PF_STREAM) {
		const uint8_t *data;
		size_t n;
		uint32_t stream = 1;

		uint32_t pid = 0;

		p_get_u32(f->payload, f->len, TAG_STREAM, &stream, &err);
		if (p_get_bytes(f->payload, f->len, TAG_DATA, &data, &n, &err) > 0) {
			if (s->output && (stream == 2 || !s->until_started))
				s->output(stream == 2 ? 2 : 1, data, n, s->arg);
			else if (stream == 2 || !s->until_started)
				write_all(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, data, n);
		} else if (s->until_started &&
			   p_get_u32(f->payload, f->len, TAG_PID, &pid, &err) > 0) {
			err_clear(&err);
			return 2; /* the shim's word that the process runs */
		}
		err_clear(&err);
	}
	return 0;
}

/* Ctrl-P Ctrl-Q by default: returns true once the whole sequence was typed. */
static bool detach_match(const struct session *s, size_t *matched, char c)
{
	const char *keys = s->detach_keys;

	if (!keys || !*keys)
		return false;
	if (c == keys[*matched]) {
		if (!keys[++*matched])
			return true;
		return false;
	}
	*matched = c == keys[0] ? 1 : 0;
	return false;
}

static int pump_stdin(const struct session *s, size_t *matched, bool *detached)
{
	char buf[16384];
	ssize_t n = read(s->in, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		session_close_stdin(s);
		return 1;
	}
	if (s->tty && s->detach_keys) {
		for (ssize_t i = 0; i < n; i++)
			if (detach_match(s, matched, buf[i])) {
				*detached = true;
				return 1;
			}
	}
	session_send_stdin(s, buf, (size_t)n);
	return 0;
}

int session_run(const struct session *s, int *exit_code, struct err *err_out)
{
	struct frame_reader rd;
	struct termios saved, raw;
	bool raw_mode = false, stdin_open = s->stdin, detached = false;
	size_t matched = 0;
	sigset_t block, waitmask;
	int r = 0, code = -1;

	frame_reader_init(&rd);
	if (s->tty && s->stdin && isatty(s->in) && tcgetattr(s->in, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR; /* keep our own output readable */
		raw_mode = tcsetattr(s->in, TCSANOW, &raw) == 0;
	}
	if (s->tty) {
		struct sigaction sa = {.sa_handler = on_winch};

		sigaction(SIGWINCH, &sa, NULL);
	}
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	for (;;) {
		struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->in, POLLIN, 0}};
		struct err err = ERR_INIT;
		struct frame f;
		int n, got;

		if (s->tty && winch) {
			winch = 0;
			if (isatty(s->in))
				send_size(s);
		}
		/* the signals that cancel are let in only while we wait: none is missed */
		if (session_cancel) {
			r = err_set(err_out, ECANCELED, "interrupted");
			break;
		}
		n = ppoll(p, stdin_open ? 2 : 1, NULL, &waitmask);
		if (n < 0 && errno == EINTR && session_cancel) {
			r = err_set(err_out, ECANCELED, "interrupted");
			break;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = err_sys(err_out, "poll");
			break;
		}
		if (stdin_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (pump_stdin(s, &matched, &detached) != 0)
				stdin_open = false;
			if (detached)
				break;
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		got = frame_reader_recv(&rd, s->fd, &err);
		if (got == -EAGAIN)
			continue;
		if (got <= 0) {
			r = err_set(err_out, EPIPE,
				    "the container's shim closed the connection%s%s",
				    got < 0 ? ": " : "", got < 0 ? err_msg(&err) : "");
			err_clear(&err);
			break;
		}
		while ((got = frame_reader_next(&rd, &f, &err)) == 1) {
			int h = handle_frame(s, &f, &code, err_out);

			frame_release(&f);
			if (h != 0) {
				r = h;
				break;
			}
		}
		if (r == 0 && got < 0)
			r = err_set(err_out, EPROTO, "a bad frame from the container's shim: %s",
				    err_msg(&err));
		err_clear(&err);
		if (r != 0)
			break;
	}
	sigprocmask(SIG_SETMASK, &waitmask, NULL);
	if (raw_mode)
		tcsetattr(s->in, TCSANOW, &saved);
	frame_reader_free(&rd);
	if (detached) {
		*exit_code = 0;
		return 1;
	}
	if (r == 1 || r == 2) {
		*exit_code = r == 1 ? code : 0;
		return 0;
	}
	return -1;
}

const char *detach_keys_parse(const char *spec)
{
	static char out[16];
	size_t n = 0;
	const char *p = spec;

	while (*p) {
		size_t len = strcspn(p, ",");

		if (n + 1 >= sizeof(out))
			return NULL;
		if (len == 1) {
			out[n++] = *p;
		} else if (len == 6 && !strncmp(p, "ctrl-", 5)) {
			char c = p[5];

			if (c >= 'a' && c <= 'z')
				out[n++] = (char)(c - 'a' + 1);
			else if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' ||
				 c == '_')
				out[n++] = (char)(c & 0x1f);
			else
				return NULL;
		} else {
			return NULL;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	out[n] = '\0';
	return n ? out : NULL;
}
