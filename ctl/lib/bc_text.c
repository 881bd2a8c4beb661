/*
 * libberthclient: the words Docker shows for things (a container's status,
 * an age), which the CLI prints and the API returns alike.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bc_text.h"

static const char *text_get(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));

	return s ? s : "";
}

long format_age_seconds(const char *rfc3339)
{
	struct tm tm = {0};

	if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) || tm.tm_year < 1)
		return -1;
	return (long)(time(NULL) - timegm(&tm));
}

void format_age(char *buf, size_t len, long d)
{
	if (d < 1)
		snprintf(buf, len, "Less than a second");
	else if (d < 60)
		snprintf(buf, len, "%ld second%s", d, d == 1 ? "" : "s");
	else if (d < 3600)
		snprintf(buf, len, "%ld minute%s", d / 60, d / 60 == 1 ? "" : "s");
	else if (d < 86400)
		snprintf(buf, len, "%ld hour%s", d / 3600, d / 3600 == 1 ? "" : "s");
	else if (d < 86400 * 30)
		snprintf(buf, len, "%ld day%s", d / 86400, d / 86400 == 1 ? "" : "s");
	else if (d < 86400 * 365)
		snprintf(buf, len, "%ld month%s", d / (86400 * 30),
			 d / (86400 * 30) == 1 ? "" : "s");
	else
		snprintf(buf, len, "%ld year%s", d / (86400 * 365),
			 d / (86400 * 365) == 1 ? "" : "s");
}

void bc_ctr_status(const cJSON *c, char *buf, size_t len)
{
	const char *state = text_get(c, "State");
	char age[64];

	if (!strcmp(state, "running") || !strcmp(state, "paused")) {
		const char *health = cJSON_GetStringValue(cJSON_GetObjectItem(c, "Health"));
		char h[32] = "";

		/* as Docker: (health: starting), (healthy), (unhealthy) */
		if (health)
			snprintf(h, sizeof(h),
				 !strcmp(health, "starting") ? " (health: %s)" : " (%s)", health);
		format_age(age, sizeof(age), format_age_seconds(text_get(c, "StartedAt")));
		snprintf(buf, len, "Up %s%s%s", age, !strcmp(state, "paused") ? " (Paused)" : "",
			 h);
	} else if (!strcmp(state, "exited") || !strcmp(state, "restarting")) {
		long s = format_age_seconds(text_get(c, "FinishedAt"));

		format_age(age, sizeof(age), s);
		snprintf(buf, len, "%s (%d) %s ago",
			 !strcmp(state, "exited") ? "Exited" : "Restarting",
			 (int)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "ExitCode")),
			 s < 0 ? "?" : age);
	} else {
		snprintf(buf, len, "%c%s", state[0] - 32, state + 1);
	}
}
