/* Docker's json-file log format, written by the shim, with size-bounded rotation. */
#ifndef BERTH_LOGFILE_H
#define BERTH_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define LOG_PARTIAL_MAX (16 * 1024) /* a line longer than this is split, as Docker does */

struct logfile {
	char *path; /* NULL: no log at all (the none driver), every write dropped */
	int fd;
	uint64_t size, max_size; /* max_size 0: no rotation */
	int max_files;
	uint64_t dropped;	       /* bytes lost to a failing disk */
	char line[2][LOG_PARTIAL_MAX]; /* unfinished line per stream (stdout, stderr) */
	size_t linelen[2];
	char *out; /* formatted records waiting for one write */
	size_t outlen, outcap;
};

/* path NULL: a log that keeps nothing (--log-driver none). */
int logfile_open(struct logfile *l, const char *path, uint64_t max_size, int max_files,
		 struct err *err);
/* Log data of stream 0 (stdout) or 1 (stderr). Never fails: losses are counted. */
void logfile_write(struct logfile *l, int stream, const char *buf, size_t len);
/* Write what is buffered (and unfinished lines, when final), then fsync. */
void logfile_flush(struct logfile *l, bool final);
void logfile_close(struct logfile *l);

#endif
