#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

static int err_vset(struct err *e, int code, const char *suffix, const char *fmt, va_list ap)
{
	char *msg;

	if (code <= 0)
		code = EIO;
	if (!e)
		return -code;
	msg = xvasprintf(fmt, ap);
	if (suffix) {
		char *full = xasprintf("%s: %s", msg, suffix);
		free(msg);
		msg = full;
	}
	free(e->msg);
	e->msg = msg;
	e->code = code;
	return -code;
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = err_vset(e, code, NULL, fmt, ap);
	va_end(ap);
	return r;
}

int err_sys(struct err *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = err_vset(e, saved, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
	return r;
}

int err_wrap(struct err *e, const char *fmt, ...)
{
	char *ctx, *full;
	va_list ap;

	if (!e)
		return -EIO;
	if (e->code == 0)
		e->code = EIO;
	va_start(ap, fmt);
	ctx = xvasprintf(fmt, ap);
	va_end(ap);
	full = e->msg ? xasprintf("%s: %s", ctx, e->msg) : ctx;
	if (full != ctx)
		free(ctx);
	free(e->msg);
	e->msg = full;
	return -e->code;
}

void err_clear(struct err *e)
{
	if (!e)
		return;
	free(e->msg);
	e->msg = NULL;
	e->code = 0;
}

void err_move(struct err *dst, struct err *src)
{
	err_clear(dst);
	*dst = *src;
	src->msg = NULL;
	src->code = 0;
}

const char *err_msg(const struct err *e)
{
	if (!e || !e->code)
		return "no error";
	return e->msg ? e->msg : strerror(e->code);
}
