/*
 * berth import: a root filesystem tarball (plain or compressed) becomes a
 * one-layer image, with --change for CMD, ENTRYPOINT, ENV, WORKDIR, USER,
 * LABEL and EXPOSE.
 */
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/clock.h"
#include "common/xalloc.h"
#include "imaged.h"
#include "import.h"
#include "job.h"
#include "netloop.h"
#include "oci.h"
#include "unpack.h"

/* CMD ["a","b"] (JSON) or CMD a b (shell form: /bin/sh -c "a b") */
static cJSON *command_value(const char *arg)
{
	cJSON *v = cJSON_Parse(arg), *it;

	if (cJSON_IsArray(v)) {
		bool ok = true;

		cJSON_ArrayForEach (it, v)
			ok = ok && cJSON_IsString(it);
		if (ok)
			return v;
	}
	cJSON_Delete(v);
	v = cJSON_CreateArray();
	cJSON_AddItemToArray(v, cJSON_CreateString("/bin/sh"));
	cJSON_AddItemToArray(v, cJSON_CreateString("-c"));
	cJSON_AddItemToArray(v, cJSON_CreateString(arg));
	return v;
}

int config_apply_change(cJSON *cfg, const char *change, struct err *err)
{
	char word[16];
	size_t n = strcspn(change, " \t");
	const char *arg = change + n;

	while (*arg == ' ' || *arg == '\t')
		arg++;
	if (n == 0 || n >= sizeof(word) || !*arg)
		return err_set(err, EINVAL, "--change '%s': expected INSTRUCTION ARGUMENTS",
			       change);
	for (size_t i = 0; i < n; i++)
		word[i] = (char)toupper((unsigned char)change[i]);
	word[n] = '\0';
	if (!strcmp(word, "CMD") || !strcmp(word, "ENTRYPOINT")) {
		const char *key = word[0] == 'C' ? "Cmd" : "Entrypoint";

		cJSON_DeleteItemFromObject(cfg, key);
		cJSON_AddItemToObject(cfg, key, command_value(arg));
	} else if (!strcmp(word, "ENV")) {
		cJSON *env = cJSON_GetObjectItem(cfg, "Env");
		char *kv = strchr(arg, '=') ? xstrdup(arg) : NULL;

		if (!kv) {
			/* ENV KEY VALUE */
			size_t k = strcspn(arg, " \t");
			const char *val = arg + k;

			while (*val == ' ')
				val++;
			kv = xasprintf("%.*s=%s", (int)k, arg, val);
		}
		if (!env)
			env = cJSON_AddArrayToObject(cfg, "Env");
		cJSON_AddItemToArray(env, cJSON_CreateString(kv));
		free(kv);
	} else if (!strcmp(word, "WORKDIR")) {
		if (arg[0] != '/')
			return err_set(err, EINVAL, "--change WORKDIR '%s' must be absolute", arg);
		cJSON_DeleteItemFromObject(cfg, "WorkingDir");
		cJSON_AddStringToObject(cfg, "WorkingDir", arg);
	} else if (!strcmp(word, "USER")) {
		cJSON_DeleteItemFromObject(cfg, "User");
		cJSON_AddStringToObject(cfg, "User", arg);
	} else if (!strcmp(word, "LABEL")) {
		cJSON *labels = cJSON_GetObjectItem(cfg, "Labels");
		const char *eq = strchr(arg, '=');

		if (!eq)
			return err_set(err, EINVAL, "--change LABEL '%s': expected KEY=VALUE", arg);
		if (!labels)
			labels = cJSON_AddObjectToObject(cfg, "Labels");
		{
			char *key = xstrndup(arg, (size_t)(eq - arg));

			cJSON_DeleteItemFromObject(labels, key);
			cJSON_AddStringToObject(labels, key, eq + 1);
			free(key);
		}
	} else if (!strcmp(word, "EXPOSE")) {
		cJSON *ports = cJSON_GetObjectItem(cfg, "ExposedPorts");
		char port[32];

		snprintf(port, sizeof(port), "%s%s", arg, strchr(arg, '/') ? "" : "/tcp");
		if (!ports)
			ports = cJSON_AddObjectToObject(cfg, "ExposedPorts");
		cJSON_AddItemToObject(ports, port, cJSON_CreateObject());
	} else {
		return err_set(err, EINVAL,
			       "--change '%s': unsupported instruction (CMD, ENTRYPOINT, ENV, "
			       "WORKDIR, USER, LABEL, EXPOSE)",
			       word);
	}
	return 0;
}

struct fetch {
	struct blob_writer *w;
	struct err *err;
	int out;
	uint64_t next_report;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct fetch *f = arg;
	size_t len = size * nmemb;

	if (bw_write(f->w, data, len, f->err) < 0)
		return 0;
	if (f->w->size >= f->next_report) {
		job_progress(f->out, "downloaded %llu MB", (unsigned long long)(f->w->size >> 20));
		f->next_report += 16u << 20;
	}
	return len;
}

/* Download url into the blob writer (libcurl, in this worker). */
static int fetch_url(const char *url, struct blob_writer *w, int out, struct err *err)
{
	struct fetch f = {w, err, out, 16u << 20};
	struct netloop *n = net_new(err);
	CURL *c = n ? curl_easy_init() : NULL;
	long status = 0;
	CURLcode rc;

	if (!n)
		return -err->code;
	if (!c) {
		net_free(n);
		return err_set(err, ENOMEM, "curl_easy_init failed");
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
	rc = net_perform(n, c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	net_free(n);
	if (rc != CURLE_OK && !err->code)
		return err_set(err, EIO, "import from %s: %s", url, curl_easy_strerror(rc));
	if (rc != CURLE_OK)
		return err_wrap(err, "import from %s", url);
	if (status != 200)
		return err_set(err, status == 404 ? ENOENT : EIO, "import from %s: HTTP status %ld",
			       url, status);
	return 0;
}

void import_run(const struct store *s, int fd, int out, void *arg)
{
	/* held until this worker exits: no gc while we store blobs */
	int ingest = ingest_lock(s, false, NULL);

	(void)ingest;
	const struct import_args *ia = arg;
	struct err err = ERR_INIT;
	struct blob_writer w;
	char layer[DIGEST_STR_LEN + 1], diff[DIGEST_STR_LEN + 1], cfgd[DIGEST_STR_LEN + 1];
	char mand[DIGEST_STR_LEN + 1];
	cleanup_cjson cJSON *config = cJSON_CreateObject(), *manifest = NULL;
	cleanup_cjson cJSON *result = cJSON_CreateObject();
	char stamp[RFC3339_LEN];
	const char *created = rfc3339_now(stamp);
	cleanup_free char *tmp = NULL, *fs = NULL, *blob = NULL;
	cleanup_free char *cfgtext = NULL, *mantext = NULL, *snap = NULL;
	const char *names[1] = {ia->name[0] ? ia->name : NULL};
	cJSON *cc, *h, *arr, *layers;
	char buf[65536];
	uint64_t size = 0;
	bool fresh = false;
	ssize_t n;

	cc = cJSON_AddObjectToObject(config, "config");
	for (size_t i = 0; i < ia->nchanges; i++)
		if (config_apply_change(cc, ia->changes[i], &err) < 0)
			job_fail(out, &err);
	if (bw_open(s, &w, &err) < 0)
		job_fail(out, &err);
	if (ia->url[0]) {
		if (fetch_url(ia->url, &w, out, &err) < 0) {
			bw_abort(&w);
			job_fail(out, &err);
		}
		n = 0;
	} else {
		n = 0;
	}
	while (!ia->url[0] && (n = read(fd, buf, sizeof(buf))) > 0)
		if (bw_write(&w, buf, (size_t)n, &err) < 0) {
			bw_abort(&w);
			job_fail(out, &err);
		}
	if (n < 0) {
		err_sys(&err, "read the tarball");
		bw_abort(&w);
		job_fail(out, &err);
	}
	if (w.size == 0) {
		bw_abort(&w);
		err_set(&err, EINVAL, "the tarball is empty");
		job_fail(out, &err);
	}
	if (bw_commit(s, &w, NULL, layer, &err) < 0)
		job_fail(out, &err);
	fresh = !w.existed;
	job_progress(out, "%.12s: stored the root filesystem (%llu bytes)", layer + 7,
		     (unsigned long long)w.size);
	/* unpack it to learn its diff_id; the snapshot is then named by it */
	blob = blob_path(s, layer);
	tmp = xasprintf("%s/snapshots/tmp-import-%d", s->dir, (int)getpid());
	fs = xasprintf("%s/fs", tmp);
	if (mkdir(tmp, 0700) < 0 || mkdir(fs, 0755) < 0) {
		err_sys(&err, "create %s", fs);
		goto fail;
	}
	if (unpack_layer(blob, fs, NULL, diff, &size, &err) < 0)
		goto fail;
	snap = snapshot_dir(s, diff);
	{
		cleanup_free char *meta =
		    xasprintf("{\"diff_id\":\"%s\",\"parent\":\"\",\"size\":%llu}", diff,
			      (unsigned long long)size);
		cleanup_free char *mp = xasprintf("%s/meta.json", tmp);

		if (atomic_write_file(mp, meta, strlen(meta), 0600, &err) < 0)
			goto fail;
	}
	if (rename(tmp, snap) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			err_sys(&err, "commit snapshot %s", snap);
			goto fail;
		}
		rm_tree(tmp, &err);
		err_clear(&err);
	}
	cJSON_AddStringToObject(config, "architecture", oci_host_arch());
	cJSON_AddStringToObject(config, "os", "linux");
	cJSON_AddStringToObject(config, "created", created);
	arr = cJSON_AddArrayToObject(cJSON_AddObjectToObject(config, "rootfs"), "diff_ids");
	cJSON_AddStringToObject(cJSON_GetObjectItem(config, "rootfs"), "type", "layers");
	cJSON_AddItemToArray(arr, cJSON_CreateString(diff));
	h = cJSON_CreateObject();
	cJSON_AddStringToObject(h, "created", created);
	cJSON_AddStringToObject(h, "created_by", "berth import");
	if (ia->message[0])
		cJSON_AddStringToObject(h, "comment", ia->message);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(config, "history"), h);
	cfgtext = cJSON_PrintUnformatted(config);
	if (blob_put(s, cfgtext, strlen(cfgtext), cfgd, &err) < 0)
		goto fail;
	manifest = oci_manifest_new(cfgd, strlen(cfgtext), &layers);
	cJSON_AddItemToArray(layers,
			     oci_descriptor(blob_layer_type(s, layer), layer, (double)w.size));
	mantext = cJSON_PrintUnformatted(manifest);
	if (blob_put(s, mantext, strlen(mantext), mand, &err) < 0 ||
	    store_add_image(s, mand, names, names[0] ? 1 : 0, NULL, &err) < 0)
		goto fail;
	cJSON_AddStringToObject(result, "id", cfgd);
	{
		cleanup_free char *text = cJSON_PrintUnformatted(result);

		job_progress(out, "%s", cfgd);
		job_done(out, text);
	}
fail:
	if (tmp) {
		struct err e = ERR_INIT;

		rm_tree(tmp, &e);
		err_clear(&e);
	}
	if (fresh) {
		cleanup_free char *p = blob_path(s, layer);

		unlink(p);
	}
	job_fail(out, &err);
}
