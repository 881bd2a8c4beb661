/*
 * Container events, in Docker's shape ({"Type", "Action", "Actor": {"ID",
 * "Attributes"}, "time", "timeNano", ...}): kept in a ring of the last
 * EVENTS_KEPT for --since, and streamed to every subscriber of EVENTS.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "proto/tags.h"

struct event_sub {
	struct conn *c;
	uint16_t type;
	uint32_t id;
	LIST_ENTRY(event_sub) link;
};

static void send_event(struct event_sub *s, const char *text)
{
	struct frame req = {.type = s->type, .id = s->id};
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text);
	conn_stream(s->c, &req, &pb, false);
}

void event_emit(struct cd *cd, struct ctr *k, const char *action, const char *key,
		const char *value)
{
	const char *image = cJSON_GetStringValue(ctr_cfg(k, "Config", "Image"));
	cJSON *attrs, *e = event_new("container", action, k->id, &attrs);
	const cJSON *l;

	cJSON_AddStringToObject(e, "from", image ? image : "");
	cJSON_AddStringToObject(attrs, "name", k->name);
	cJSON_AddStringToObject(attrs, "image", image ? image : "");
	/* the container's labels, as Docker's events have them (label= filters) */
	cJSON_ArrayForEach (l, ctr_cfg(k, "Config", "Labels"))
		if (cJSON_IsString(l) && !cJSON_GetObjectItem(attrs, l->string))
			cJSON_AddStringToObject(attrs, l->string, l->valuestring);
	if (key)
		cJSON_AddStringToObject(attrs, key, value);
	event_publish(cd, e);
}

/* Send e to every subscriber and keep it in the ring (taken over). */
void event_publish(struct cd *cd, cJSON *e)
{
	struct event_sub *s;
	char *text = cJSON_PrintUnformatted(e);

	LIST_FOREACH (s, &cd->subs, link)
		send_event(s, text);
	free(text);
	if (cd->ring[cd->ring_head])
		cJSON_Delete(cd->ring[cd->ring_head]);
	cd->ring[cd->ring_head] = e;
	cd->ring_head = (cd->ring_head + 1) % EVENTS_KEPT;
}

void event_emit_code(struct cd *cd, struct ctr *k, const char *action, const char *key, long value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", value);
	event_emit(cd, k, action, key, buf);
}

int h_EVENTS(struct conn *c, struct frame *f, struct err *err)
{
	struct cd *cd = cd_of(c);
	struct event_sub *s = xzalloc(sizeof(*s));
	uint64_t since = 0;

	p_get_u64(f->payload, f->len, TAG_UPTIME, &since, err);
	err_clear(err);
	s->c = c;
	s->type = f->type;
	s->id = f->id;
	/* what happened since the time asked, oldest first */
	if (since)
		for (unsigned i = 0; i < EVENTS_KEPT; i++) {
			cJSON *e = cd->ring[(cd->ring_head + i) % EVENTS_KEPT];
			char *text;

			if (!e || cJSON_GetNumberValue(cJSON_GetObjectItem(e, "timeNano")) <
				      (double)since)
				continue;
			text = cJSON_PrintUnformatted(e);
			send_event(s, text);
			free(text);
		}
	LIST_INSERT_HEAD(&cd->subs, s, link);
	return 0;
}

/* What a daemon may hand over: its audit records, and the Docker events of its own objects. */
static bool relayed_type(const struct conn *c, const char *type)
{
	return !strcmp(type, "audit") || (!strcmp(type, "image") && c->role == ROLE_IMAGED) ||
	       (!strcmp(type, "network") && c->role == ROLE_NETD);
}

/* imaged's and netd's audit records and events: containerd's to keep and give out. */
int h_AUDIT_RECORD(struct conn *c, struct frame *f, struct err *err)
{
	cleanup_free char *text = NULL;
	struct pbuf pb;
	cJSON *e;

	if (p_get_str(f->payload, f->len, TAG_JSON, &text, err) <= 0 ||
	    !cJSON_IsObject(e = cJSON_Parse(text)))
		return err_set(err, EINVAL, "audit.record needs the event as a JSON object");
	if (!relayed_type(c, cJSON_GetStringValue(cJSON_GetObjectItem(e, "Type")) ?: "")) {
		cJSON_Delete(e);
		return err_set(err, EINVAL,
			       "audit.record carries audit records, and image events from imaged, "
			       "network events from netd");
	}
	event_publish(cd_of(c), e);
	pb_init(&pb);
	conn_reply(c, f, &pb, NULL, 0);
	return 0;
}

void events_conn_closed(struct cd *cd, struct conn *c)
{
	struct event_sub *s, *next;

	for (s = LIST_FIRST(&cd->subs); s; s = next) {
		next = LIST_NEXT(s, link);
		if (s->c == c) {
			LIST_REMOVE(s, link);
			free(s);
		}
	}
}

void events_free(struct cd *cd)
{
	struct event_sub *s;

	while ((s = LIST_FIRST(&cd->subs))) {
		LIST_REMOVE(s, link);
		free(s);
	}
	for (unsigned i = 0; i < EVENTS_KEPT; i++)
		if (cd->ring[i])
			cJSON_Delete(cd->ring[i]);
}
