/* libberthclient: the registry credentials `berth login` keeps, in Docker's config format. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bclient.h"
#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "proto/tags.h"

char *bc_config_path(void)
{
	const char *env = getenv("BERTH_CONFIG"), *home = getenv("HOME");

	if (env && *env)
		return xstrdup(env);
	return xasprintf("%s/.config/berth/config.json", home && *home ? home : "/root");
}

cJSON *bc_config_load(const char *path)
{
	struct err err = ERR_INIT;
	cleanup_free char *text = NULL;
	cJSON *doc = NULL;

	if (read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, &err) == 0)
		doc = cJSON_Parse(text);
	err_clear(&err);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		doc = cJSON_CreateObject();
	}
	if (!cJSON_IsObject(cJSON_GetObjectItem(doc, "auths")))
		cJSON_AddObjectToObject(doc, "auths");
	return doc;
}

int bc_config_save(const char *path, const cJSON *doc, struct err *err)
{
	cleanup_free char *dir = xstrdup(path), *text = cJSON_Print(doc);
	char *slash = strrchr(dir, '/');

	if (slash) {
		*slash = '\0';
		/* ~/.config and ~/.config/berth, private */
		char *parent = xstrdup(dir), *ps = strrchr(parent, '/');

		if (ps) {
			*ps = '\0';
			mkdir(parent, 0700);
		}
		free(parent);
		mkdir(dir, 0700);
	}
	return atomic_write_file(path, text, strlen(text), 0600, err);
}

/* The registry part of an image name, as Docker tells it: docker.io for bare names. */
char *bc_registry_of(const char *image)
{
	const char *slash = strchr(image, '/');
	size_t n = slash ? (size_t)(slash - image) : 0;

	if (slash &&
	    (memchr(image, '.', n) || memchr(image, ':', n) || !strncmp(image, "localhost", n)))
		return xstrndup(image, n);
	return xstrdup("docker.io");
}

char *bc_registry_auth(const char *image)
{
	cleanup_free char *path = bc_config_path(), *reg = bc_registry_of(image);
	cleanup_cjson cJSON *doc = bc_config_load(path);
	const char *auth = cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "auths"), reg), "auth"));

	return auth ? xstrdup(auth) : NULL;
}

/* imaged checks user:password (b64, 4096 bytes) against the registry and forgets them. */
static int login_check(const struct berth_paths *p, const char *registry, const char *user,
		       const char *password, bc_line_fn on_line, void *arg, unsigned char *b64,
		       struct err *err)
{
	cleanup_free char *plain = NULL;
	struct pbuf pb;
	int r;

	if (!*registry || strchr(registry, '/'))
		return err_set(err, BC_BADARG, "login needs one registry (host[:port])");
	if (!*user || !*password || strchr(user, ':'))
		return err_set(err, BC_BADARG,
			       "login needs a user name (without ':') and a password");
	plain = xasprintf("%s:%s", user, password);
	if (strlen(plain) > 2000) {
		explicit_bzero(plain, strlen(plain));
		return err_set(err, BC_BADARG, "the user name and password are too long");
	}
	EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)strlen(plain));
	explicit_bzero(plain, strlen(plain));
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, registry);
	pb_put_str(&pb, TAG_KEY, (const char *)b64);
	r = bc_job(p, MSG_IMAGE_LOGIN, &pb, -1, on_line, arg, NULL, err);
	if (r < 0)
		explicit_bzero(b64, 4096);
	return r;
}

int bc_login_check(const struct berth_paths *p, const char *registry, const char *user,
		   const char *password, struct err *err)
{
	unsigned char b64[4096];
	int r = login_check(p, registry, user, password, NULL, NULL, b64, err);

	explicit_bzero(b64, sizeof(b64));
	return r;
}

int bc_login(const struct berth_paths *p, const char *registry, const char *user,
	     const char *password, bc_line_fn on_line, void *arg, struct err *err)
{
	cleanup_free char *path = bc_config_path();
	cleanup_cjson cJSON *doc = NULL;
	unsigned char b64[4096];
	cJSON *entry;
	int r = login_check(p, registry, user, password, on_line, arg, b64, err);

	if (r < 0)
		return r;
	doc = bc_config_load(path);
	entry = cJSON_CreateObject();
	cJSON_AddStringToObject(entry, "auth", (const char *)b64);
	explicit_bzero(b64, sizeof(b64));
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(doc, "auths"), registry);
	cJSON_AddItemToObject(cJSON_GetObjectItem(doc, "auths"), registry, entry);
	return bc_config_save(path, doc, err);
}

int bc_logout(const char *registry, struct err *err)
{
	cleanup_free char *path = bc_config_path();
	cleanup_cjson cJSON *doc = bc_config_load(path);
	cJSON *auths = cJSON_GetObjectItem(doc, "auths");

	if (!cJSON_GetObjectItem(auths, registry))
		return err_set(err, ENOENT, "not logged in to %s", registry);
	cJSON_DeleteItemFromObject(auths, registry);
	return bc_config_save(path, doc, err);
}
