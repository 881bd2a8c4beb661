/*
 * Pull from a registry (OCI distribution spec), in berth-imaged-worker:
 * the manifest by content negotiation (an index picks this host's
 * platform; schema 1 is refused), then the config and every layer not in
 * the store yet, each streamed into the store and checked against its
 * digest before it is kept, then unpacked and recorded like a load. Plain
 * HTTP only for registries on 127.0.0.0/8 and localhost; HTTPS otherwise.
 * Anonymous access, including the Bearer token flow public registries use
 * (Docker Hub); credentials come with login.
 */
#include "config.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "imaged.h"
#include "job.h"
#include "oci.h"
#include "pull.h"
#include "netloop.h"
#include "common/reference.h"
#include "regconf.h"
#include "tokencache.h"
#include "store.h"

#define PULL_MANIFEST_MAX (4u << 20)

static const char *const accept_manifests =
    "Accept: " MT_OCI_INDEX ", " MT_DOCKER_LIST ", " MT_OCI_MANIFEST ", " MT_DOCKER_MANIFEST;

/* One pull's view of its registry: where, which repository, and its token. */
struct reg {
	char *base;
	const char *repo;
	char *auth;    /* "Authorization: Bearer ..." once the registry asked for one */
	char *userpwd; /* "user:password" from berth login, or NULL */
	bool basic;    /* the registry asked for Basic auth: userpwd goes with requests */
	bool basic_refused;
	const char *actions; /* token scope actions: "pull", or "pull,push" */
	struct regconf conf; /* certs.d, insecure, mirrors */
	char *tokens;	     /* the token cache file */
	struct netloop *net; /* every request of the job runs on it */
};

struct mem {
	char *buf;
	size_t len;
	bool too_big;
};

static size_t to_mem(char *p, size_t size, size_t n, void *data)
{
	struct mem *m = data;
	size_t len = size * n;

	if (m->len + len > PULL_MANIFEST_MAX) {
		m->too_big = true;
		return 0;
	}
	m->buf = xrealloc(m->buf, m->len + len + 1);
	memcpy(m->buf + m->len, p, len);
	m->len += len;
	m->buf[m->len] = '\0';
	return len;
}

struct sink {
	struct blob_writer *w;
	struct err *err;
	uint64_t got, want;
	int out;
	const char *short_id;
	uint64_t next_report;
	struct timespec start;
};

static double mb(uint64_t n)
{
	return (double)n / 1e6;
}

static size_t to_blob(char *p, size_t size, size_t n, void *data)
{
	struct sink *k = data;
	size_t len = size * n;

	if (k->want && k->got + len > k->want) {
		err_set(k->err, EIO, "the registry sent more than the %llu bytes announced",
			(unsigned long long)k->want);
		return 0;
	}
	if (bw_write(k->w, p, len, k->err) < 0)
		return 0;
	k->got += len;
	if (k->got >= k->next_report) {
		struct timespec now;
		double secs;

		clock_gettime(CLOCK_MONOTONIC, &now);
		secs = (double)(now.tv_sec - k->start.tv_sec) +
		       (double)(now.tv_nsec - k->start.tv_nsec) / 1e9;
		job_progress(k->out, "%s: Downloading %.1fMB/%.1fMB %.1fMB/s", k->short_id,
			     mb(k->got), mb(k->want), secs > 0 ? mb(k->got) / secs : 0.0);
		k->next_report = k->got + (4u << 20);
	}
	return len;
}

/* The registry's settings, base URL (https; http for loopback and insecure ones) and loop. */
static int reg_open(struct reg *g, const char *domain, struct err *err)
{
	regconf_load(domain, &g->conf);
	g->base = regconf_base_url(domain, &g->conf);
	g->net = net_new(err);
	return g->net ? 0 : -err->code;
}

/* What a struct reg holds; the password is wiped first. */
static void reg_free(struct reg *g)
{
	free(g->base);
	regconf_free(&g->conf);
	free(g->auth);
	free(g->tokens);
	net_free(g->net);
	if (g->userpwd) {
		explicit_bzero(g->userpwd, strlen(g->userpwd));
		free(g->userpwd);
	}
	*g = (struct reg){0};
}

/* A request; to the registry itself (g), with its CA and client certificate. */
static CURL *handle(const struct reg *g, const char *url, struct curl_slist *headers)
{
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	if (g)
		regconf_apply(c, &g->conf);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* blobs are often redirected to storage elsewhere: follow, without credentials */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (headers)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	return c;
}

/* Credentials only for the registry itself: curl drops them on redirects to other hosts. */
static void with_credentials(CURL *c, const struct reg *g, bool always)
{
	if (g->userpwd && (always || g->basic)) {
		curl_easy_setopt(c, CURLOPT_USERPWD, g->userpwd);
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
}

static int http_status(CURL *c, CURLcode rc, const char *what, struct err *err)
{
	long status = 0;

	if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_OPERATION_TIMEDOUT)
		return err_isset(err)
			   ? -err->code
			   : err_set(err, EIO,
				     "%s: the registry stopped sending before the end (%s); "
				     "pull again to resume from what is complete",
				     what, curl_easy_strerror(rc));
	if (rc != CURLE_OK)
		return err_isset(err) ? -err->code
				      : err_set(err, EIO, "%s: %s", what, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 404)
		return err_set(err, ENOENT, "%s: not found in the registry (HTTP 404)", what);
	if (status == 401 || status == 403)
		return err_set(err, EACCES, "%s: the registry refused access (HTTP %ld)", what,
			       status);
	if (status != 200)
		return err_set(err, EIO, "%s: HTTP status %ld", what, status);
	return 0;
}

static size_t discard(char *p, size_t size, size_t n, void *data)
{
	(void)p;
	(void)data;
	return size * n;
}

static size_t keep_challenge(char *line, size_t size, size_t n, void *data)
{
	char **challenge = data;
	size_t len = size * n;

	if (len > 17 && !strncasecmp(line, "WWW-Authenticate:", 17) && !*challenge) {
		*challenge = xstrndup(line + 17, len - 17);
		(*challenge)[strcspn(*challenge, "\r\n")] = '\0';
	}
	return len;
}

/* key="value" out of a Bearer challenge (heap, or NULL). */
static char *challenge_param(const char *ch, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = ch; (p = strstr(p, key)); p += klen) {
		const char *v, *end;

		if ((p != ch && p[-1] != ' ' && p[-1] != ',') || strncmp(p + klen, "=\"", 2))
			continue;
		v = p + klen + 2;
		end = strchr(v, '"');
		return end ? xstrndup(v, (size_t)(end - v)) : NULL;
	}
	return NULL;
}

/* The Bearer token flow, anonymously: the realm gives a token for this repository. */
static int fetch_token(struct reg *g, const char *ch, struct err *err)
{
	cleanup_free char *realm = challenge_param(ch, "realm");
	cleanup_free char *service = challenge_param(ch, "service");
	cleanup_free char *scope = challenge_param(ch, "scope"), *url = NULL;
	cleanup_cjson cJSON *doc = NULL;
	struct mem m = {0};
	char key[DIGEST_STR_LEN + 1];
	const char *tok;
	CURL *c;
	CURLcode rc;
	int r;

	if (!realm || (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7)))
		return err_set(err, EACCES, "the registry's token realm is missing or not http(s)");
	if (!scope || g->actions)
		scope = (free(scope),
			 xasprintf("repository:%s:%s", g->repo, g->actions ? g->actions : "pull"));
	c = curl_easy_init();
	if (!c)
		return err_set(err, ENOMEM, "curl_easy_init failed");
	{
		char *es = curl_easy_escape(c, service ? service : "", 0);
		char *esc = curl_easy_escape(c, scope, 0);

		url = xasprintf("%s?service=%s&scope=%s", realm, es ? es : "", esc ? esc : "");
		curl_free(es);
		curl_free(esc);
	}
	curl_easy_cleanup(c);
	token_key(url, g->userpwd, key);
	{
		char *cached = token_cache_get(g->tokens, key);

		if (cached) {
			g->auth = xasprintf("Authorization: Bearer %s", cached);
			explicit_bzero(cached, strlen(cached));
			free(cached);
			return 0;
		}
	}
	c = handle(g, url, NULL);
	if (!c)
		return err_set(err, ENOMEM, "curl_easy_init failed");
	with_credentials(c, g, true);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_mem);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
	rc = net_perform(g->net, c);
	r = http_status(c, rc, "the registry's token service", err);
	curl_easy_cleanup(c);
	if (r == 0) {
		doc = m.buf ? cJSON_Parse(m.buf) : NULL;
		tok = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "token"));
		if (!tok)
			tok = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "access_token"));
		if (!tok || !*tok || strpbrk(tok, "\r\n")) {
			r = err_set(err, EACCES, "the registry's token service gave no token");
		} else {
			g->auth = xasprintf("Authorization: Bearer %s", tok);
			const cJSON *ttl = cJSON_GetObjectItem(doc, "expires_in");

			token_cache_put(g->tokens, key, tok,
					cJSON_IsNumber(ttl) ? (long)ttl->valuedouble : 0);
		}
	}
	free(m.buf);
	return r;
}

static int ping_once(struct reg *g, struct err *err);

/* What to do about a TLS failure, said with the error. */
static const char *tls_hint(const struct reg *g, CURLcode rc)
{
	if (strncmp(g->base, "https://", 8))
		return "";
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
		return " (its certificate is not trusted: its CA goes in "
		       "certs.d/<host:port>/ca.crt "
		       "under berth's configuration directory)";
	if (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_SSL_CONNECT_ERROR)
		return " (the TLS handshake failed: does the registry want a client certificate? "
		       "certs.d/<host:port>/client.cert and client.key)";
	return "";
}

/* GET /v2/ first, as Docker does: a 401 tells how to authenticate. */
static int ping(struct reg *g, struct err *err)
{
	int r = ping_once(g, err);

	if (r == 0 && g->basic) {
		/* check the credentials now: a clear error before any download */
		r = ping_once(g, err);
		if (r == 0 && g->basic_refused)
			r = err_set(err, EACCES, "registry %s refused the credentials (HTTP 401)",
				    g->base);
	}
	return r;
}

static int ping_once(struct reg *g, struct err *err)
{
	cleanup_free char *url = xasprintf("%s/v2/", g->base);
	cleanup_free char *challenge = NULL;
	CURL *c = handle(g, url, NULL);
	long status = 0;
	CURLcode rc;

	if (!c)
		return err_set(err, ENOMEM, "curl_easy_init failed");
	with_credentials(c, g, false);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_challenge);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &challenge);
	rc = net_perform(g->net, c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		return err_set(err, EIO, "registry %s: %s%s", g->base, curl_easy_strerror(rc),
			       tls_hint(g, rc));
	if (status == 400 && !strncmp(g->base, "http://", 7))
		return err_set(
		    err, EPROTO,
		    "registry %s answered plain HTTP with 400: it may speak TLS only (put "
		    "its CA in certs.d/%s/ca.crt under berth's configuration directory)",
		    g->base, g->base + 7);
	if (status == 401 && challenge && strcasestr(challenge, "bearer"))
		return fetch_token(g, challenge, err);
	if (status == 401 && g->basic) {
		g->basic_refused = true;
		return 0;
	}
	if (status == 401 && g->userpwd) {
		g->basic = true;
		return 0;
	}
	if (status == 401)
		return err_set(err, EACCES,
			       "registry %s wants credentials (HTTP 401): berth login %s", g->base,
			       g->base + (strncmp(g->base, "https://", 8) ? 7 : 8));
	return 0; /* 200, or a registry without the ping: the requests will tell */
}

static struct curl_slist *auth_header(const struct reg *g, struct curl_slist *h)
{
	return g->auth ? curl_slist_append(h, g->auth) : h;
}

/* A manifest (or index) by tag or digest: its bytes and media type. */
static int get_manifest(const struct reg *g, const char *reference, struct mem *m, char **type,
			struct err *err)
{
	const char *repo = g->repo;
	cleanup_free char *url = xasprintf("%s/v2/%s/manifests/%s", g->base, repo, reference);
	cleanup_free char *what = xasprintf(
	    "manifest %s%s%s", repo, strncmp(reference, "sha256:", 7) ? ":" : "@", reference);
	struct curl_slist *h = auth_header(g, curl_slist_append(NULL, accept_manifests));
	CURL *c = handle(g, url, h);
	char *ct = NULL;
	CURLcode rc;
	int r;

	if (!c) {
		curl_slist_free_all(h);
		return err_set(err, ENOMEM, "curl_easy_init failed");
	}
	with_credentials(c, g, false);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_mem);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, m);
	rc = net_perform(g->net, c);
	if (m->too_big)
		r = err_set(err, EFBIG, "%s is over the %u MiB limit", what,
			    PULL_MANIFEST_MAX >> 20);
	else
		r = http_status(c, rc, what, err);
	if (r == 0) {
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		*type = xstrdup(ct ? ct : "");
		(*type)[strcspn(*type, ";")] = '\0';
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return r;
}

/* One blob on its way from the registry into the store. */
struct blob_xfer {
	CURL *c;
	struct curl_slist *h;
	struct blob_writer w;
	struct sink k;
	struct err err;
	char short_id[13];
	const char *digest;
	uint64_t size;
};

/*
 * Start fetching digest on g's loop; done is called at its end. 1 when the
 * blob is in the store already, 0 when it is on its way, < 0 (x->err) when
 * it could not start.
 */
static int blob_start(struct blob_xfer *x, const struct store *s, const struct reg *g,
		      const char *digest, uint64_t size, int out, net_done_cb done, void *data)
{
	cleanup_free char *url = xasprintf("%s/v2/%s/blobs/%s", g->base, g->repo, digest);

	*x = (struct blob_xfer){.err = ERR_INIT, .digest = digest, .size = size};
	snprintf(x->short_id, sizeof(x->short_id), "%.12s", digest + 7);
	if (blob_exists(s, digest)) {
		job_progress(out, "%s: Already exists", x->short_id);
		return 1;
	}
	if (bw_open(s, &x->w, &x->err) < 0)
		return -x->err.code;
	x->k = (struct sink){
	    .w = &x->w, .err = &x->err, .want = size, .out = out, .short_id = x->short_id};
	x->h = auth_header(g, NULL);
	x->c = handle(g, url, x->h);
	if (!x->c) {
		err_set(&x->err, ENOMEM, "curl_easy_init failed");
		goto fail;
	}
	job_progress(out, "%s: Pulling fs layer", x->short_id);
	clock_gettime(CLOCK_MONOTONIC, &x->k.start);
	with_credentials(x->c, g, false);
	curl_easy_setopt(x->c, CURLOPT_WRITEFUNCTION, to_blob);
	curl_easy_setopt(x->c, CURLOPT_WRITEDATA, &x->k);
	/* bigger reads: fewer wakeups of the loop that serves every layer */
	curl_easy_setopt(x->c, CURLOPT_BUFFERSIZE, 256L << 10);
	if (net_start(g->net, x->c, done, data, &x->err) < 0)
		goto fail;
	return 0;
fail:
	if (x->c)
		curl_easy_cleanup(x->c);
	x->c = NULL;
	curl_slist_free_all(x->h);
	x->h = NULL;
	bw_abort(&x->w);
	return -x->err.code;
}

/* The end of x's transfer: the registry's answer and the size checked. */
static int blob_check(struct blob_xfer *x, CURLcode rc)
{
	int r = http_status(x->c, rc, x->short_id, &x->err);

	curl_easy_cleanup(x->c);
	x->c = NULL;
	curl_slist_free_all(x->h);
	x->h = NULL;
	if (r == 0 && x->size && x->k.got != x->size)
		r = err_set(&x->err, EIO, "blob %s: %llu bytes instead of %llu", x->digest,
			    (unsigned long long)x->k.got, (unsigned long long)x->size);
	if (r < 0)
		bw_abort(&x->w);
	return r;
}

/* A checked blob kept in the store (synced: not on the loop while others download). */
static int blob_keep(struct blob_xfer *x, const struct store *s, int out)
{
	char kept[DIGEST_STR_LEN + 1];

	/* the digest is checked as it is kept: a tampered blob never enters the store */
	if (bw_commit(s, &x->w, x->digest, kept, &x->err) < 0)
		return err_wrap(&x->err, "blob %s", x->digest);
	job_progress(out, "%s: Download complete", x->short_id);
	return 0;
}

/* A transfer stopped before its end (another one failed): nothing of it is kept. */
static void blob_cancel(struct blob_xfer *x, struct netloop *n)
{
	if (!x->c)
		return;
	net_cancel(n, x->c);
	curl_easy_cleanup(x->c);
	x->c = NULL;
	curl_slist_free_all(x->h);
	x->h = NULL;
	bw_abort(&x->w);
	err_clear(&x->err);
}

/* One blob, waited for (the config). */
static int get_blob(const struct store *s, const struct reg *g, const char *digest, uint64_t size,
		    int out, struct err *err)
{
	struct blob_xfer x;
	struct net_wait w = {0};
	int r = blob_start(&x, s, g, digest, size, out, net_wait_done, &w);

	if (r == 0) {
		r = blob_check(&x, net_wait(g->net, &w));
		if (r == 0)
			r = blob_keep(&x, s, out);
	}
	if (r < 0) {
		err_clear(err);
		*err = x.err;
		return r;
	}
	return 0;
}

/*
 * Layers come in parallel (PULL_PARALLEL transfers at once on the loop, as
 * Docker's default), each unpacked into its snapshot by the loop's thread
 * pool as soon as it is complete and verified, while the others still
 * download: a layer's directory does not depend on the others.
 */
#define PULL_PARALLEL 3

struct layer_job {
	struct layer_fetch *f;
	size_t i;
	bool had; /* its blob was here: "Already exists" said once */
	struct blob_xfer x;
	uv_work_t work;
	int rc;
	struct err err;
};

struct layer_fetch {
	const struct store *s;
	const struct reg *g;
	const struct image *img;
	int out;
	struct layer_job *jobs;
	size_t next, fetching, unpacking;
	int rc;
	struct err err;
};

static uint64_t desc_size(const cJSON *m, const char *digest);

/* The first failure is the one told; the others are dropped. */
static void fetch_fail(struct layer_fetch *f, int r, struct err *e)
{
	if (f->rc) {
		err_clear(e);
		return;
	}
	f->rc = r;
	f->err = *e;
	*e = (struct err)ERR_INIT;
}

static void unpack_work(uv_work_t *w)
{
	struct layer_job *j = w->data;
	const struct layer_fetch *f = j->f;

	if (j->x.w.tmp && blob_keep(&j->x, f->s, f->out) < 0) {
		j->rc = -j->x.err.code;
		j->err = j->x.err;
		j->x.err = (struct err)ERR_INIT;
		return;
	}
	j->rc = snapshot_ensure_layer(f->s, f->img, j->i, j->had ? -1 : f->out, &j->err);
}

static void unpack_done(uv_work_t *w, int status)
{
	struct layer_job *j = w->data;

	(void)status;
	j->f->unpacking--;
	if (j->rc < 0)
		fetch_fail(j->f, j->rc, &j->err);
}

static void unpack_queue(struct layer_job *j)
{
	j->work.data = j;
	j->f->unpacking++;
	uv_queue_work(net_uv(j->f->g->net), &j->work, unpack_work, unpack_done);
}

static void fetch_more(struct layer_fetch *f);

static void layer_fetched(CURL *c, CURLcode rc, void *data)
{
	struct layer_job *j = data;
	struct layer_fetch *f = j->f;
	int r;

	(void)c;
	f->fetching--;
	r = blob_check(&j->x, rc);
	if (r < 0)
		fetch_fail(f, r, &j->x.err);
	else
		unpack_queue(j);
	fetch_more(f);
}

static void fetch_more(struct layer_fetch *f)
{
	while (!f->rc && f->fetching < PULL_PARALLEL && f->next < f->img->nlayers) {
		struct layer_job *j = &f->jobs[f->next];
		const char *digest = f->img->layers[f->next];
		int r;

		*j = (struct layer_job){.f = f, .i = f->next++, .err = ERR_INIT};
		j->had = blob_exists(f->s, digest);
		r = blob_start(&j->x, f->s, f->g, digest, desc_size(f->img->manifest, digest),
			       f->out, layer_fetched, j);
		if (r == 1)
			unpack_queue(j);
		else if (r == 0)
			f->fetching++;
		else
			fetch_fail(f, r, &j->x.err);
	}
}

static int fetch_layers(const struct store *s, const struct reg *g, const struct image *img,
			int out, struct err *err)
{
	struct layer_fetch f = {.s = s, .g = g, .img = img, .out = out, .err = ERR_INIT};

	f.jobs = xcalloc(img->nlayers ? img->nlayers : 1, sizeof(*f.jobs));
	fetch_more(&f);
	while (f.fetching || f.unpacking) {
		if (f.rc && f.fetching) {
			/* one failed: the others stop; unpacks under way end on their own */
			for (size_t i = 0; i < f.next; i++)
				blob_cancel(&f.jobs[i].x, g->net);
			f.fetching = 0;
			continue;
		}
		net_run_once(g->net);
	}
	free(f.jobs);
	if (f.rc) {
		err_clear(err);
		*err = f.err;
		return f.rc;
	}
	return 0;
}

static uint64_t desc_size(const cJSON *m, const char *digest)
{
	const cJSON *d;

	if (!strcmp(cJSON_GetStringValue(
			cJSON_GetObjectItem(cJSON_GetObjectItem(m, "config"), "digest"))
			?: "",
		    digest))
		return (uint64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(m, "config"), "size"));
	cJSON_ArrayForEach (d, cJSON_GetObjectItem(m, "layers"))
		if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(d, "digest")) ?: "", digest))
			return (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(d, "size"));
	return 0;
}

/* "user:password" from the base64 of berth login's config, or NULL. */
static char *decode_auth(const char *b64)
{
	size_t n = b64 ? strlen(b64) : 0;
	unsigned char *out;
	int len;

	if (!n || n > 4096)
		return NULL;
	out = xzalloc(n + 1);
	len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (len <= 0 || !memchr(out, ':', (size_t)len)) {
		free(out);
		return NULL;
	}
	/* the padding decodes as trailing NULs: the string ends at the first */
	return (char *)out;
}

/* The image's own platform must be the one asked for (an index already picked it). */
static int check_platform(const struct image *img, const char *platform, struct err *err)
{
	const char *os = cJSON_GetStringValue(cJSON_GetObjectItem(img->config, "os"));
	const char *arch = cJSON_GetStringValue(cJSON_GetObjectItem(img->config, "architecture"));
	char want[64];

	snprintf(want, sizeof(want), "%s/%s", os ? os : "?", arch ? arch : "?");
	if (platform && *platform && strncmp(platform, want, strlen(want)))
		return err_set(err, ENOENT, "the image is %s, not the %s asked for", want,
			       platform);
	return 0;
}

static int pull(const struct store *s, const char *name, const char *auth, const char *platform,
		int out, char mdigest[DIGEST_STR_LEN + 1], char **full, struct err *err)
{
	struct ref r;
	struct mem m = {0};
	struct reg g = {0};
	cleanup_free char *type = NULL;
	struct oci_manifest man = {0};
	const char *reference;
	bool mirrored = false;
	int rc;

	if (ref_parse(name, &r, err) < 0)
		return -err->code;
	*full = ref_full(&r);
	if (reg_open(&g, r.domain, err) < 0) {
		reg_free(&g);
		ref_free(&r);
		return -err->code;
	}
	g.tokens = xasprintf("%s/tokens.json", s->dir);
	g.repo = r.path;
	g.userpwd = decode_auth(auth);
	reference = r.digest ? r.digest : r.tag;
	rc = -1;
	/* docker.io: its mirrors first, the registry itself when none has the image */
	for (size_t i = 0; rc != 0 && i < g.conf.nmirrors; i++) {
		char *official = g.base;
		struct err e = ERR_INIT;

		g.base = xstrdup(g.conf.mirrors[i]);
		rc = ping(&g, &e);
		if (rc == 0)
			rc = get_manifest(&g, reference, &m, &type, &e);
		if (rc == 0) {
			mirrored = true;
			free(official);
			break;
		}
		err_clear(&e);
		free(m.buf);
		m = (struct mem){0};
		free(type);
		type = NULL;
		free(g.auth);
		g.auth = NULL;
		g.basic = g.basic_refused = false;
		free(g.base);
		g.base = official;
	}
	if (rc != 0) {
		rc = ping(&g, err);
		if (rc == 0)
			rc = get_manifest(&g, reference, &m, &type, err);
	}
	/* only once the registry answered, as Docker: a pull failing before has no output */
	if (rc == 0)
		job_progress(out, "%s: Pulling from %s", r.tag ? r.tag : r.digest, r.path);
	if (rc == 0 && mirrored)
		job_progress(out, "%s: from the mirror %s", r.tag ? r.tag : r.digest, g.base);
	if (rc == 0 && (!strcmp(type, MT_OCI_INDEX) || !strcmp(type, MT_DOCKER_LIST))) {
		cleanup_cjson cJSON *index = cJSON_Parse(m.buf);
		const char *pick = NULL;

		free(m.buf);
		m = (struct mem){0};
		free(type);
		type = NULL;
		rc = index ? oci_index_pick_platform(index, platform, &pick, err)
			   : err_set(err, EINVAL, "the registry's index is not JSON");
		if (rc == 0)
			rc = get_manifest(&g, pick, &m, &type, err);
	}
	if (rc == 0 && strstr(type, "distribution.manifest.v1"))
		rc = err_set(
		    err, ENOTSUP,
		    "%s is a Docker schema 1 image, which berth does not pull: push it again "
		    "with a current client",
		    name);
	if (rc == 0 && blob_put(s, m.buf, m.len, mdigest, err) < 0)
		rc = -err->code;
	if (rc == 0 && r.digest && strcmp(mdigest, r.digest) &&
	    !strstr(type ? type : "", "index") && !strstr(type ? type : "", "list"))
		rc = err_set(err, EIO, "the manifest's digest is %s, not the %s asked for", mdigest,
			     r.digest);
	if (rc == 0)
		rc = oci_manifest_parse(m.buf, m.len, &man, err);
	if (rc == 0)
		rc = get_blob(s, &g, man.config_digest, desc_size(man.doc, man.config_digest), out,
			      err);
	if (rc == 0) {
		struct image img;

		rc = image_open(s, mdigest, &img, err);
		if (rc == 0) {
			rc = check_platform(&img, platform, err);
			if (rc == 0)
				rc = fetch_layers(s, &g, &img, out, err);
			image_free(&img);
		}
	}
	if (rc == 0)
		job_progress(out, "Digest: %s", mdigest);
	cJSON_Delete(man.doc);
	free(man.layers);
	free(m.buf);
	reg_free(&g);
	ref_free(&r);
	return rc;
}

/* The job's arguments come on fd (a pipe): credentials never show in a command line. */
static cJSON *read_args(int fd)
{
	char buf[8192];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return cJSON_Parse(buf);
}

/* GET /v2/<repo>/tags/list: the repository's tags, for pull --all-tags. */
static int list_tags(const char *name, const char *auth, cJSON **tags, struct err *err)
{
	struct ref r;
	struct reg g = {0};
	struct mem m = {0};
	cleanup_free char *url = NULL;
	cleanup_cjson cJSON *doc = NULL;
	struct curl_slist *h = NULL;
	CURL *c;
	int rc;

	if (ref_parse(name, &r, err) < 0)
		return -err->code;
	rc = reg_open(&g, r.domain, err);
	g.repo = r.path;
	g.userpwd = decode_auth(auth);
	url = xasprintf("%s/v2/%s/tags/list", g.base, g.repo);
	if (rc == 0)
		rc = ping(&g, err);
	if (rc == 0) {
		h = auth_header(&g, NULL);
		c = handle(&g, url, h);
		with_credentials(c, &g, false);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_mem);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
		rc = http_status(c, net_perform(g.net, c), "tags list", err);
		curl_easy_cleanup(c);
		curl_slist_free_all(h);
	}
	if (rc == 0) {
		doc = m.buf ? cJSON_Parse(m.buf) : NULL;
		if (!cJSON_IsArray(cJSON_GetObjectItem(doc, "tags")))
			rc = err_set(err, EINVAL,
				     "the registry's tag list is not {\"tags\": [...]}");
		else
			*tags = cJSON_DetachItemFromObject(doc, "tags");
	}
	free(m.buf);
	reg_free(&g);
	ref_free(&r);
	return rc;
}

/* One image: pulled, recorded under its name, reported. */
static int pull_one(const struct store *s, const char *name, const cJSON *args, int out,
		    cJSON *result, struct err *err)
{
	cleanup_cjson cJSON *loaded = cJSON_CreateArray();
	cleanup_free char *full = NULL;
	char mdigest[DIGEST_STR_LEN + 1];
	char *names[1];

	if (pull(s, name, cJSON_GetStringValue(cJSON_GetObjectItem(args, "auth")),
		 cJSON_GetStringValue(cJSON_GetObjectItem(args, "platform")), out, mdigest, &full,
		 err) < 0)
		return -err->code;
	names[0] = full;
	if (load_finish_image(s, -1, mdigest, names, 1, loaded, err) < 0)
		return -err->code;
	job_progress(out, "Status: Downloaded image for %s", name);
	cJSON_DeleteItemFromObject(result, "pulled");
	cJSON_DeleteItemFromObject(result, "digest");
	cJSON_AddStringToObject(result, "pulled", name);
	cJSON_AddStringToObject(result, "digest", mdigest);
	return 0;
}

void pull_run(const struct store *s, int fd, int out, void *arg)
{
	/* held until this worker exits: no gc while we store blobs */
	int ingest = ingest_lock(s, false, NULL);
	struct err err = ERR_INIT;
	cleanup_cjson cJSON *result = cJSON_CreateObject();
	cleanup_cjson cJSON *args = read_args(fd);
	cleanup_free char *text = NULL;
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(args, "ref"));

	(void)arg;
	(void)ingest;
	if (!name) {
		err_set(&err, EINVAL, "malformed pull arguments");
		job_fail(out, &err);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (cJSON_IsTrue(cJSON_GetObjectItem(args, "all"))) {
		cleanup_cjson cJSON *tags = NULL;
		const cJSON *t;
		struct ref r;

		if (list_tags(name, cJSON_GetStringValue(cJSON_GetObjectItem(args, "auth")), &tags,
			      &err) < 0 ||
		    ref_parse(name, &r, &err) < 0)
			job_fail(out, &err);
		cJSON_ArrayForEach (t, tags) {
			cleanup_free char *one =
			    xasprintf("%s/%s:%s", r.domain, r.path, cJSON_GetStringValue(t) ?: "");

			if (pull_one(s, one, args, out, result, &err) < 0) {
				ref_free(&r);
				job_fail(out, &err);
			}
		}
		ref_free(&r);
	} else if (pull_one(s, name, args, out, result, &err) < 0) {
		job_fail(out, &err);
	}
	text = cJSON_PrintUnformatted(result);
	job_done(out, text);
}

void login_run(const struct store *s, int fd, int out, void *arg)
{
	cleanup_cjson cJSON *args = read_args(fd);
	const char *registry = cJSON_GetStringValue(cJSON_GetObjectItem(args, "registry"));
	struct err err = ERR_INIT;
	struct reg g = {0};
	int r;

	(void)s;
	(void)arg;
	if (!registry || strchr(registry, '/')) {
		err_set(&err, EINVAL, "login needs a registry host[:port]");
		job_fail(out, &err);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (reg_open(&g, registry, &err) < 0)
		job_fail(out, &err);
	g.repo = "";
	g.userpwd = decode_auth(cJSON_GetStringValue(cJSON_GetObjectItem(args, "auth")));
	if (!g.userpwd) {
		err_set(&err, EINVAL, "login needs a user name and a password");
		job_fail(out, &err);
	}
	r = ping(&g, &err);
	explicit_bzero(g.userpwd, strlen(g.userpwd));
	if (r < 0)
		job_fail(out, &err);
	job_done(out, "{\"status\":\"Login Succeeded\"}");
}

/* ---- push ---- */

struct src {
	FILE *f;
	uint64_t sent, size;
};

static size_t from_file(char *p, size_t size, size_t n, void *data)
{
	struct src *k = data;

	return fread(p, size, n, k->f) * size;
}

static size_t keep_location(char *line, size_t size, size_t n, void *data)
{
	char **loc = data;
	size_t len = size * n;

	if (len > 9 && !strncasecmp(line, "Location:", 9)) {
		const char *v = line + 9;

		while (*v == ' ')
			v++;
		free(*loc);
		*loc = xstrndup(v, len - (size_t)(v - line));
		(*loc)[strcspn(*loc, "\r\n")] = '\0';
	}
	return len;
}

static long status_of(CURL *c)
{
	long status = 0;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* HEAD: is the blob in the repository already? */
static bool blob_there(const struct reg *g, const char *digest)
{
	cleanup_free char *url = xasprintf("%s/v2/%s/blobs/%s", g->base, g->repo, digest);
	struct curl_slist *h = auth_header(g, NULL);
	CURL *c = handle(g, url, h);
	bool there = false;

	if (c) {
		with_credentials(c, g, false);
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		there = net_perform(g->net, c) == CURLE_OK && status_of(c) == 200;
		curl_easy_cleanup(c);
	}
	curl_slist_free_all(h);
	return there;
}

/* POST to the uploads endpoint (with ?mount=&from= to mount): the status and the Location. */
static long start_upload(const struct reg *g, const char *query, char **loc, struct err *err)
{
	cleanup_free char *url =
	    xasprintf("%s/v2/%s/blobs/uploads/%s", g->base, g->repo, query ? query : "");
	struct curl_slist *h = auth_header(g, NULL);
	CURL *c = handle(g, url, h);
	CURLcode rc;
	long status;

	if (!c) {
		curl_slist_free_all(h);
		return err_set(err, ENOMEM, "curl_easy_init failed");
	}
	with_credentials(c, g, false);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_location);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, loc);
	rc = net_perform(g->net, c);
	status = rc == CURLE_OK ? status_of(c) : -1;
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (rc != CURLE_OK)
		return err_set(err, EIO, "start an upload: %s", curl_easy_strerror(rc));
	return status;
}

/* An absolute upload URL from a Location header (it may be relative to the registry). */
static char *upload_url(const struct reg *g, const char *loc, const char *digest)
{
	if (digest)
		return xasprintf("%s%s%cdigest=%s", loc[0] == '/' ? g->base : "", loc,
				 strchr(loc, '?') ? '&' : '?', digest);
	return xasprintf("%s%s", loc[0] == '/' ? g->base : "", loc);
}

/* Send len bytes of f from off: PATCH (a chunk) or PUT (the end). The new Location in *loc. */
static int send_part(const struct reg *g, const char *url, bool patch, FILE *f, uint64_t off,
		     uint64_t len, char **loc, long want, const char *what, struct err *err)
{
	struct curl_slist *h =
	    auth_header(g, curl_slist_append(NULL, "Content-Type: application/octet-stream"));
	struct src k = {.f = f};
	char range[64];
	CURL *c;
	CURLcode rc;
	int r = 0;

	if (fseeko(f, (off_t)off, SEEK_SET) < 0) {
		curl_slist_free_all(h);
		return err_sys(err, "seek in %s", what);
	}
	if (patch && len) {
		snprintf(range, sizeof(range), "Content-Range: %llu-%llu", (unsigned long long)off,
			 (unsigned long long)(off + len - 1));
		h = curl_slist_append(h, range);
	}
	c = handle(g, url, h);
	with_credentials(c, g, false);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	if (patch)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
	curl_easy_setopt(c, CURLOPT_READFUNCTION, from_file);
	curl_easy_setopt(c, CURLOPT_READDATA, &k);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (loc) {
		free(*loc);
		*loc = NULL;
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_location);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, loc);
	}
	rc = net_perform(g->net, c);
	if (rc != CURLE_OK || status_of(c) != want)
		r = err_set(err, EIO, "upload %s: %s (HTTP %ld)", what,
			    rc != CURLE_OK ? curl_easy_strerror(rc) : "refused", status_of(c));
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return r;
}

/*
 * A blob the repository lacks: mounted from another repository of the
 * registry that has it (the image's other names there), else uploaded: in
 * one PUT, or as PATCH chunks then a closing PUT when over the chunk size.
 */
static int put_blob(const struct store *s, const struct reg *g, const char *digest,
		    const cJSON *mount_from, int out, struct err *err)
{
	cleanup_free char *loc = NULL, *path = blob_path(s, digest), *url = NULL;
	const uint64_t chunk = g->conf.push_chunk;
	char short_id[13];
	const cJSON *from;
	struct stat st;
	uint64_t off = 0;
	FILE *f;
	long status;
	int r = 0;

	snprintf(short_id, sizeof(short_id), "%.12s", digest + 7);
	if (blob_there(g, digest)) {
		job_progress(out, "%s: Layer already exists", short_id);
		return 0;
	}
	cJSON_ArrayForEach (from, mount_from) {
		cleanup_free char *q = xasprintf("?mount=%s&from=%s", digest, from->valuestring);

		status = start_upload(g, q, &loc, err);
		if (status == 201) {
			job_progress(out, "%s: Mounted from %s", short_id, from->valuestring);
			return 0;
		}
		err_clear(err);
		/* a 202 is an upload started instead: fine, use it */
		if (status == 202 && loc)
			break;
		free(loc);
		loc = NULL;
	}
	job_progress(out, "%s: Pushing", short_id);
	if (!loc && ((status = start_upload(g, NULL, &loc, err)) != 202 || !loc))
		return err_isset(err) ? -err->code
				      : err_set(err, EIO, "start the upload of %s: HTTP %ld",
						short_id, status);
	f = fopen(path, "re");
	if (!f || fstat(fileno(f), &st) < 0) {
		if (f)
			fclose(f);
		return err_sys(err, "open %s", path);
	}
	/* chunks while more than one is left; the rest goes with the closing PUT */
	while (r == 0 && chunk && (uint64_t)st.st_size - off > chunk) {
		free(url);
		url = upload_url(g, loc, NULL);
		r = send_part(g, url, true, f, off, chunk, &loc, 202, short_id, err);
		off += chunk;
		if (r == 0 && !loc)
			r = err_set(err, EIO, "upload %s: the registry gave no Location", short_id);
		if (r == 0)
			job_progress(out, "%s: Pushing %.1fMB/%.1fMB", short_id, mb(off),
				     mb((uint64_t)st.st_size));
	}
	if (r == 0) {
		free(url);
		url = upload_url(g, loc, digest);
		r = send_part(g, url, false, f, off, (uint64_t)st.st_size - off, NULL, 201,
			      short_id, err);
	}
	fclose(f);
	if (r == 0)
		job_progress(out, "%s: Pushed", short_id);
	return r;
}

static int put_manifest(const struct store *s, const struct reg *g, const char *tag,
			const struct image *img, struct err *err)
{
	cleanup_free char *url = xasprintf("%s/v2/%s/manifests/%s", g->base, g->repo, tag);
	cleanup_free char *body = NULL, *ctype = NULL;
	const char *mt = cJSON_GetStringValue(cJSON_GetObjectItem(img->manifest, "mediaType"));
	struct curl_slist *h;
	size_t len = 0;
	CURL *c;
	CURLcode rc;
	int r = 0;

	/* the manifest exactly as stored: its digest stays the image's */
	if (blob_read(s, img->manifest_digest, PULL_MANIFEST_MAX, &body, &len, err) < 0)
		return -err->code;
	ctype = xasprintf("Content-Type: %s", mt ? mt : MT_OCI_MANIFEST);
	h = auth_header(g, curl_slist_append(NULL, ctype));
	c = handle(g, url, h);
	with_credentials(c, g, false);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	rc = net_perform(g->net, c);
	if (rc != CURLE_OK || status_of(c) != 201)
		r = err_set(err, EIO, "put the manifest of %s:%s: %s (HTTP %ld)", g->repo, tag,
			    rc != CURLE_OK ? curl_easy_strerror(rc) : "refused", status_of(c));
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return r;
}

void push_run(const struct store *s, int fd, int out, void *arg)
{
	cleanup_cjson cJSON *args = read_args(fd), *refs = NULL;
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(args, "ref"));
	char mdigest[DIGEST_STR_LEN + 1];
	struct err err = ERR_INIT;
	struct reg g = {0};
	struct image img;
	struct ref r;
	int rc;

	(void)arg;
	if (!name || ref_parse(name, &r, &err) < 0) {
		if (!err_isset(&err))
			err_set(&err, EINVAL, "malformed push arguments");
		job_fail(out, &err);
	}
	if (!r.tag) {
		err_set(&err, EINVAL, "push needs a name with a tag, not a digest");
		job_fail(out, &err);
	}
	if (refs_load(s, &refs, &err) < 0 || image_resolve(s, refs, name, mdigest, &err) < 0 ||
	    image_open(s, mdigest, &img, &err) < 0)
		job_fail(out, &err);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (reg_open(&g, r.domain, &err) < 0)
		job_fail(out, &err);
	g.tokens = xasprintf("%s/tokens.json", s->dir);
	g.repo = r.path;
	g.actions = "pull,push";
	g.userpwd = decode_auth(cJSON_GetStringValue(cJSON_GetObjectItem(args, "auth")));
	job_progress(out, "The push refers to repository [%s/%s]", r.domain, r.path);
	rc = ping(&g, &err);
	{
		/* the image's names in other repositories of this registry: blobs mount from there
		 */
		cleanup_cjson cJSON *from = cJSON_CreateArray();
		const cJSON *n;

		cJSON_ArrayForEach (n, cJSON_GetObjectItem(refs, "refs")) {
			struct ref o;
			struct err e = ERR_INIT;

			if (!cJSON_IsString(n) || strcmp(n->valuestring, mdigest) ||
			    ref_parse(n->string, &o, &e) < 0) {
				err_clear(&e);
				continue;
			}
			if (!strcmp(o.domain, r.domain) && strcmp(o.path, r.path))
				cJSON_AddItemToArray(from, cJSON_CreateString(o.path));
			ref_free(&o);
		}
		for (size_t i = 0; rc == 0 && i < img.nlayers; i++)
			rc = put_blob(s, &g, img.layers[i], from, out, &err);
		if (rc == 0)
			rc = put_blob(s, &g, img.id, from, out, &err);
	}
	if (rc == 0)
		rc = put_manifest(s, &g, r.tag, &img, &err);
	if (g.userpwd)
		explicit_bzero(g.userpwd, strlen(g.userpwd));
	if (rc < 0)
		job_fail(out, &err);
	job_progress(out, "%s: digest: %s", r.tag, mdigest);
	job_done(out, "{}");
}
