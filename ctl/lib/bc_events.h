/*
 * libberthclient: containerd's event stream (the recent ones replayed from
 * a time on, then live), with Docker's event filters: container (name or
 * id prefix), event (action), type, image, label (key or key=value); the
 * values of one key match when any does, and every key given must match.
 */
#ifndef BERTH_BC_EVENTS_H
#define BERTH_BC_EVENTS_H

#include "bc_filter.h"
#include "bclient.h"

/* Adds "key=value" (kept by reference) after checking the key; -1 with err naming it. */
int bc_event_filter_add(struct bc_filters *fs, const char *kv, struct err *err);
bool bc_event_match(const struct bc_filters *fs, const cJSON *e);

struct bc_events {
	long long since_ns, until_ns; /* 0: from now, for ever */
	const struct bc_filters *filters;
	/* an event that passed: non-zero stops the stream */
	int (*on_event)(const cJSON *e, void *arg);
	/* optional, about once a second while nothing comes: non-zero stops it */
	int (*idle)(void *arg);
	void *arg;
};
/* Until until_ns, a callback's stop, or an error. */
/* --since, since=: a time as bc_parse_time reads it; 0, the epoch, replays every event kept. */
int bc_events_since(struct bc_events *o, const char *s);
int bc_events(const struct berth_paths *p, const struct bc_events *o, struct err *err);

#endif
