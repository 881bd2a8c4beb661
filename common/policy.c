/*
 * The policy file (berth-policy(5)) and the checks made with it.
 *
 * {"default": "restricted",
 *  "profiles": {"NAME": {rule: value, ...}},
 *  "identities": [{"user"|"uid"|"group"|"gid"|"subject": ..., "profile": "NAME"}]}
 *
 * The first identity that matches gives the profile; else root gets
 * "unrestricted" and everyone else the default. Without a file every
 * non-root member of group berth gets the built-in "restricted".
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "bindspec.h"
#include "cleanup.h"
#include "id.h"
#include "log.h"
#include "policy.h"
#include "reference.h"
#include "xalloc.h"

enum id_kind { ID_UID, ID_USER, ID_GID, ID_GROUP, ID_SUBJECT };

struct policy_identity {
	enum id_kind kind;
	unsigned long num;
	char *text;
	char *profile;
};

static const char *const id_keys[] = {"uid", "user", "gid", "group", "subject"};

static const struct {
	const char *name;
	unsigned bit;
} ns_names[] = {
    {"pid", POLICY_NS_PID}, {"net", POLICY_NS_NET},	  {"ipc", POLICY_NS_IPC},
    {"uts", POLICY_NS_UTS}, {"userns", POLICY_NS_USERNS}, {"cgroup", POLICY_NS_CGROUP},
};

/* Docker's default capabilities: adding one of them changes nothing. */
static const char *const default_caps[] = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",	 "FOWNER",	     "MKNOD",	   "NET_RAW", "SETGID",
    "SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE",
    NULL,
};

/* ---- profiles ---- */

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static void profile_clear(struct policy_profile *pr)
{
	free(pr->name);
	strv_free(pr->capabilities);
	strv_free(pr->devices);
	strv_free(pr->sysctls);
	strv_free(pr->images);
	for (size_t i = 0; i < pr->nbinds; i++)
		free(pr->binds[i].prefix);
	free(pr->binds);
	memset(pr, 0, sizeof(*pr));
}

static const struct policy_profile builtin[] = {
    {.name = "unrestricted", .unrestricted = true},
    {.name = "restricted"},
    {.name = "read-only", .read_only = true},
};
#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

static int strv_parse(const cJSON *v, const char *what, char ***out, struct err *err)
{
	const cJSON *x;
	size_t n = 0;

	if (!cJSON_IsArray(v))
		return err_set(err, EINVAL, "%s must be an array of strings", what);
	*out = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof(char *));
	cJSON_ArrayForEach (x, v) {
		if (!cJSON_IsString(x) || !*x->valuestring)
			return err_set(err, EINVAL, "%s must be an array of strings", what);
		(*out)[n++] = xstrdup(x->valuestring);
	}
	return 0;
}

static char *cap_norm(const char *s)
{
	char *c = xstrdup(strncasecmp(s, "CAP_", 4) ? s : s + 4);

	for (char *p = c; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return c;
}

static int binds_parse(const cJSON *v, const char *what, struct policy_profile *pr, struct err *err)
{
	const cJSON *x;

	if (!cJSON_IsArray(v))
		return err_set(err, EINVAL, "%s must be an array", what);
	pr->binds = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof(*pr->binds));
	cJSON_ArrayForEach (x, v) {
		const char *src = cJSON_GetStringValue(x);
		const cJSON *ro = NULL;

		if (cJSON_IsObject(x)) {
			src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "source"));
			ro = cJSON_GetObjectItemCaseSensitive(x, "read_only");
			if (ro && !cJSON_IsBool(ro))
				return err_set(err, EINVAL, "%s: read_only must be true or false",
					       what);
		}
		if (!src || src[0] != '/')
			return err_set(err, EINVAL,
				       "%s: each entry is an absolute path or {\"source\": PATH, "
				       "\"read_only\": BOOL}",
				       what);
		pr->binds[pr->nbinds].prefix = xstrdup(src);
		/* a trailing slash would miss the directory itself */
		for (size_t n = strlen(src); n > 1 && pr->binds[pr->nbinds].prefix[n - 1] == '/';
		     n--)
			pr->binds[pr->nbinds].prefix[n - 1] = '\0';
		pr->binds[pr->nbinds++].read_only = cJSON_IsTrue(ro);
	}
	return 0;
}

static int bool_rule(const cJSON *v, const char *what, bool *out, struct err *err)
{
	if (!cJSON_IsBool(v))
		return err_set(err, EINVAL, "%s must be true or false", what);
	*out = cJSON_IsTrue(v);
	return 0;
}

static int ns_parse(const cJSON *v, const char *what, unsigned *out, struct err *err)
{
	const cJSON *x;

	if (!cJSON_IsArray(v))
		return err_set(err, EINVAL, "%s must be an array", what);
	cJSON_ArrayForEach (x, v) {
		const char *s = cJSON_GetStringValue(x);
		size_t i;

		for (i = 0; s && i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
			if (!strcmp(s, ns_names[i].name))
				break;
		if (!s || i == sizeof(ns_names) / sizeof(ns_names[0]))
			return err_set(err, EINVAL,
				       "%s: '%s' is not one of pid, net, ipc, uts, userns, cgroup",
				       what, s ? s : "(not a string)");
		*out |= ns_names[i].bit;
	}
	return 0;
}

static int rule_parse(struct policy_profile *pr, const cJSON *v, struct err *err)
{
	cleanup_free char *what = xasprintf("profile %s: %s", pr->name, v->string);
	const char *k = v->string;

	if (!strcmp(k, "unrestricted"))
		return bool_rule(v, what, &pr->unrestricted, err);
	if (!strcmp(k, "read_only"))
		return bool_rule(v, what, &pr->read_only, err);
	if (!strcmp(k, "privileged"))
		return bool_rule(v, what, &pr->privileged, err);
	if (!strcmp(k, "unconfined"))
		return bool_rule(v, what, &pr->unconfined, err);
	if (!strcmp(k, "privileged_ports"))
		return bool_rule(v, what, &pr->privileged_ports, err);
	if (!strcmp(k, "host_resources"))
		return bool_rule(v, what, &pr->host_resources, err);
	if (!strcmp(k, "host_namespaces"))
		return ns_parse(v, what, &pr->host_ns, err);
	if (!strcmp(k, "bind_mounts"))
		return binds_parse(v, what, pr, err);
	if (!strcmp(k, "devices"))
		return strv_parse(v, what, &pr->devices, err);
	if (!strcmp(k, "sysctls"))
		return strv_parse(v, what, &pr->sysctls, err);
	if (!strcmp(k, "images"))
		return strv_parse(v, what, &pr->images, err);
	if (!strcmp(k, "capabilities")) {
		if (strv_parse(v, what, &pr->capabilities, err) < 0)
			return -err->code;
		for (char **c = pr->capabilities; *c; c++) {
			char *n = cap_norm(*c);

			free(*c);
			*c = n;
		}
		return 0;
	}
	return err_set(err, EINVAL, "profile %s: unknown rule '%s'", pr->name, k);
}

static int profiles_parse(struct policy *p, const cJSON *doc, struct err *err)
{
	const cJSON *profs = cJSON_GetObjectItemCaseSensitive(doc, "profiles"), *o, *v;

	if (profs && !cJSON_IsObject(profs))
		return err_set(err, EINVAL, "\"profiles\" must be an object");
	p->profiles = xcalloc((size_t)cJSON_GetArraySize(profs) + 1, sizeof(*p->profiles));
	cJSON_ArrayForEach (o, profs) {
		struct policy_profile *pr = &p->profiles[p->nprofiles];

		for (size_t i = 0; i < NBUILTIN; i++)
			if (!strcmp(o->string, builtin[i].name))
				return err_set(err, EINVAL,
					       "profile %s is built in: give yours another name",
					       o->string);
		if (!cJSON_IsObject(o))
			return err_set(err, EINVAL, "profile %s must be an object", o->string);
		pr->name = xstrdup(o->string);
		p->nprofiles++;
		cJSON_ArrayForEach (v, o)
			if (rule_parse(pr, v, err) < 0)
				return -err->code;
	}
	return 0;
}

static const struct policy_profile *profile_named(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->nprofiles; i++)
		if (!strcmp(p->profiles[i].name, name))
			return &p->profiles[i];
	for (size_t i = 0; i < NBUILTIN; i++)
		if (!strcmp(builtin[i].name, name))
			return &builtin[i];
	return NULL;
}

static int identity_parse(struct policy *p, const cJSON *o, size_t idx, struct err *err)
{
	struct policy_identity *id = &p->ids[p->nids];
	const char *prof = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "profile"));
	int found = 0;

	if (!cJSON_IsObject(o) || !prof)
		return err_set(err, EINVAL, "identities[%zu] needs a \"profile\"", idx);
	if (!profile_named(p, prof))
		return err_set(err, EINVAL, "identities[%zu]: no profile named '%s'", idx, prof);
	for (size_t k = 0; k < sizeof(id_keys) / sizeof(id_keys[0]); k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, id_keys[k]);

		if (!v)
			continue;
		found++;
		id->kind = (enum id_kind)k;
		if (k == ID_UID || k == ID_GID) {
			if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > UINT_MAX)
				return err_set(err, EINVAL, "identities[%zu]: %s must be a number",
					       idx, id_keys[k]);
			id->num = (unsigned long)v->valuedouble;
		} else {
			if (!cJSON_IsString(v) || !*v->valuestring)
				return err_set(err, EINVAL, "identities[%zu]: %s must be a string",
					       idx, id_keys[k]);
			id->text = xstrdup(v->valuestring);
		}
	}
	if (found != 1)
		return err_set(
		    err, EINVAL,
		    "identities[%zu] needs exactly one of uid, user, gid, group, subject", idx);
	if (cJSON_GetArraySize(o) != 2)
		return err_set(err, EINVAL, "identities[%zu] has a key other than %s and profile",
			       idx, id_keys[id->kind]);
	id->profile = xstrdup(prof);
	p->nids++;
	return 0;
}

static int doc_parse(struct policy *p, const cJSON *doc, struct err *err)
{
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(doc, "identities"), *o, *k;
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(doc, "default");
	size_t i = 0;

	if (!cJSON_IsObject(doc))
		return err_set(err, EINVAL, "the policy must be a JSON object");
	cJSON_ArrayForEach (k, doc)
		if (strcmp(k->string, "profiles") && strcmp(k->string, "identities") &&
		    strcmp(k->string, "default"))
			return err_set(err, EINVAL,
				       "unknown key '%s' (profiles, identities, default)",
				       k->string);
	if (profiles_parse(p, doc, err) < 0)
		return -err->code;
	if (ids && !cJSON_IsArray(ids))
		return err_set(err, EINVAL, "\"identities\" must be an array");
	p->ids = xcalloc((size_t)cJSON_GetArraySize(ids) + 1, sizeof(*p->ids));
	cJSON_ArrayForEach (o, ids)
		if (identity_parse(p, o, i++, err) < 0)
			return -err->code;
	if (def && (!cJSON_IsString(def) || !profile_named(p, def->valuestring)))
		return err_set(err, EINVAL, "\"default\" must name a profile");
	p->default_profile = xstrdup(def ? def->valuestring : "restricted");
	return 0;
}

/* ---- the file ---- */

static void policy_clear(struct policy *p)
{
	for (size_t i = 0; i < p->nprofiles; i++)
		profile_clear(&p->profiles[i]);
	free(p->profiles);
	for (size_t i = 0; i < p->nids; i++) {
		free(p->ids[i].text);
		free(p->ids[i].profile);
	}
	free(p->ids);
	free(p->error);
	free(p->default_profile);
	p->profiles = NULL;
	p->ids = NULL;
	p->nprofiles = p->nids = 0;
	p->error = p->default_profile = NULL;
}

void policy_init(struct policy *p, const char *path)
{
	memset(p, 0, sizeof(*p));
	p->path = xstrdup(path);
}

void policy_free(struct policy *p)
{
	policy_clear(p);
	free(p->path);
	p->path = NULL;
}

static void policy_load(struct policy *p, const struct stat *st)
{
	struct err err = ERR_INIT;
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *doc = NULL;
	cleanup_fclose FILE *f = NULL;
	size_t n;

	policy_clear(p);
	p->exists = st != NULL;
	if (!st) {
		p->default_profile = xstrdup("restricted");
		log_info("policy: %s does not exist: root is unrestricted, the other members of "
			 "the group get the built-in profile 'restricted'",
			 p->path);
		return;
	}
	if (st->st_size > 1024 * 1024) {
		err_set(&err, EFBIG, "larger than 1 MiB");
		goto bad;
	}
	text = xzalloc((size_t)st->st_size + 1);
	f = fopen(p->path, "re");
	if (!f || (n = fread(text, 1, (size_t)st->st_size, f)) != (size_t)st->st_size) {
		err_sys(&err, "read");
		goto bad;
	}
	doc = cJSON_ParseWithLength(text, n);
	if (!doc) {
		err_set(&err, EINVAL, "not valid JSON");
		goto bad;
	}
	if (doc_parse(p, doc, &err) < 0)
		goto bad;
	log_info("policy: %s loaded: %zu profiles, %zu identities, default '%s'", p->path,
		 p->nprofiles, p->nids, p->default_profile);
	return;
bad:
	policy_clear(p);
	p->error = xasprintf("policy file %s is invalid: %s", p->path, err_msg(&err));
	log_warnx("%s: requests of everyone but root are refused until it is fixed", p->error);
	err_clear(&err);
}

void policy_refresh(struct policy *p)
{
	struct stat st;
	bool exists = stat(p->path, &st) == 0;

	if (p->loaded && exists == p->exists &&
	    (!exists ||
	     (st.st_dev == p->dev && st.st_ino == p->ino && st.st_size == p->size &&
	      st.st_mtim.tv_sec == p->mtime.tv_sec && st.st_mtim.tv_nsec == p->mtime.tv_nsec)))
		return;
	p->loaded = true;
	if (exists) {
		p->dev = st.st_dev;
		p->ino = st.st_ino;
		p->size = st.st_size;
		p->mtime = st.st_mtim;
	}
	policy_load(p, exists ? &st : NULL);
}

/* ---- identities ---- */

/* The user's name and primary group, from /etc/passwd itself (no NSS in the daemons). */
static char *user_of(uid_t uid, gid_t *gid)
{
	cleanup_fclose FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;

	while (f && (pw = fgetpwent(f)))
		if (pw->pw_uid == uid) {
			*gid = pw->pw_gid;
			return xstrdup(pw->pw_name);
		}
	return NULL;
}

static bool in_group(const char *user, gid_t primary,
		     bool (*want)(const struct group *, const void *), const void *arg)
{
	cleanup_fclose FILE *f = fopen("/etc/group", "re");
	struct group *g;

	while (f && (g = fgetgrent(f))) {
		if (!want(g, arg))
			continue;
		if (g->gr_gid == primary)
			return true;
		for (char **m = g->gr_mem; user && m && *m; m++)
			if (!strcmp(*m, user))
				return true;
	}
	return false;
}

static bool group_named(const struct group *g, const void *name)
{
	return !strcmp(g->gr_name, name);
}

static bool group_numbered(const struct group *g, const void *gid)
{
	return g->gr_gid == *(const gid_t *)gid;
}

static bool id_matches(const struct policy_identity *id, const struct policy_who *who,
		       const char *user, gid_t primary)
{
	bool unix_peer = who->uid != (uid_t)-1;
	gid_t gid = (gid_t)id->num;

	switch (id->kind) {
	case ID_SUBJECT:
		return who->subject && !strcmp(who->subject, id->text);
	case ID_UID:
		return unix_peer && who->uid == (uid_t)id->num;
	case ID_USER:
		return unix_peer && user && !strcmp(user, id->text);
	case ID_GID:
		return unix_peer &&
		       (primary == gid || in_group(user, primary, group_numbered, &gid));
	case ID_GROUP:
		return unix_peer && in_group(user, primary, group_named, id->text);
	}
	return false;
}

const char *policy_who_name(struct policy_who *who)
{
	const char *via = who->via_apid ? " via berth-apid" : "";

	if (who->resolved)
		return who->name;
	who->resolved = true;
	who->gid = (gid_t)-1;
	if (who->uid != (uid_t)-1)
		who->user = user_of(who->uid, &who->gid);
	if (who->uid == (uid_t)-1)
		who->name = xasprintf("TLS client '%s'%s", who->subject ? who->subject : "?", via);
	else if (who->user)
		who->name = xasprintf("uid %u (%s)%s", (unsigned)who->uid, who->user, via);
	else
		who->name = xasprintf("uid %u%s", (unsigned)who->uid, via);
	return who->name;
}

void policy_who_free(struct policy_who *who)
{
	free(who->subject);
	free(who->user);
	free(who->name);
	memset(who, 0, sizeof(*who));
}

const struct policy_profile *policy_profile_for(struct policy *p, struct policy_who *who,
						struct err *err)
{
	policy_who_name(who);
	for (size_t i = 0; !p->error && i < p->nids; i++)
		if (id_matches(&p->ids[i], who, who->user, who->gid))
			return profile_named(p, p->ids[i].profile);
	if (who->uid == 0)
		return &builtin[0];
	if (p->error) {
		err_set(err, ERR_DENIED, "%s", p->error);
		return NULL;
	}
	return profile_named(p, p->default_profile);
}

/* ---- the checks ---- */

static int deny(const struct policy_profile *pr, const char *rule, struct err *err, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

static int deny(const struct policy_profile *pr, const char *rule, struct err *err, const char *fmt,
		...)
{
	cleanup_free char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	return err_set(err, ERR_DENIED, "%s is not allowed: rule %s of profile %s", what, rule,
		       pr->name);
}

int policy_check_write(const struct policy_profile *pr, const char *what, struct err *err)
{
	if (pr->read_only && !pr->unrestricted)
		return deny(pr, "read_only", err, "%s", what);
	return 0;
}

static bool strv_has(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

static const cJSON *item(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int check_caps(const struct policy_profile *pr, const cJSON *hc, struct err *err)
{
	const cJSON *c;

	cJSON_ArrayForEach (c, item(hc, "CapAdd")) {
		cleanup_free char *n = cap_norm(cJSON_GetStringValue(c) ?: "");

		if (strv_has((char *const *)default_caps, n) || strv_has(pr->capabilities, n) ||
		    strv_has(pr->capabilities, "ALL"))
			continue;
		return deny(pr, "capabilities", err, "--cap-add %s", n);
	}
	return 0;
}

static int check_namespaces(const struct policy_profile *pr, const cJSON *hc, struct err *err)
{
	static const struct {
		const char *key, *flag;
		unsigned bit;
	} modes[] = {
	    {"NetworkMode", "--network", POLICY_NS_NET},
	    {"PidMode", "--pid", POLICY_NS_PID},
	    {"IpcMode", "--ipc", POLICY_NS_IPC},
	    {"UTSMode", "--uts", POLICY_NS_UTS},
	    {"UsernsMode", "--userns", POLICY_NS_USERNS},
	    {"CgroupnsMode", "--cgroupns", POLICY_NS_CGROUP},
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *m = cJSON_GetStringValue(item(hc, modes[i].key));

		if (m && !strcmp(m, "host") && !(pr->host_ns & modes[i].bit))
			return deny(pr, "host_namespaces", err, "%s host", modes[i].flag);
	}
	return 0;
}

/* The source as the kernel will find it: symlinks and .. resolved. */
static int bind_allowed(const struct policy_profile *pr, const char *src, bool ro, struct err *err)
{
	cleanup_free char *real = realpath(src, NULL);
	const char *path = real ? real : src;

	for (size_t i = 0; i < pr->nbinds; i++) {
		const char *pfx = pr->binds[i].prefix;
		size_t n = strlen(pfx);

		if (strcmp(pfx, "/") && (strncmp(path, pfx, n) || (path[n] && path[n] != '/')))
			continue;
		if (pr->binds[i].read_only && !ro)
			return deny(pr, "bind_mounts", err,
				    "a writable bind mount of %s (%s is allowed read-only)", path,
				    pfx);
		return 0;
	}
	return deny(pr, "bind_mounts", err, "a bind mount of %s", path);
}

/* Binds are every host path a container mounts: containerd turns HostConfig.Mounts into them
 * before the policy looks (containerd/mounts.c). */
static int check_binds(const struct policy_profile *pr, const cJSON *hc, struct err *err)
{
	const cJSON *b;

	cJSON_ArrayForEach (b, item(hc, "Binds")) {
		struct bind_spec bs;
		int rc;

		if (bind_spec_parse(cJSON_GetStringValue(b), &bs, err) < 0)
			return -err->code;
		/* a named volume is no host path */
		rc = bs.volume ? 0 : bind_allowed(pr, bs.src, bs.ro, err);
		bind_spec_free(&bs);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_devices(const struct policy_profile *pr, const cJSON *hc, struct err *err)
{
	const cJSON *d;

	cJSON_ArrayForEach (d, item(hc, "Devices")) {
		const char *host = cJSON_GetStringValue(item(d, "PathOnHost")) ?: "";

		if (!strv_has(pr->devices, host) && !strv_has(pr->devices, "*"))
			return deny(pr, "devices", err, "--device %s", host);
	}
	if (cJSON_GetArraySize(item(hc, "DeviceCgroupRules")) > 0 && !strv_has(pr->devices, "*"))
		return deny(pr, "devices", err, "--device-cgroup-rule");
	return 0;
}

/* What would let a container outlive the host's own processes under memory pressure, or starve
 * them. */
static int check_host_resources(const struct policy_profile *pr, const cJSON *hc, struct err *err)
{
	const cJSON *adj = item(hc, "OomScoreAdj"), *rt = item(hc, "CpuRealtimeRuntime");

	if (pr->host_resources)
		return 0;
	if (cJSON_IsNumber(adj) && adj->valuedouble < 0)
		return deny(pr, "host_resources", err, "--oom-score-adj %d", adj->valueint);
	if (cJSON_IsTrue(item(hc, "OomKillDisable")))
		return deny(pr, "host_resources", err, "--oom-kill-disable");
	if (cJSON_IsNumber(rt) && rt->valuedouble > 0)
		return deny(pr, "host_resources", err, "--cpu-rt-runtime");
	return 0;
}

static int check_confinement(const struct policy_profile *pr, const cJSON *hc, struct err *err)
{
	const cJSON *o;

	if (pr->unconfined)
		return 0;
	cJSON_ArrayForEach (o, item(hc, "SecurityOpt")) {
		const char *s = cJSON_GetStringValue(o) ?: "";
		size_t n = strcspn(s, "=:");

		if ((n == 7 && !strncmp(s, "seccomp", 7)) ||
		    (n == 8 && !strncmp(s, "apparmor", 8))) {
			if (!strcmp(s + n + (s[n] ? 1 : 0), "unconfined"))
				return deny(pr, "unconfined", err, "--security-opt %s", s);
			/* a profile of one's own can allow anything */
			if (n == 7)
				return deny(pr, "unconfined", err,
					    "--security-opt seccomp with a profile of your own");
		}
		if (!strcmp(s, "label=disable") || !strcmp(s, "label:disable"))
			return deny(pr, "unconfined", err, "--security-opt %s", s);
	}
	/* lists of one's own replace the masked and read-only /proc and /sys paths */
	if (cJSON_IsArray(item(hc, "MaskedPaths")) || cJSON_IsArray(item(hc, "ReadonlyPaths")))
		return deny(pr, "unconfined", err,
			    "--security-opt systempaths=unconfined (masked or read-only paths of "
			    "your own)");
	return 0;
}

static bool sysctl_allowed(const struct policy_profile *pr, const char *k)
{
	for (char **s = pr->sysctls; s && *s; s++) {
		size_t n = strlen(*s);

		if (!strcmp(*s, k) || (n && (*s)[n - 1] == '*' && !strncmp(*s, k, n - 1)))
			return true;
	}
	return false;
}

static int check_sysctls(const struct policy_profile *pr, const cJSON *hc, struct err *err)
{
	const cJSON *s;

	cJSON_ArrayForEach (s, item(hc, "Sysctls"))
		if (!sysctl_allowed(pr, s->string))
			return deny(pr, "sysctls", err, "--sysctl %s", s->string);
	return 0;
}

static int check_ports(const struct policy_profile *pr, const cJSON *hc, struct err *err)
{
	const cJSON *port, *b;

	if (pr->privileged_ports)
		return 0;
	cJSON_ArrayForEach (port, item(hc, "PortBindings"))
		cJSON_ArrayForEach (b, port) {
			const char *hp = cJSON_GetStringValue(item(b, "HostPort"));
			long n = hp ? strtol(hp, NULL, 10) : 0;

			if (n > 0 && n < 1024)
				return deny(pr, "privileged_ports", err,
					    "publishing host port %ld (below 1024)", n);
		}
	return 0;
}

int policy_check_container(const struct policy_profile *pr, const cJSON *req, struct err *err)
{
	const cJSON *hc = item(req, "HostConfig");

	if (pr->unrestricted)
		return 0;
	if (pr->read_only)
		return policy_check_write(pr, "container.create", err);
	if (cJSON_IsTrue(item(hc, "Privileged")) && !pr->privileged)
		return deny(pr, "privileged", err, "--privileged");
	if (check_caps(pr, hc, err) < 0 || check_namespaces(pr, hc, err) < 0 ||
	    check_binds(pr, hc, err) < 0 || check_devices(pr, hc, err) < 0 ||
	    check_confinement(pr, hc, err) < 0 || check_sysctls(pr, hc, err) < 0 ||
	    check_ports(pr, hc, err) < 0 || check_host_resources(pr, hc, err) < 0)
		return -err->code;
	return policy_check_image(pr, cJSON_GetStringValue(item(item(req, "Config"), "Image")),
				  err);
}

int policy_check_exec(const struct policy_profile *pr, const cJSON *req, struct err *err)
{
	if (pr->unrestricted)
		return 0;
	if (cJSON_IsTrue(item(req, "Privileged")) && !pr->privileged)
		return deny(pr, "privileged", err, "exec --privileged");
	return 0;
}

/* sha256:..., or 12 to 64 hex digits: an image id, which names no registry. */
static bool looks_like_id(const char *ref)
{
	size_t n;

	if (!strncmp(ref, "sha256:", 7))
		return true;
	n = strspn(ref, "0123456789abcdef");
	return !ref[n] && n >= 12 && n <= 64;
}

char *policy_image_canonical(const char *ref)
{
	struct err err = ERR_INIT;
	struct ref r;
	char *full;

	if (looks_like_id(ref))
		return NULL;
	if (ref_parse(ref, &r, &err) < 0) {
		err_clear(&err);
		return NULL;
	}
	full = ref_full(&r);
	ref_free(&r);
	return full;
}

int policy_check_image(const struct policy_profile *pr, const char *ref, struct err *err)
{
	cleanup_free char *full = NULL;

	if (pr->unrestricted || !pr->images)
		return 0;
	full = ref ? policy_image_canonical(ref) : NULL;
	if (!full)
		return deny(pr, "images", err,
			    "image '%s' (only references can be checked against the allowed "
			    "registries, not ids)",
			    ref ? ref : "");
	for (char **p = pr->images; *p; p++)
		if (!strncmp(full, *p, strlen(*p)))
			return 0;
	return deny(pr, "images", err, "image %s", full);
}

/* ---- copy grants ---- */

#define GRANT_SECONDS 60

static cJSON *grant_read(const char *path)
{
	struct err err = ERR_INIT;
	char *text = NULL;
	cJSON *o;

	if (read_file_at(AT_FDCWD, path, 4096, &text, NULL, &err) < 0) {
		err_clear(&err);
		return NULL;
	}
	o = cJSON_Parse(text);
	free(text);
	return o;
}

/* Grants past their minute go when a new one is made. */
static void grants_sweep(const char *dir, time_t now)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		cleanup_free char *path = NULL;
		cJSON *o;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		o = grant_read(path);
		if (!o || cJSON_GetNumberValue(cJSON_GetObjectItem(o, "expires")) < (double)now)
			unlink(path);
		cJSON_Delete(o);
	}
	if (d)
		closedir(d);
}

int policy_grant_write(const char *run, const char *ctr_id, const struct policy_who *who,
		       char token[65], struct err *err)
{
	cleanup_free char *dir = xasprintf("%s/" POLICY_GRANT_DIR, run), *path = NULL, *text = NULL;
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	time_t now = time(NULL);

	grants_sweep(dir, now);
	id_new(token);
	path = xasprintf("%s/%s", dir, token);
	cJSON_AddStringToObject(o, "id", ctr_id);
	cJSON_AddNumberToObject(o, "uid", who->uid == (uid_t)-1 ? -1 : (double)who->uid);
	if (who->subject)
		cJSON_AddStringToObject(o, "subject", who->subject);
	cJSON_AddNumberToObject(o, "expires", (double)(now + GRANT_SECONDS));
	text = cJSON_PrintUnformatted(o);
	return atomic_write_file(path, text, strlen(text), 0600, err);
}

int policy_grant_check(const char *run, const char *token, const char *ctr_id,
		       const struct policy_who *who, struct err *err)
{
	cleanup_free char *path = NULL;
	cleanup_cjson cJSON *o = NULL;
	const char *subject;
	double uid;

	if (!token || strlen(token) != 64 || strspn(token, "0123456789abcdef") != 64)
		return err_set(err, ERR_DENIED,
			       "copying a container needs berth-containerd's leave first "
			       "(container.mount)");
	path = xasprintf("%s/" POLICY_GRANT_DIR "/%s", run, token);
	o = grant_read(path);
	subject = cJSON_GetStringValue(cJSON_GetObjectItem(o, "subject"));
	uid = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "uid"));
	if (!o || strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")) ?: "", ctr_id) ||
	    uid != (who->uid == (uid_t)-1 ? -1 : (double)who->uid) ||
	    ((subject || who->subject) &&
	     (!subject || !who->subject || strcmp(subject, who->subject))) ||
	    cJSON_GetNumberValue(cJSON_GetObjectItem(o, "expires")) < (double)time(NULL))
		return err_set(err, ERR_DENIED,
			       "no leave from berth-containerd to copy container %.12s for this "
			       "requester (it lasts a minute)",
			       ctr_id);
	return 0;
}
