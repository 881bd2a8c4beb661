/* Long work (load, save, import) runs in a forked worker; the loop relays its progress. */
#ifndef BERTH_JOB_H
#define BERTH_JOB_H

#include "imaged.h"
#include "store.h"

/* What a worker writes on its pipe, one message per line. */
void job_progress(int out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last message: the result document, or the error. Then the worker exits. */
void __attribute__((noreturn)) job_done(int out, const char *json);
void __attribute__((noreturn)) job_fail(int out, const struct err *err);

/*
 * Start berth-imaged-worker KIND (load, save, import) with args (JSON); fd
 * (may be -1) is given to it and closed here. Progress goes to the client
 * as STREAM frames with TAG_LINE; the result ends the stream (END with
 * TAG_JSON) or is an ERROR.
 */
int job_start(struct conn *c, const struct frame *req, const struct store *s, int fd,
	      const char *kind, const char *args, struct err *err);
/* The client went away: its jobs are stopped. */
void job_conn_closed(struct conn *c);

#endif
