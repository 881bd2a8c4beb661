/*
 * Libraries berth-apid loads only when it first needs them: libarchive (and
 * its chain: libxml2, ICU, libstdc++) for builds and archive copies,
 * libssl for TLS on TCP, libcrypto for base64 and digests. An idle apid on
 * its Unix socket maps none of them (berth-apid(8): idle RSS).
 *
 * Each function apid and libberthclient call is defined here with the
 * library's own prototype (the headers are included, so the compiler checks
 * every one) and resolved with dlsym on its first call.
 */
#include "config.h"

#define OPENSSL_SUPPRESS_DEPRECATED /* digest.c's SHA256_* */

#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

enum lazy_lib { LIB_ARCHIVE, LIB_SSL, LIB_CRYPTO, LIB_COUNT };

static const char *const sonames[LIB_COUNT] = {
    [LIB_ARCHIVE] = "libarchive.so.13",
    [LIB_SSL] = "libssl.so.3",
    [LIB_CRYPTO] = "libcrypto.so.3",
};

static void *handles[LIB_COUNT];
static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;

/* The library is part of the package: without it apid cannot go on. */
static void *lazy_sym(enum lazy_lib lib, const char *name)
{
	void *h, *sym;

	pthread_mutex_lock(&lazy_lock);
	if (!handles[lib]) {
		handles[lib] = dlopen(sonames[lib], RTLD_NOW | RTLD_LOCAL);
		if (!handles[lib]) {
			log_error("cannot load %s: %s", sonames[lib], dlerror());
			abort();
		}
		log_debug("loaded %s", sonames[lib]);
	}
	h = handles[lib];
	pthread_mutex_unlock(&lazy_lock);
	sym = dlsym(h, name);
	if (!sym) {
		log_error("%s has no %s", sonames[lib], name);
		abort();
	}
	return sym;
}

#define LAZY_FN(lib, name)                                                                         \
	static __typeof__(name) *lazy_cached;                                                      \
	__typeof__(name) *lazy_fn = __atomic_load_n(&lazy_cached, __ATOMIC_ACQUIRE);               \
	if (!lazy_fn) {                                                                            \
		void *lazy_addr = lazy_sym(lib, #name);                                            \
		memcpy(&lazy_fn, &lazy_addr, sizeof(lazy_fn));                                     \
		__atomic_store_n(&lazy_cached, lazy_fn, __ATOMIC_RELEASE);                         \
	}

/* A function that returns a value, and one that does not. */
#define LAZY(lib, ret, name, params, args)                                                         \
	ret name params                                                                            \
	{                                                                                          \
		LAZY_FN(lib, name)                                                                 \
		return lazy_fn args;                                                               \
	}
#define LAZY_VOID(lib, name, params, args)                                                         \
	void name params                                                                           \
	{                                                                                          \
		LAZY_FN(lib, name)                                                                 \
		lazy_fn args;                                                                      \
	}

#define A LIB_ARCHIVE
#define AE struct archive_entry *e
#define AR struct archive *a

/* ---- libarchive: entries ---- */
LAZY(A, struct archive_entry *, archive_entry_new, (void), ())
LAZY_VOID(A, archive_entry_free, (AE), (e))
LAZY_VOID(A, archive_entry_copy_hardlink, (AE, const char *s), (e, s))
LAZY_VOID(A, archive_entry_copy_pathname, (AE, const char *s), (e, s))
LAZY_VOID(A, archive_entry_copy_stat, (AE, const struct stat *st), (e, st))
LAZY(A, __LA_MODE_T, archive_entry_filetype, (AE), (e))
LAZY(A, __LA_MODE_T, archive_entry_mode, (AE), (e))
LAZY(A, la_int64_t, archive_entry_gid, (AE), (e))
LAZY(A, la_int64_t, archive_entry_uid, (AE), (e))
LAZY(A, la_int64_t, archive_entry_size, (AE), (e))
LAZY(A, time_t, archive_entry_mtime, (AE), (e))
LAZY(A, const char *, archive_entry_hardlink, (AE), (e))
LAZY(A, const char *, archive_entry_pathname, (AE), (e))
LAZY(A, const char *, archive_entry_symlink, (AE), (e))
LAZY_VOID(A, archive_entry_set_filetype, (AE, unsigned int t), (e, t))
LAZY_VOID(A, archive_entry_set_gid, (AE, la_int64_t g), (e, g))
LAZY_VOID(A, archive_entry_set_uid, (AE, la_int64_t u), (e, u))
LAZY_VOID(A, archive_entry_set_gname, (AE, const char *s), (e, s))
LAZY_VOID(A, archive_entry_set_uname, (AE, const char *s), (e, s))
LAZY_VOID(A, archive_entry_set_hardlink, (AE, const char *s), (e, s))
LAZY_VOID(A, archive_entry_set_pathname, (AE, const char *s), (e, s))
LAZY_VOID(A, archive_entry_set_symlink, (AE, const char *s), (e, s))
LAZY_VOID(A, archive_entry_set_mtime, (AE, time_t t, long ns), (e, t, ns))
LAZY_VOID(A, archive_entry_set_nlink, (AE, unsigned int n), (e, n))
LAZY_VOID(A, archive_entry_set_perm, (AE, __LA_MODE_T m), (e, m))
LAZY_VOID(A, archive_entry_set_size, (AE, la_int64_t n), (e, n))

/* ---- libarchive: reading and writing ---- */
LAZY(A, const char *, archive_error_string, (AR), (a))
LAZY(A, struct archive *, archive_read_new, (void), ())
LAZY(A, int, archive_read_free, (AR), (a))
LAZY(A, int, archive_read_support_filter_all, (AR), (a))
LAZY(A, int, archive_read_support_format_tar, (AR), (a))
LAZY(A, int, archive_read_open_fd, (AR, int fd, size_t bs), (a, fd, bs))
LAZY(A, int, archive_read_open_memory, (AR, const void *b, size_t n), (a, b, n))
LAZY(A, int, archive_read_next_header, (AR, struct archive_entry **e), (a, e))
LAZY(A, la_ssize_t, archive_read_data, (AR, void *b, size_t n), (a, b, n))
LAZY(A, int, archive_read_data_block, (AR, const void **b, size_t *n, la_int64_t *o), (a, b, n, o))
LAZY(A, int, archive_read_extract, (AR, AE, int flags), (a, e, flags))
LAZY(A, struct archive *, archive_write_new, (void), ())
LAZY(A, int, archive_write_free, (AR), (a))
LAZY(A, int, archive_write_close, (AR), (a))
LAZY(A, int, archive_write_add_filter_gzip, (AR), (a))
LAZY(A, int, archive_write_set_format_pax_restricted, (AR), (a))
LAZY(A, int, archive_write_set_bytes_in_last_block, (AR, int n), (a, n))
LAZY(A, int, archive_write_set_filter_option, (AR, const char *m, const char *o, const char *v),
     (a, m, o, v))
LAZY(A, int, archive_write_open_fd, (AR, int fd), (a, fd))
LAZY(A, int, archive_write_header, (AR, AE), (a, e))
LAZY(A, la_ssize_t, archive_write_data, (AR, const void *b, size_t n), (a, b, n))

#define S LIB_SSL
#define C LIB_CRYPTO

/* ---- libssl: TLS on TCP ---- */
LAZY(S, const SSL_METHOD *, TLS_server_method, (void), ())
LAZY(S, SSL_CTX *, SSL_CTX_new, (const SSL_METHOD *m), (m))
LAZY_VOID(S, SSL_CTX_free, (SSL_CTX * x), (x))
LAZY(S, long, SSL_CTX_ctrl, (SSL_CTX * x, int cmd, long l, void *p), (x, cmd, l, p))
LAZY(S, int, SSL_CTX_check_private_key, (const SSL_CTX *x), (x))
LAZY(S, int, SSL_CTX_load_verify_locations, (SSL_CTX * x, const char *f, const char *p), (x, f, p))
LAZY_VOID(S, SSL_CTX_set_client_CA_list, (SSL_CTX * x, STACK_OF(X509_NAME) * l), (x, l))
LAZY_VOID(S, SSL_CTX_set_verify, (SSL_CTX * x, int mode, SSL_verify_cb cb), (x, mode, cb))
LAZY(S, int, SSL_CTX_use_PrivateKey_file, (SSL_CTX * x, const char *f, int t), (x, f, t))
LAZY(S, int, SSL_CTX_use_certificate_chain_file, (SSL_CTX * x, const char *f), (x, f))
LAZY(S, STACK_OF(X509_NAME) *, SSL_load_client_CA_file, (const char *f), (f))
LAZY(S, SSL *, SSL_new, (SSL_CTX * x), (x))
LAZY_VOID(S, SSL_free, (SSL * s), (s))
LAZY(S, int, SSL_set_fd, (SSL * s, int fd), (s, fd))
LAZY(S, int, SSL_accept, (SSL * s), (s))
LAZY(S, int, SSL_read, (SSL * s, void *b, int n), (s, b, n))
LAZY(S, int, SSL_write, (SSL * s, const void *b, int n), (s, b, n))
LAZY(S, int, SSL_shutdown, (SSL * s), (s))
LAZY(S, int, SSL_get_error, (const SSL *s, int r), (s, r))
LAZY(S, X509 *, SSL_get1_peer_certificate, (const SSL *s), (s))

/* ---- libcrypto ---- */
LAZY(C, const BIO_METHOD *, BIO_s_mem, (void), ())
LAZY(C, BIO *, BIO_new, (const BIO_METHOD *m), (m))
LAZY(C, int, BIO_free, (BIO * b), (b))
LAZY(C, long, BIO_ctrl, (BIO * b, int cmd, long l, void *p), (b, cmd, l, p))
LAZY_VOID(C, ERR_clear_error, (void), ())
LAZY_VOID(C, ERR_error_string_n, (unsigned long e, char *buf, size_t n), (e, buf, n))
LAZY(C, unsigned long, ERR_get_error, (void), ())
LAZY(C, unsigned long, ERR_peek_error, (void), ())
LAZY(C, int, EVP_EncodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n))
LAZY(C, int, EVP_DecodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n))
LAZY(C, int, SHA256_Init, (SHA256_CTX * c), (c))
LAZY(C, int, SHA256_Update, (SHA256_CTX * c, const void *d, size_t n), (c, d, n))
LAZY(C, int, SHA256_Final, (unsigned char *md, SHA256_CTX *c), (md, c))
LAZY(C, X509_NAME *, X509_get_subject_name, (const X509 *x), (x))
LAZY_VOID(C, X509_free, (X509 * x), (x))
LAZY(C, int, X509_NAME_print_ex, (BIO * b, const X509_NAME *n, int indent, unsigned long flags),
     (b, n, indent, flags))
