/* Frames on a Unix stream socket: incremental reading and queued writing, with SCM_RIGHTS. */
#ifndef BERTH_WIRE_H
#define BERTH_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "common/err.h"
#include "field.h"
#include "proto.h"

#define FRAME_FDQ_MAX (4 * PROTO_MAX_FDS)

struct frame {
	uint32_t len;
	uint16_t type, flags;
	uint32_t id;
	uint32_t nfds;
	uint8_t *buf;	  /* owned allocation holding the payload */
	uint8_t *payload; /* len bytes inside buf */
	int fds[PROTO_MAX_FDS];
};

/* Free the payload and close every fd not taken. */
void frame_release(struct frame *f);
/* Take ownership of fd i (returns -1 if absent or already taken). */
int frame_take_fd(struct frame *f, unsigned i);

struct frame_reader {
	uint8_t *buf;
	size_t len, cap;
	int fdq[FRAME_FDQ_MAX];
	size_t nfdq;
};

void frame_reader_init(struct frame_reader *fr);
void frame_reader_free(struct frame_reader *fr);
/* Read what the socket has: >0 bytes, 0 at EOF, -EAGAIN, or another negative code. */
int frame_reader_recv(struct frame_reader *fr, int sock, struct err *err);
/* Append bytes as if they had been received (fuzzing, tests). */
void frame_reader_feed(struct frame_reader *fr, const void *data, size_t len);
/* 1: *f holds the next complete frame; 0: need more; <0: bad stream (close it). */
int frame_reader_next(struct frame_reader *fr, struct frame *f, struct err *err);
/* True when part of a frame has been read. */
bool frame_reader_partial(const struct frame_reader *fr);

/* Encode a header into 16 bytes. */
void frame_header_encode(uint8_t out[PROTO_HDR_SIZE], uint32_t len, uint16_t type, uint16_t flags,
			 uint32_t id, uint32_t nfds);
/* Decode and check a header (size limit, flags, fd count). */
int frame_header_decode(const uint8_t in[PROTO_HDR_SIZE], struct frame *f, struct err *err);

struct out_frame {
	STAILQ_ENTRY(out_frame) link;
	uint8_t hdr[PROTO_HDR_SIZE];
	void *alloc;		/* what to free once sent */
	const uint8_t *payload; /* plen bytes, usually alloc itself */
	size_t plen, off;
	int fds[PROTO_MAX_FDS];
	unsigned nfds;
};

struct frame_writer {
	STAILQ_HEAD(, out_frame) q;
	size_t queued;
};

void frame_writer_init(struct frame_writer *fw);
void frame_writer_free(struct frame_writer *fw);
/*
 * Queue a frame. The payload of pb (may be NULL) and the fds are taken over:
 * pb is left empty, the fds are closed once sent (or on free).
 */
void frame_writer_push(struct frame_writer *fw, uint16_t type, uint16_t flags, uint32_t id,
		       struct pbuf *pb, const int *fds, unsigned nfds);
/* Queue a frame whose payload lies inside alloc (taken over and freed once sent). */
struct out_frame *frame_writer_push_buf(struct frame_writer *fw, uint16_t type, uint16_t flags,
					uint32_t id, void *alloc, const uint8_t *payload,
					size_t plen);
/* 1: queue empty; 0: the socket would block; <0: error (peer gone). */
int frame_writer_flush(struct frame_writer *fw, int sock, struct err *err);
static inline bool frame_writer_empty(const struct frame_writer *fw)
{
	return STAILQ_EMPTY(&fw->q);
}

#endif
