/*
 * The storage interface. Only files under src/store/ contain SQL; each backend
 * (sqlite.c now, pg.c later) fills a struct lk_store_ops. A struct lk_store is
 * one connection: it is not thread-safe, so each thread (event loop, slow-work
 * thread, CLI) opens its own.
 *
 * Every function returns LK_OK or an error (LK_ESTORE for a database failure,
 * LK_ENOTFOUND, LK_EEXIST for a uniqueness conflict); out-parameters are
 * written only on success. Strings passed in are copied as needed; records
 * returned are owned by the caller and freed with their _free function.
 */
#ifndef LK_STORE_STORE_H
#define LK_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/*
 * A signing key. Its state is derived from the times, so that every instance
 * computes the same answer from the same rows:
 *   next     now < activate_at                  published, not signing
 *   active   activate_at <= now, not retired    published, signing
 *   retired  retire_at <= now < expire_at       published, not signing
 *   expired  expire_at <= now                   gone from the JWKS
 * retire_at and expire_at are 0 while unset.
 */
struct lk_key_record {
	char *kid;        /* RFC 7638 thumbprint of the public key */
	char *alg;        /* "ES256", "RS256", "PS256" */
	char *public_jwk; /* JSON text of the public JWK */
	unsigned char *private_sealed; /* the private JWK, sealed by the master key */
	size_t private_sealed_len;
	int64_t created_at;
	int64_t activate_at;
	int64_t retire_at;
	int64_t expire_at;
};

/*
 * Limits on what a key record may hold; lk_store_key_insert refuses a longer
 * field with LK_ETOOBIG. An RFC 7638 thumbprint is 43 characters, an RSA-8192
 * private JWK about 6.5 KiB, so these leave room without being unbounded.
 */
#define LK_KEY_KID_MAX 128
#define LK_KEY_ALG_MAX 16
#define LK_KEY_JWK_MAX 16384
#define LK_KEY_SEALED_MAX 16384
/* The most rows lk_store_key_list returns before failing with LK_ETOOMANY. */
#define LK_KEY_LIST_MAX 4096
/* The longest database URL lk_store_open accepts (LK_ETOOBIG beyond). */
#define LK_STORE_URL_MAX 4096

/* Frees the members of a record (zeroing the sealed key), not the struct. */
void lk_key_record_release(struct lk_key_record *r);

/* Frees an array of n records returned by lk_store_key_list. NULL is a no-op. */
void lk_key_records_free(struct lk_key_record *r, size_t n);

struct lk_store;

struct lk_store_ops {
	const char *name; /* "sqlite", "postgres" */
	void (*close)(struct lk_store *s);
	enum lk_err (*migrate)(struct lk_store *s, int *from, int *to);
	enum lk_err (*schema_version)(struct lk_store *s, int *version);
	enum lk_err (*ping)(struct lk_store *s);
	enum lk_err (*begin)(struct lk_store *s);
	enum lk_err (*commit)(struct lk_store *s);
	enum lk_err (*rollback)(struct lk_store *s);
	enum lk_err (*change_seq)(struct lk_store *s, int64_t *seq);
	enum lk_err (*change_bump)(struct lk_store *s);
	enum lk_err (*key_insert)(struct lk_store *s, const struct lk_key_record *r);
	enum lk_err (*key_list)(struct lk_store *s, struct lk_key_record **out, size_t *n);
	enum lk_err (*key_set_times)(struct lk_store *s, const char *kid, int64_t retire_at,
				     int64_t expire_at);
	enum lk_err (*key_delete_expired)(struct lk_store *s, int64_t now, int *deleted);
};

/* Every backend's connection starts with this header. */
struct lk_store {
	const struct lk_store_ops *ops;
};

/*
 * Opens a connection for the database URL: "sqlite:PATH" (PATH may be
 * ":memory:" in tests), later "postgres://..." / "postgresql://...".
 * LK_EINVAL for an unknown scheme, LK_ESTORE when the database cannot be
 * opened. Does not migrate. Close with lk_store_close.
 */
enum lk_err lk_store_open(const char *url, struct lk_store **out);

/* Closes the connection. NULL is a no-op. */
void lk_store_close(struct lk_store *s);

/*
 * Applies the embedded migrations that the database lacks, each in its own
 * transaction; from and to (may be NULL) receive the versions before and
 * after. LK_ESTORE_VERSION when the database is newer than this program.
 */
enum lk_err lk_store_migrate(struct lk_store *s, int *from, int *to);

/* The schema version of the database (0 for an empty database). */
enum lk_err lk_store_schema_version(struct lk_store *s, int *version);

/* The latest schema version this program knows. */
int lk_store_latest_version(void);

/* A cheap round trip that proves the database answers (health checks). */
enum lk_err lk_store_ping(struct lk_store *s);

/* Transactions; nesting is not supported. */
enum lk_err lk_store_begin(struct lk_store *s);
enum lk_err lk_store_commit(struct lk_store *s);
enum lk_err lk_store_rollback(struct lk_store *s);

/*
 * A counter that every administrative change (apps, users, scopes, keys)
 * increments, so that running servers can notice changes with one cheap read
 * per second and reload their caches.
 */
enum lk_err lk_store_change_seq(struct lk_store *s, int64_t *seq);
enum lk_err lk_store_change_bump(struct lk_store *s);

/* Signing keys (see struct lk_key_record). LK_EEXIST for a duplicate kid. */
enum lk_err lk_store_key_insert(struct lk_store *s, const struct lk_key_record *r);

/* Every key row, oldest activate_at first. *out is NULL when n is 0. */
enum lk_err lk_store_key_list(struct lk_store *s, struct lk_key_record **out, size_t *n);

/* Sets retire_at and expire_at of a key. LK_ENOTFOUND for an unknown kid. */
enum lk_err lk_store_key_set_times(struct lk_store *s, const char *kid, int64_t retire_at,
				   int64_t expire_at);

/* Deletes keys whose expire_at is set and <= now. */
enum lk_err lk_store_key_delete_expired(struct lk_store *s, int64_t now, int *deleted);

/* True when url names a backend this build supports ("sqlite:", ...). */
bool lk_store_url_supported(const char *url);

/* For an sqlite: URL, the directory holding the database file ("." if none). */
enum lk_err lk_store_sqlite_dir(const char *url, char *out, size_t outlen);

#endif
