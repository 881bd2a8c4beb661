/* Container names: Docker's rules for given ones, "adjective_noun" for the others. */
#include "config.h"

#include <stdlib.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "common/xalloc.h"
#include "containerd.h"

static const char *const adjectives[] = {
    "agile",  "bold",  "brave",	  "bright", "calm",   "clever", "cosmic", "crisp",
    "daring", "eager", "fancy",	  "fierce", "gentle", "happy",	"hardy",  "humble",
    "jolly",  "keen",  "kind",	  "lively", "loyal",  "lucid",	"merry",  "mighty",
    "nimble", "noble", "patient", "plucky", "proud",  "quiet",	"quirky", "rapid",
    "serene", "sharp", "shiny",	  "sleepy", "smart",  "snappy", "solid",  "steady",
    "stoic",  "sunny", "swift",	  "tender", "tidy",   "upbeat", "vivid",  "wise",
};

/* Sailors, navigators and harbour folk. */
static const char *const nouns[] = {
    "anchor", "beacon",	   "bosun", "buoy",    "capstan", "compass",  "corsair",   "cutter",
    "dinghy", "dory",	   "ferry", "frigate", "galley",  "harbor",   "helm",	   "hull",
    "jetty",  "keel",	   "ketch", "lantern", "mariner", "mast",     "navigator", "oar",
    "pilot",  "pier",	   "quay",  "rudder",  "sail",	  "schooner", "sextant",   "skiff",
    "sloop",  "spinnaker", "stern", "tide",    "tiller",  "trawler",  "voyager",   "wharf",
};

#define N(a) (sizeof(a) / sizeof(a[0]))

char *name_generate(struct cd *cd)
{
	for (int tries = 0;; tries++) {
		char *name = xasprintf("%s_%s", adjectives[arc4random_uniform(N(adjectives))],
				       nouns[arc4random_uniform(N(nouns))]);

		/* after many collisions, a number makes it unique (as Docker does) */
		if (tries > 10) {
			char *numbered = xasprintf("%s%u", name, arc4random_uniform(100000));

			free(name);
			name = numbered;
		}
		if (!ctr_by_name(cd, name))
			return name;
		free(name);
	}
}

bool host_name_valid(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && s[0] != '-' && s[0] != '.' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

int name_check(const char *name, struct err *err)
{
	const char *p = name[0] == '/' ? name + 1 : name;
	size_t n = strlen(p);

	if (n < 2 || n > 128 || !isalnum((unsigned char)p[0]))
		goto bad;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && !strchr("_.-", p[i]))
			goto bad;
	return 0;
bad:
	return err_set(err, EINVAL,
		       "invalid container name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, "
		       "2 to 128 characters",
		       name);
}
