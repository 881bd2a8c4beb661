/* libberthclient: containerd's events, filtered as Docker does (bc_events.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "bc_events.h"
#include "common/cleanup.h"
#include "proto/tags.h"

static const char *const event_keys[] = {"container", "event",	 "type",  "image",
					 "label",     "network", "volume"};
#define NKEYS (sizeof(event_keys) / sizeof(event_keys[0]))

static const char *sget(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, k)) ?: "";
}

static int key_of(const char *kv)
{
	size_t n = strcspn(kv, "=");

	for (size_t k = 0; k < NKEYS; k++)
		if (strlen(event_keys[k]) == n && !strncmp(kv, event_keys[k], n))
			return (int)k;
	return -1;
}

int bc_event_filter_add(struct bc_filters *fs, const char *kv, struct err *err)
{
	if (!strchr(kv, '=') || key_of(kv) < 0)
		return err_set(
		    err, BC_BADARG,
		    "invalid filter '%s': container=, event=, type=, image=, label=, network= or "
		    "volume=",
		    kv);
	if (fs->n == BC_FILTER_MAX)
		return err_set(err, BC_BADARG, "more than %d filters", BC_FILTER_MAX);
	fs->f[fs->n++] = kv;
	return 0;
}

static bool one_match(const cJSON *e, int k, const char *v)
{
	const cJSON *attrs = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "Actor"), "Attributes");
	const char *eq;

	switch (k) {
	case 0:
		return !strcmp(sget(attrs, "name"), v) ||
		       (*v && !strncmp(sget(e, "id"), v, strlen(v)));
	case 1:
		return !strcmp(sget(e, "Action"), v);
	case 2:
		return !strcmp(sget(e, "Type"), v);
	case 3:
		return !strcmp(sget(attrs, "image"), v) || !strcmp(sget(e, "from"), v) ||
		       (!strcmp(sget(e, "Type"), "image") &&
			(!strcmp(sget(attrs, "name"), v) || !strcmp(sget(e, "id"), v)));
	case 5:
	case 6: /* a network's or volume's events, by name or id (prefix) */
		return !strcmp(sget(e, "Type"), k == 5 ? "network" : "volume") &&
		       (!strcmp(sget(attrs, "name"), v) ||
			(*v && !strncmp(sget(e, "id"), v, strlen(v))));
	default:
		eq = strchr(v, '=');
		if (!eq)
			return cJSON_GetObjectItem(attrs, v) != NULL;
		{
			cleanup_free char *key = strndup(v, (size_t)(eq - v));

			return key && !strcmp(sget(attrs, key), eq + 1);
		}
	}
}

/* Audit records (berth-policy(5)) are shown only to who asks for them: type=audit. */
static bool audit_asked(const struct bc_filters *fs)
{
	for (unsigned i = 0; fs && i < fs->n; i++)
		if (!strcmp(fs->f[i], "type=audit"))
			return true;
	return false;
}

bool bc_event_match(const struct bc_filters *fs, const cJSON *e)
{
	if (!strcmp(sget(e, "Type"), "audit") && !audit_asked(fs))
		return false;
	for (size_t k = 0; fs && k < NKEYS; k++) {
		bool asked = false, hit = false;

		for (unsigned i = 0; i < fs->n; i++) {
			if (key_of(fs->f[i]) != (int)k)
				continue;
			asked = true;
			hit = hit || one_match(e, (int)k, strchr(fs->f[i], '=') + 1);
		}
		if (asked && !hit)
			return false;
	}
	return true;
}

static long long now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (long long)now.tv_sec * 1000000000ll + now.tv_nsec;
}

/* The wait for the next event: a second, or what is left until until_ns. */
static unsigned wait_ms(const struct bc_events *o)
{
	long long left;

	if (!o->until_ns)
		return o->idle ? 1000 : 0;
	left = (o->until_ns - now_ns()) / 1000000;
	/* past events already sent still arrive: a moment for them */
	left = (left > 0 ? left : 0) + 200;
	return o->idle && left > 1000 ? 1000 : (unsigned)left;
}

int bc_events_since(struct bc_events *o, const char *s)
{
	if (bc_parse_time(s, &o->since_ns) < 0)
		return -1;
	if (o->since_ns <= 0)
		o->since_ns = 1; /* 0 would mean "from now" */
	return 0;
}

int bc_events(const struct berth_paths *p, const struct bc_events *o, struct err *err)
{
	struct client c;
	struct pbuf pb;
	uint32_t id;
	int r = 0;

	if (bc_connect(p, DAEMON_CONTAINERD, &c, err) < 0)
		return -err->code;
	pb_init(&pb);
	if (o->since_ns)
		pb_put_u64(&pb, TAG_UPTIME, (uint64_t)o->since_ns);
	if (client_send(&c, MSG_EVENTS, &pb, NULL, 0, &id, err) < 0) {
		r = -err->code;
		goto out;
	}
	for (;;) {
		cleanup_free char *text = NULL;
		cleanup_cjson cJSON *e = NULL;
		unsigned ms = wait_ms(o);
		struct frame f;

		if (ms && client_set_timeout(&c, ms, err) < 0) {
			r = -err->code;
			break;
		}
		if (client_recv(&c, &f, err) < 0) {
			if (err->code != EAGAIN && err->code != ETIMEDOUT &&
			    err->code != EWOULDBLOCK) {
				r = -err->code;
				break;
			}
			err_clear(err);
			if (o->until_ns && now_ns() >= o->until_ns)
				break;
			if (o->idle && o->idle(o->arg))
				break;
			continue;
		}
		p_get_str(f.payload, f.len, TAG_JSON, &text, err);
		frame_release(&f);
		err_clear(err);
		if (!text || !(e = cJSON_Parse(text)))
			continue;
		if (o->until_ns &&
		    cJSON_GetNumberValue(cJSON_GetObjectItem(e, "timeNano")) >= (double)o->until_ns)
			break;
		if (!bc_event_match(o->filters, e))
			continue;
		if (o->on_event(e, o->arg))
			break;
	}
out:
	client_close(&c);
	return r;
}
