/* Per-registry settings: TLS files from certs.d, insecure registries, docker.io mirrors. */
#ifndef BERTH_REGCONF_H
#define BERTH_REGCONF_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Read from $BERTH_CONF_DIR (default /etc/berth):
 *   certs.d/<host[:port]>/ *.crt     CA certificates for that registry
 *   certs.d/<host[:port]>/client.cert, client.key   a client certificate
 *   registries.json   {"insecure-registries": ["host:port", ...],
 *                      "registry-mirrors": ["https://mirror", ...]}
 */
struct regconf {
	char *ca_dir;	   /* certs.d/<host> when there is one: the registry speaks TLS */
	char *ca_pem;	   /* its *.crt, concatenated (NULL: the system's CAs) */
	char *client_cert; /* client.cert */
	char *client_key;  /* client.key */
	bool insecure;	   /* listed: plain HTTP allowed */
	char **mirrors;	   /* for docker.io only */
	size_t nmirrors;
	uint64_t push_chunk; /* "push-chunk-size": blobs over it go up in chunks (0: never) */
};

void regconf_load(const char *domain, struct regconf *rc);
void regconf_free(struct regconf *rc);
/* The base URL: https, or http for loopback and insecure registries without certs.d. */
char *regconf_base_url(const char *domain, const struct regconf *rc);
/* CA and client certificate for a request to the registry itself. */
void regconf_apply(CURL *c, const struct regconf *rc);

#endif
