#include "config.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "wire.h"

#define READ_CHUNK (64 * 1024)
/* Payloads at least this large are handed over without a copy. */
#define STEAL_MIN (64 * 1024)

void frame_release(struct frame *f)
{
	free(f->buf);
	f->buf = f->payload = NULL;
	for (unsigned i = 0; i < f->nfds && i < PROTO_MAX_FDS; i++) {
		if (f->fds[i] >= 0)
			close(f->fds[i]);
		f->fds[i] = -1;
	}
	f->nfds = 0;
}

int frame_take_fd(struct frame *f, unsigned i)
{
	int fd;

	if (i >= f->nfds)
		return -1;
	fd = f->fds[i];
	f->fds[i] = -1;
	return fd;
}

void frame_header_encode(uint8_t out[PROTO_HDR_SIZE], uint32_t len, uint16_t type, uint16_t flags,
			 uint32_t id, uint32_t nfds)
{
	uint32_t l = htole32(len), i = htole32(id), n = htole32(nfds);
	uint16_t t = htole16(type), fl = htole16(flags);

	memcpy(out, &l, 4);
	memcpy(out + 4, &t, 2);
	memcpy(out + 6, &fl, 2);
	memcpy(out + 8, &i, 4);
	memcpy(out + 12, &n, 4);
}

int frame_header_decode(const uint8_t in[PROTO_HDR_SIZE], struct frame *f, struct err *err)
{
	uint32_t l, i, n;
	uint16_t t, fl;

	memcpy(&l, in, 4);
	memcpy(&t, in + 4, 2);
	memcpy(&fl, in + 6, 2);
	memcpy(&i, in + 8, 4);
	memcpy(&n, in + 12, 4);
	f->len = le32toh(l);
	f->type = le16toh(t);
	f->flags = le16toh(fl);
	f->id = le32toh(i);
	f->nfds = le32toh(n);
	if (f->len > PROTO_MAX_PAYLOAD)
		return err_set(err, EMSGSIZE, "frame of %u bytes is over the %u byte limit", f->len,
			       PROTO_MAX_PAYLOAD);
	if (f->flags & ~PF_KNOWN)
		return err_set(err, EPROTO, "frame with unknown flags 0x%04x", f->flags);
	if (f->nfds > PROTO_MAX_FDS)
		return err_set(err, EPROTO, "frame announces %u fds, the limit is %u", f->nfds,
			       PROTO_MAX_FDS);
	return 0;
}

void frame_reader_init(struct frame_reader *fr)
{
	memset(fr, 0, sizeof(*fr));
}

void frame_reader_free(struct frame_reader *fr)
{
	free(fr->buf);
	for (size_t i = 0; i < fr->nfdq; i++)
		close(fr->fdq[i]);
	frame_reader_init(fr);
}

bool frame_reader_partial(const struct frame_reader *fr)
{
	return fr->len > 0;
}

static size_t wanted(const struct frame_reader *fr)
{
	size_t need = READ_CHUNK;

	if (fr->len >= PROTO_HDR_SIZE) {
		uint32_t l;

		memcpy(&l, fr->buf, 4);
		l = le32toh(l);
		if (l <= PROTO_MAX_PAYLOAD && PROTO_HDR_SIZE + (size_t)l > need)
			need = PROTO_HDR_SIZE + (size_t)l;
	}
	return need;
}

static int queue_fds(struct frame_reader *fr, struct msghdr *msg, struct err *err)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;
		int *fds;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		fds = (int *)CMSG_DATA(c);
		for (size_t i = 0; i < n; i++) {
			if (fr->nfdq == FRAME_FDQ_MAX) {
				for (size_t j = i; j < n; j++)
					close(fds[j]);
				return err_set(err, EPROTO, "peer sent more than %d fds",
					       FRAME_FDQ_MAX);
			}
			fr->fdq[fr->nfdq++] = fds[i];
		}
	}
	return 0;
}

int frame_reader_recv(struct frame_reader *fr, int sock, struct err *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PROTO_MAX_FDS)];
		struct cmsghdr align;
	} cmsg;
	size_t need = wanted(fr);
	struct iovec iov;
	struct msghdr msg = {0};
	ssize_t n;
	int r;

	if (fr->cap < need) {
		fr->buf = xrealloc(fr->buf, need);
		fr->cap = need;
	}
	iov.iov_base = fr->buf + fr->len;
	iov.iov_len = fr->cap - fr->len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsg.buf;
	msg.msg_controllen = sizeof(cmsg.buf);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -EAGAIN;
		return err_sys(err, "recvmsg");
	}
	r = queue_fds(fr, &msg, err);
	if (r < 0)
		return r;
	if (msg.msg_flags & MSG_CTRUNC)
		return err_set(err, EPROTO, "fds were truncated (too many in one message)");
	fr->len += (size_t)n;
	return (int)(n > 0 ? (n > 0x7fffffff ? 0x7fffffff : n) : 0);
}

void frame_reader_feed(struct frame_reader *fr, const void *data, size_t len)
{
	if (fr->cap - fr->len < len) {
		fr->cap = fr->len + len;
		fr->buf = xrealloc(fr->buf, fr->cap);
	}
	memcpy(fr->buf + fr->len, data, len);
	fr->len += len;
}

int frame_reader_next(struct frame_reader *fr, struct frame *f, struct err *err)
{
	size_t total;
	int r;

	memset(f, 0, sizeof(*f));
	for (unsigned i = 0; i < PROTO_MAX_FDS; i++)
		f->fds[i] = -1;
	if (fr->len < PROTO_HDR_SIZE)
		return 0;
	r = frame_header_decode(fr->buf, f, err);
	if (r < 0) {
		f->nfds = 0;
		return r;
	}
	total = PROTO_HDR_SIZE + (size_t)f->len;
	if (fr->len < total) {
		f->nfds = 0;
		return 0;
	}
	if (fr->nfdq < f->nfds) {
		unsigned want = f->nfds;

		f->nfds = 0;
		return err_set(err, EPROTO, "frame announces %u fds but %zu arrived", want,
			       fr->nfdq);
	}
	memcpy(f->fds, fr->fdq, f->nfds * sizeof(int));
	fr->nfdq -= f->nfds;
	memmove(fr->fdq, fr->fdq + f->nfds, fr->nfdq * sizeof(int));
	if (fr->len == total && f->len >= STEAL_MIN) {
		f->buf = fr->buf;
		f->payload = f->buf + PROTO_HDR_SIZE;
		fr->buf = NULL;
		fr->len = fr->cap = 0;
		return 1;
	}
	f->buf = xmalloc(f->len ? f->len : 1);
	f->payload = f->buf;
	memcpy(f->buf, fr->buf + PROTO_HDR_SIZE, f->len);
	fr->len -= total;
	memmove(fr->buf, fr->buf + total, fr->len);
	return 1;
}

void frame_writer_init(struct frame_writer *fw)
{
	STAILQ_INIT(&fw->q);
	fw->queued = 0;
}

static void out_frame_free(struct out_frame *of)
{
	for (unsigned i = 0; i < of->nfds; i++)
		if (of->fds[i] >= 0)
			close(of->fds[i]);
	free(of->alloc);
	free(of);
}

void frame_writer_free(struct frame_writer *fw)
{
	struct out_frame *of;

	while ((of = STAILQ_FIRST(&fw->q))) {
		STAILQ_REMOVE_HEAD(&fw->q, link);
		out_frame_free(of);
	}
	fw->queued = 0;
}

struct out_frame *frame_writer_push_buf(struct frame_writer *fw, uint16_t type, uint16_t flags,
					uint32_t id, void *alloc, const uint8_t *payload,
					size_t plen)
{
	struct out_frame *of = xzalloc(sizeof(*of));

	of->alloc = alloc;
	of->payload = payload;
	of->plen = plen;
	frame_header_encode(of->hdr, (uint32_t)plen, type, flags, id, 0);
	STAILQ_INSERT_TAIL(&fw->q, of, link);
	fw->queued += PROTO_HDR_SIZE + plen;
	return of;
}

void frame_writer_push(struct frame_writer *fw, uint16_t type, uint16_t flags, uint32_t id,
		       struct pbuf *pb, const int *fds, unsigned nfds)
{
	struct out_frame *of;

	if (nfds > PROTO_MAX_FDS)
		abort(); /* a programming error, never peer input */
	of = frame_writer_push_buf(fw, type, flags, id, pb ? pb->data : NULL, pb ? pb->data : NULL,
				   pb ? pb->len : 0);
	if (pb)
		pb_init(pb);
	of->nfds = nfds;
	if (nfds) {
		memcpy(of->fds, fds, nfds * sizeof(int));
		frame_header_encode(of->hdr, (uint32_t)of->plen, type, flags, id, nfds);
	}
}

static ssize_t send_some(int sock, struct out_frame *of)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PROTO_MAX_FDS)];
		struct cmsghdr align;
	} cmsg;
	struct iovec iov[2];
	struct msghdr msg = {0};
	int niov = 0;

	if (of->off < PROTO_HDR_SIZE) {
		iov[niov].iov_base = of->hdr + of->off;
		iov[niov++].iov_len = PROTO_HDR_SIZE - of->off;
		if (of->plen) {
			iov[niov].iov_base = (void *)of->payload;
			iov[niov++].iov_len = of->plen;
		}
	} else {
		iov[niov].iov_base = (void *)(of->payload + (of->off - PROTO_HDR_SIZE));
		iov[niov++].iov_len = of->plen - (of->off - PROTO_HDR_SIZE);
	}
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)niov;
	/* The fds ride with the first byte of the frame. */
	if (of->off == 0 && of->nfds) {
		struct cmsghdr *c;

		memset(cmsg.buf, 0, sizeof(cmsg.buf)); /* no stack bytes go out as padding */
		msg.msg_control = cmsg.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * of->nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * of->nfds);
		memcpy(CMSG_DATA(c), of->fds, sizeof(int) * of->nfds);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

int frame_writer_flush(struct frame_writer *fw, int sock, struct err *err)
{
	struct out_frame *of;

	while ((of = STAILQ_FIRST(&fw->q))) {
		size_t total = PROTO_HDR_SIZE + of->plen;
		ssize_t n = send_some(sock, of);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return err_sys(err, "sendmsg");
		}
		if (n > 0 && of->off == 0) {
			/* sent: the peer holds its own copies now */
			for (unsigned i = 0; i < of->nfds; i++)
				close(of->fds[i]);
			of->nfds = 0;
		}
		of->off += (size_t)n;
		fw->queued -= (size_t)n;
		if (of->off == total) {
			STAILQ_REMOVE_HEAD(&fw->q, link);
			out_frame_free(of);
		}
	}
	return 1;
}
