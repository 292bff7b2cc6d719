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
#include "store/records.h"

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
	char *kid;		       /* RFC 7638 thumbprint of the public key */
	char *alg;		       /* "ES256", "RS256", "PS256" */
	char *public_jwk;	       /* JSON text of the public JWK */
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

/*
 * The most rows each housekeeping function (the _delete_expired ones)
 * deletes from one table in one call. A call that reports at least this many
 * may have left more behind: the caller calls again, between other work, so
 * that a backlog drains in short statements that never hold the database
 * for long. LK_STORE_STR spells it for SQL text.
 */
#define LK_STORE_JANITOR_BATCH 1000
#define LK_STORE_STR_(x) #x
#define LK_STORE_STR(x) LK_STORE_STR_(x)
/* The most rows lk_store_audit_delete_before may be asked to delete at once. */
#define LK_AUDIT_DELETE_MAX 100000

/* Frees the members of a record (zeroing the sealed key), not the struct. */
void lk_key_record_release(struct lk_key_record *r);

/* Frees an array of n records returned by lk_store_key_list. NULL is a no-op. */
void lk_key_records_free(struct lk_key_record *r, size_t n);

struct lk_store;
struct lk_token_record;
struct lk_session_record;
struct lk_auth_request_record;
struct lk_code_record;
struct lk_refresh_record;
struct lk_throttle_record;

/*
 * Which audit entries lk_store_audit_find returns: each member that is set
 * narrows the result, and all must hold. NULL or "" leaves a string unset,
 * 0 leaves since unset.
 */
struct lk_audit_filter {
	const char *action_prefix; /* action starts with this ("signin.", "app.add") */
	const char *actor;	   /* actor is exactly this */
	const char *object_id;	   /* object_id is exactly this */
	int64_t since;		   /* at >= since (Unix seconds) */
};

struct lk_store_upstream_ops;

struct lk_store_ops {
	const char *name; /* "sqlite", "postgres" */
	/* The upstream-provider operations (store/upstream_int.h). */
	const struct lk_store_upstream_ops *upstream;
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
	enum lk_err (*app_insert)(struct lk_store *s, const struct lk_app *a);
	enum lk_err (*app_get)(struct lk_store *s, const char *client_id_or_name,
			       struct lk_app *out);
	enum lk_err (*app_list)(struct lk_store *s, struct lk_app **out, size_t *n);
	enum lk_err (*app_update)(struct lk_store *s, const struct lk_app *a);
	enum lk_err (*app_delete)(struct lk_store *s, const char *client_id);
	enum lk_err (*secret_add)(struct lk_store *s, const char *client_id,
				  const uint8_t hash[LK_SHA256_LEN], int64_t created_at,
				  int64_t *id);
	enum lk_err (*secret_list)(struct lk_store *s, const char *client_id,
				   struct lk_client_secret **out, size_t *n);
	enum lk_err (*secret_expire_others)(struct lk_store *s, const char *client_id,
					    int64_t keep_id, int64_t expires_at);
	enum lk_err (*secret_delete_expired)(struct lk_store *s, int64_t now, int *deleted);
	enum lk_err (*user_insert)(struct lk_store *s, const struct lk_user *u, int64_t *id);
	enum lk_err (*user_get)(struct lk_store *s, int64_t id, struct lk_user *out);
	enum lk_err (*user_find)(struct lk_store *s, const char *domain, const char *username,
				 struct lk_user *out);
	enum lk_err (*user_find_email)(struct lk_store *s, const char *email, struct lk_user *out);
	enum lk_err (*user_list)(struct lk_store *s, struct lk_user **out, size_t *n);
	enum lk_err (*user_update)(struct lk_store *s, const struct lk_user *u);
	enum lk_err (*user_set_password)(struct lk_store *s, int64_t id, const char *hash,
					 int64_t updated_at);
	enum lk_err (*user_delete)(struct lk_store *s, int64_t id);
	enum lk_err (*user_count_admins)(struct lk_store *s, int64_t *n);
	enum lk_err (*scope_insert)(struct lk_store *s, const struct lk_scope *sc);
	enum lk_err (*scope_list)(struct lk_store *s, struct lk_scope **out, size_t *n);
	enum lk_err (*scope_delete)(struct lk_store *s, const char *name);
	enum lk_err (*audit_add)(struct lk_store *s, const struct lk_audit *e);
	enum lk_err (*audit_list)(struct lk_store *s, const struct lk_audit_filter *f, int limit,
				  struct lk_audit **out, size_t *n);
	enum lk_err (*audit_delete_before)(struct lk_store *s, int64_t before, int limit,
					   int *deleted);
	enum lk_err (*token_insert)(struct lk_store *s, const struct lk_token_record *t);
	enum lk_err (*token_get)(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				 struct lk_token_record *out);
	enum lk_err (*token_revoke)(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN]);
	enum lk_err (*token_extend)(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				    int64_t expires_at);
	enum lk_err (*tokens_delete_expired)(struct lk_store *s, int64_t now, int *deleted);
	enum lk_err (*jti_revoke)(struct lk_store *s, const char *jti, int64_t expires_at);
	enum lk_err (*jti_revoked)(struct lk_store *s, const char *jti, bool *revoked);
	enum lk_err (*assertion_use)(struct lk_store *s, const char *client_id, const char *jti,
				     int64_t expires_at);
	enum lk_err (*registration_token_set)(struct lk_store *s, const char *client_id,
					      const uint8_t hash[LK_SHA256_LEN]);
	enum lk_err (*registration_token_get)(struct lk_store *s, const char *client_id,
					      uint8_t hash[LK_SHA256_LEN]);
	enum lk_err (*group_insert)(struct lk_store *s, const struct lk_group *g, int64_t *id);
	enum lk_err (*group_get)(struct lk_store *s, int64_t id, struct lk_group *out);
	enum lk_err (*group_list)(struct lk_store *s, struct lk_group **out, size_t *n);
	enum lk_err (*group_update)(struct lk_store *s, const struct lk_group *g);
	enum lk_err (*group_delete)(struct lk_store *s, int64_t id);
	enum lk_err (*user_groups)(struct lk_store *s, int64_t user_id, struct lk_group **out,
				   size_t *n);
	enum lk_err (*session_insert)(struct lk_store *s, const struct lk_session_record *r);
	enum lk_err (*session_get)(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				   struct lk_session_record *out);
	enum lk_err (*session_touch)(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				     int64_t last_seen);
	enum lk_err (*session_delete)(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN]);
	enum lk_err (*auth_request_insert)(struct lk_store *s,
					   const struct lk_auth_request_record *r);
	enum lk_err (*auth_request_get)(struct lk_store *s, const char *id,
					struct lk_auth_request_record *out);
	enum lk_err (*auth_request_set_consented)(struct lk_store *s, const char *id);
	enum lk_err (*auth_request_delete)(struct lk_store *s, const char *id);
	enum lk_err (*code_insert)(struct lk_store *s, const struct lk_code_record *r);
	enum lk_err (*code_consume)(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				    int64_t now, struct lk_code_record *out);
	enum lk_err (*refresh_insert)(struct lk_store *s, const struct lk_refresh_record *r);
	enum lk_err (*refresh_get)(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				   struct lk_refresh_record *out);
	enum lk_err (*refresh_consume)(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				       int64_t now, struct lk_refresh_record *out);
	enum lk_err (*grant_jti_add)(struct lk_store *s, const char *grant_id, int64_t user_id,
				     const char *jti, int64_t expires_at);
	enum lk_err (*token_claims_set)(struct lk_store *s, const char *jti, const char *claims,
					int64_t expires_at);
	enum lk_err (*token_claims_get)(struct lk_store *s, const char *jti, char **claims);
	enum lk_err (*grant_revoke)(struct lk_store *s, const char *grant_id, int64_t now);
	enum lk_err (*user_revoke_grants)(struct lk_store *s, int64_t user_id, int64_t now);
	enum lk_err (*consent_get)(struct lk_store *s, int64_t user_id, const char *client_id,
				   char **scope);
	enum lk_err (*consent_set)(struct lk_store *s, int64_t user_id, const char *client_id,
				   const char *scope, int64_t now);
	enum lk_err (*throttle_get)(struct lk_store *s, const char *key,
				    struct lk_throttle_record *out);
	enum lk_err (*throttle_put)(struct lk_store *s, const char *key,
				    const struct lk_throttle_record *r);
	enum lk_err (*throttle_delete)(struct lk_store *s, const char *key);
	enum lk_err (*signin_delete_expired)(struct lk_store *s, int64_t now, int *deleted);
	enum lk_err (*refresh_revoke_session)(struct lk_store *s, const char *sid,
					      const char *client_id, int64_t now);
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

/*
 * Deletes keys whose expire_at is set and <= now, at most
 * LK_STORE_JANITOR_BATCH of them. *deleted counts rows.
 */
enum lk_err lk_store_key_delete_expired(struct lk_store *s, int64_t now, int *deleted);

/* True when url names a backend this build supports ("sqlite:", ...). */
bool lk_store_url_supported(const char *url);

/* For an sqlite: URL, the directory holding the database file ("." if none). */
enum lk_err lk_store_sqlite_dir(const char *url, char *out, size_t outlen);

/* ---- The registry (records.h): applications, secrets, users, scopes, audit ---- */

/*
 * The registry functions check every argument before the database sees it:
 * a missing or empty required string, an enum value out of range, a negative
 * time or id is LK_EINVAL, a string or certificate longer than the limits of
 * records.h is LK_ETOOBIG, and nothing is changed. An optional string may be
 * NULL, which is stored as "". Application names, user names and emails
 * compare case-insensitively, in ASCII only (SQLite's lower()).
 * Records returned are the caller's, every string in them non-NULL; free
 * them with their _release (one record) or _free (an array) function. A row
 * holding an enum text that names no value is LK_ESTORE (and logged).
 *
 * Lists fail with LK_ETOOMANY rather than return more than LK_STORE_LIST_MAX
 * rows (the audit log has its own limit).
 */
#define LK_STORE_LIST_MAX 100000
#define LK_AUDIT_LIST_MAX 10000

/*
 * Adds an application with the fields of a (a->user is ignored: the binding
 * is a->user_id, 0 for none). The caller keeps a. LK_EEXIST when the
 * client_id or the name (case-insensitively) is taken; LK_ESTATE when user_id
 * names no user.
 */
enum lk_err lk_store_app_insert(struct lk_store *s, const struct lk_app *a);

/*
 * Reads the application whose client_id is client_id_or_name, or else the one
 * whose name equals it case-insensitively, into *out, which the caller
 * releases with lk_app_release. out->user is "domain\username" of the bound
 * user, "" when none. LK_ENOTFOUND when neither matches.
 */
enum lk_err lk_store_app_get(struct lk_store *s, const char *client_id_or_name, struct lk_app *out);

/*
 * Every application, ordered by name (case-insensitively), into a new array
 * of *n records that the caller frees with lk_apps_free; *out is NULL when
 * *n is 0.
 */
enum lk_err lk_store_app_list(struct lk_store *s, struct lk_app **out, size_t *n);

/*
 * Overwrites every field of the application a->client_id but client_id and
 * created_at (a->user is ignored, as on insert). LK_ENOTFOUND for an unknown
 * client_id, LK_EEXIST when the new name is another application's,
 * LK_ESTATE when user_id names no user.
 */
enum lk_err lk_store_app_update(struct lk_store *s, const struct lk_app *a);

/* Deletes an application and all its secrets. LK_ENOTFOUND for an unknown one. */
enum lk_err lk_store_app_delete(struct lk_store *s, const char *client_id);

/*
 * Stores the SHA-256 of a new client secret of client_id, valid until
 * rotated (expires_at 0); *id (id may be NULL) receives its row id.
 * LK_ENOTFOUND for an unknown client.
 */
enum lk_err lk_store_secret_add(struct lk_store *s, const char *client_id,
				const uint8_t hash[LK_SHA256_LEN], int64_t created_at, int64_t *id);

/*
 * The secrets of client_id, newest first, expired ones included (the caller
 * compares expires_at with the clock), in a new array that the caller frees
 * with free(); *out is NULL when *n is 0, as for an unknown client.
 */
enum lk_err lk_store_secret_list(struct lk_store *s, const char *client_id,
				 struct lk_client_secret **out, size_t *n);

/*
 * Ends the other secrets of client_id at expires_at (> 0) after a rotation:
 * every secret but keep_id that is valid until rotated, or would expire
 * later, gets expires_at; one that already expires earlier keeps its time,
 * so a second rotation never extends a grace period.
 */
enum lk_err lk_store_secret_expire_others(struct lk_store *s, const char *client_id,
					  int64_t keep_id, int64_t expires_at);

/* Deletes every secret whose expires_at is set and <= now; *deleted (may be NULL) counts them. */
enum lk_err lk_store_secret_delete_expired(struct lk_store *s, int64_t now, int *deleted);

/*
 * Adds a user with the fields of u (u->id is ignored); *id (id may be NULL)
 * receives the new id, which is never reused after a delete, since it is the
 * OpenID Connect subject. LK_EEXIST when domain\username is taken
 * case-insensitively, or when a non-empty email is another user's
 * case-insensitively.
 */
enum lk_err lk_store_user_insert(struct lk_store *s, const struct lk_user *u, int64_t *id);

/* Reads the user with id (> 0) into *out (release with lk_user_release). LK_ENOTFOUND. */
enum lk_err lk_store_user_get(struct lk_store *s, int64_t id, struct lk_user *out);

/* Reads the user domain\username, both compared case-insensitively. LK_ENOTFOUND. */
enum lk_err lk_store_user_find(struct lk_store *s, const char *domain, const char *username,
			       struct lk_user *out);

/* Reads the user whose email equals email (non-empty) case-insensitively. LK_ENOTFOUND. */
enum lk_err lk_store_user_find_email(struct lk_store *s, const char *email, struct lk_user *out);

/*
 * Every user, ordered by domain then username (case-insensitively), in a new
 * array that the caller frees with lk_users_free; *out is NULL when *n is 0.
 */
enum lk_err lk_store_user_list(struct lk_store *s, struct lk_user **out, size_t *n);

/*
 * Overwrites the names, email, email_verified, phone, external_id, role,
 * enabled and updated_at of user u->id; domain, username, password and
 * created_at stay.
 * LK_ENOTFOUND for an unknown id, LK_EEXIST when the email is another user's.
 */
enum lk_err lk_store_user_update(struct lk_store *s, const struct lk_user *u);

/*
 * Sets the password hash (an encoded Argon2id string, "" for no password) and
 * updated_at of user id. The caller keeps hash. LK_ENOTFOUND.
 */
enum lk_err lk_store_user_set_password(struct lk_store *s, int64_t id, const char *hash,
				       int64_t updated_at);

/*
 * Deletes user id. LK_ENOTFOUND for an unknown id; LK_ESTATE, changing
 * nothing, while an application is bound to the user.
 */
enum lk_err lk_store_user_delete(struct lk_store *s, int64_t id);

/* How many enabled users have the admin role, so the last one is not removed. */
enum lk_err lk_store_user_count_admins(struct lk_store *s, int64_t *n);

/*
 * Adds a scope to the end of the catalog with the fields of sc. LK_EEXIST
 * when the name is taken (names compare exactly, as scope values do).
 */
enum lk_err lk_store_scope_insert(struct lk_store *s, const struct lk_scope *sc);

/*
 * The catalog in the order its scopes were added, the built-in ones first,
 * in a new array that the caller frees with lk_scopes_free.
 */
enum lk_err lk_store_scope_list(struct lk_store *s, struct lk_scope **out, size_t *n);

/* Removes a scope from the catalog. LK_ENOTFOUND for an unknown name. */
enum lk_err lk_store_scope_delete(struct lk_store *s, const char *name);

/*
 * Appends an entry to the audit log (e->id is ignored; actor, action and
 * object_type are required). The caller keeps e. The detail must never hold
 * a secret.
 */
enum lk_err lk_store_audit_add(struct lk_store *s, const struct lk_audit *e);

/*
 * The newest limit entries of the audit log (1 <= limit <= LK_AUDIT_LIST_MAX,
 * else LK_EINVAL), newest first, in a new array that the caller frees with
 * lk_audits_free; *out is NULL when *n is 0.
 */
enum lk_err lk_store_audit_list(struct lk_store *s, int limit, struct lk_audit **out, size_t *n);

/*
 * As lk_store_audit_list, keeping only the entries that f (may be NULL)
 * admits; the limit applies after the filter. A filter string longer than
 * LK_REC_STR_MAX is LK_ETOOBIG, a negative since LK_EINVAL.
 */
enum lk_err lk_store_audit_find(struct lk_store *s, const struct lk_audit_filter *f, int limit,
				struct lk_audit **out, size_t *n);

/*
 * Retention: deletes audit entries with at < before, oldest first, at most
 * limit of them (1 <= limit <= LK_AUDIT_DELETE_MAX, else LK_EINVAL). *deleted
 * (may be NULL) counts rows; a count equal to limit means more may remain.
 */
enum lk_err lk_store_audit_delete_before(struct lk_store *s, int64_t before, int limit,
					 int *deleted);

/* ---- Tokens (issue: token service): opaque access tokens, revoked JWT ids,
 * consumed client-assertion ids, registration access tokens ---- */

/*
 * As for the registry, every argument is checked before the database sees
 * it: a missing or empty required string (jti, client_id, subject) or a
 * negative time is LK_EINVAL, a string longer than LK_TOKEN_STR_MAX (scope:
 * LK_TOKEN_SCOPE_MAX) is LK_ETOOBIG, and nothing is changed. An optional
 * string (scope, audience) may be NULL, which is stored as "". Records
 * returned hold malloc'd strings, never NULL; free them with
 * lk_token_record_release.
 */
#define LK_TOKEN_STR_MAX 4096
#define LK_TOKEN_SCOPE_MAX 65536

/* An opaque access token, stored only as the SHA-256 of its value. */
struct lk_token_record {
	uint8_t hash[LK_SHA256_LEN];
	char *jti;
	char *client_id;
	char *subject;
	char *scope;
	char *audience;
	int64_t issued_at;
	int64_t expires_at;	 /* 0 = never */
	int64_t sliding_seconds; /* 0 = absolute; else each use moves expiry to now + this */
	char *grant_id;		 /* the user grant it belongs to (sign-in), "" for none */
	bool revoked;
};

/* Frees the members of a token record (not the struct). NULL-safe. */
void lk_token_record_release(struct lk_token_record *t);

/*
 * Stores an opaque access token (grant_id may be NULL or ""). LK_EEXIST for a duplicate hash;
 * LK_ENOTFOUND when client_id names no application. Tokens are deleted with their application.
 */
enum lk_err lk_store_token_insert(struct lk_store *s, const struct lk_token_record *t);

/* Reads the token whose hash is given. LK_ENOTFOUND. */
enum lk_err lk_store_token_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
			       struct lk_token_record *out);

/* Marks a token revoked. LK_ENOTFOUND when there is none. */
enum lk_err lk_store_token_revoke(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN]);

/*
 * Moves the expiry of a live sliding token to expires_at when that is later
 * than the stored one (never earlier, never for a revoked token).
 * A token that is absolute, never expires or is unknown is left alone, and
 * that is not an error. expires_at must be > 0 (0 would mean "never").
 */
enum lk_err lk_store_token_extend(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				  int64_t expires_at);

/*
 * Deletes what has expired at now: tokens with expires_at != 0 and <= now,
 * revoked JWT ids and consumed assertion ids past their expiry, at most
 * LK_STORE_JANITOR_BATCH rows of each table. *deleted (may be NULL) counts
 * rows; a count of LK_STORE_JANITOR_BATCH or more means more may remain.
 */
enum lk_err lk_store_tokens_delete_expired(struct lk_store *s, int64_t now, int *deleted);

/*
 * Records that the JWT access token jti is revoked until expires_at (when it
 * would have expired anyway). Idempotent.
 */
enum lk_err lk_store_jti_revoke(struct lk_store *s, const char *jti, int64_t expires_at);

/* Whether a JWT access token id was revoked. */
enum lk_err lk_store_jti_revoked(struct lk_store *s, const char *jti, bool *revoked);

/*
 * Consumes the jti of a client assertion (RFC 7523 §3: a JWT must not be
 * reused), remembered until expires_at. Atomic: of two concurrent uses of the
 * same (client_id, jti), exactly one gets LK_OK and the other LK_EEXIST.
 */
enum lk_err lk_store_assertion_use(struct lk_store *s, const char *client_id, const char *jti,
				   int64_t expires_at);

/*
 * RFC 7592 registration access token of a client: set (replacing any
 * previous one) and read back its SHA-256. get: LK_ENOTFOUND when none.
 */
enum lk_err lk_store_registration_token_set(struct lk_store *s, const char *client_id,
					    const uint8_t hash[LK_SHA256_LEN]);
enum lk_err lk_store_registration_token_get(struct lk_store *s, const char *client_id,
					    uint8_t hash[LK_SHA256_LEN]);

/* ---- Groups and SCIM identifiers (issue: SCIM) ---- */

/*
 * Groups. insert: *id (may be NULL) receives the new id; LK_EEXIST when the
 * display name is taken (case-insensitively); LK_ESTATE when a member id
 * names no user. Members are stored as given (duplicates collapse).
 */
enum lk_err lk_store_group_insert(struct lk_store *s, const struct lk_group *g, int64_t *id);

/* One group with its members. LK_ENOTFOUND. */
enum lk_err lk_store_group_get(struct lk_store *s, int64_t id, struct lk_group *out);

/* Every group with its members, by display name. */
enum lk_err lk_store_group_list(struct lk_store *s, struct lk_group **out, size_t *n);

/*
 * Replaces display_name, external_id, updated_at and the member list of
 * group g->id. LK_ENOTFOUND, LK_EEXIST, LK_ESTATE (unknown member).
 */
enum lk_err lk_store_group_update(struct lk_store *s, const struct lk_group *g);

/* Deletes a group (not its members). LK_ENOTFOUND. */
enum lk_err lk_store_group_delete(struct lk_store *s, int64_t id);

/*
 * The groups a user belongs to, by display name, without their member lists
 * (members NULL, nmembers 0). Deleting a user removes its memberships.
 */
enum lk_err lk_store_user_groups(struct lk_store *s, int64_t user_id, struct lk_group **out,
				 size_t *n);

/* ---- Sign-in (issue: sign-in and authorization code): sessions, pending
 * authorization requests, codes, refresh tokens, consents, throttling ---- */

/*
 * As elsewhere, every argument is checked first: a missing or empty required
 * string, a user_id <= 0 or a negative time is LK_EINVAL; a string longer than
 * LK_SIGNIN_STR_MAX (scope: LK_TOKEN_SCOPE_MAX, params: LK_AUTH_PARAMS_MAX) is
 * LK_ETOOBIG; nothing is changed. Optional strings may be NULL (stored as "").
 * Records returned hold malloc'd strings, never NULL, released with
 * lk_signin_record_release-style functions below. Sessions, codes, refresh
 * tokens and consents go with their user (ON DELETE CASCADE); codes,
 * refresh tokens and consents also go with their application.
 */
#define LK_SIGNIN_STR_MAX 4096
#define LK_AUTH_PARAMS_MAX 32768

/* A browser session, stored only as the SHA-256 of its cookie value. */
struct lk_session_record {
	uint8_t hash[LK_SHA256_LEN];
	char *sid; /* public session id (the OIDC sid claim), random */
	int64_t user_id;
	char *amr;	    /* authentication methods, space-separated ("pwd") */
	int64_t auth_time;  /* when the user last authenticated */
	int64_t last_seen;  /* the idle lifetime counts from here */
	int64_t expires_at; /* the absolute end (> 0) */
};
void lk_session_record_release(struct lk_session_record *r);

/* LK_EEXIST for a duplicate hash; LK_ENOTFOUND when user_id names no user. */
enum lk_err lk_store_session_insert(struct lk_store *s, const struct lk_session_record *r);

/* The session whose hash is given, expired or not (the caller checks). LK_ENOTFOUND. */
enum lk_err lk_store_session_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				 struct lk_session_record *out);

/* Sets last_seen (never moving it back). An unknown session is not an error. */
enum lk_err lk_store_session_touch(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				   int64_t last_seen);

/* Deletes a session. An unknown session is not an error. */
enum lk_err lk_store_session_delete(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN]);

/*
 * A pending authorization request, between /oauth2/authorize and the code:
 * what the login and consent pages continue. id is its public handle (in the
 * pages' URLs and forms); browser_hash the SHA-256 of the cookie of the
 * browser that started it, so that no other browser can continue it.
 */
struct lk_auth_request_record {
	char *id;
	uint8_t browser_hash[LK_SHA256_LEN];
	char *client_id;
	char *params; /* the validated request as JSON text (oauth/authorize.c) */
	int64_t created_at;
	int64_t expires_at;
	bool consented; /* the user allowed it on the consent page */
};
void lk_auth_request_record_release(struct lk_auth_request_record *r);

/* LK_EEXIST for a duplicate id; LK_ENOTFOUND when client_id names no application. */
enum lk_err lk_store_auth_request_insert(struct lk_store *s,
					 const struct lk_auth_request_record *r);

/* The pending request with id, expired or not. LK_ENOTFOUND. */
enum lk_err lk_store_auth_request_get(struct lk_store *s, const char *id,
				      struct lk_auth_request_record *out);

/* Marks it consented. LK_ENOTFOUND. */
enum lk_err lk_store_auth_request_set_consented(struct lk_store *s, const char *id);

/* Deletes it. An unknown id is not an error. */
enum lk_err lk_store_auth_request_delete(struct lk_store *s, const char *id);

/* An authorization code, stored only as the SHA-256 of its value. */
struct lk_code_record {
	uint8_t hash[LK_SHA256_LEN];
	char *grant_id; /* random; every token issued from the code carries it */
	char *client_id;
	char *redirect_uri; /* as the authorization request sent it; "" when absent */
	int64_t user_id;
	char *scope;
	char *nonce;	      /* "" when none */
	char *code_challenge; /* PKCE S256 challenge; "" when none */
	char *sid;	      /* the session it was issued in; "" when none */
	char *amr;
	char *claims; /* the claims request, normalised (oauth/claims.h); "" when none */
	int64_t auth_time;
	int64_t created_at;
	int64_t expires_at;
	int64_t used_at; /* 0 until redeemed */
};
void lk_code_record_release(struct lk_code_record *r);

/* LK_EEXIST for a duplicate hash; LK_ENOTFOUND for an unknown client or user. */
enum lk_err lk_store_code_insert(struct lk_store *s, const struct lk_code_record *r);

/*
 * Redeems a code atomically (RFC 6749 §4.1.2: single use): of any number of
 * concurrent calls for one code, exactly one gets LK_OK, with used_at set to
 * now. Later calls get LK_EEXIST, and *out is still filled (used_at as first
 * set) so that the caller can revoke what the first redemption issued.
 * LK_ENOTFOUND for an unknown code. Expiry is the caller's to check.
 */
enum lk_err lk_store_code_consume(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				  int64_t now, struct lk_code_record *out);

/* A refresh token, stored only as the SHA-256 of its value. */
struct lk_refresh_record {
	uint8_t hash[LK_SHA256_LEN];
	char *family; /* the grant_id shared by every rotation of it */
	char *client_id;
	int64_t user_id;
	char *scope; /* what it may be refreshed to (at most) */
	char *sid;
	char *amr;
	char *claims; /* the claims request of its grant, as the code had it */
	int64_t auth_time;
	int64_t issued_at;
	int64_t expires_at; /* > 0 */
	int64_t rotated_at; /* 0 while it is the family's current token */
	bool revoked;
};
void lk_refresh_record_release(struct lk_refresh_record *r);

/* LK_EEXIST for a duplicate hash; LK_ENOTFOUND for an unknown client or user. */
enum lk_err lk_store_refresh_insert(struct lk_store *s, const struct lk_refresh_record *r);

/* The refresh token whose hash is given, in whatever state. LK_ENOTFOUND. */
enum lk_err lk_store_refresh_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				 struct lk_refresh_record *out);

/*
 * Rotates a refresh token atomically: of concurrent calls for a token that is
 * current (rotated_at 0) and not revoked, exactly one gets LK_OK with
 * rotated_at set to now; every other call, and any call for a token already
 * rotated or revoked, gets LK_EEXIST with *out filled as stored, so that the
 * caller can revoke the family. LK_ENOTFOUND for an unknown token.
 */
enum lk_err lk_store_refresh_consume(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				     int64_t now, struct lk_refresh_record *out);

/*
 * Remembers that the JWT access token jti (expiring at expires_at) was issued
 * under grant_id for user_id, so that revoking the grant revokes it too.
 */
enum lk_err lk_store_grant_jti_add(struct lk_store *s, const char *grant_id, int64_t user_id,
				   const char *jti, int64_t expires_at);

/*
 * The claims request (OpenID Connect Core §5.5) of the authorization an
 * access token was issued for, filed under the token's jti for userinfo,
 * which finds the jti of either format through inspection. claims is the
 * normalised request (at most LK_SIGNIN_STR_MAX bytes); expires_at is the
 * token's expiry, or 0 while the token lives on (it never expires, or its
 * expiry slides): housekeeping then deletes the entry once no opaque token
 * of that jti remains. LK_EEXIST for a jti already filed.
 */
enum lk_err lk_store_token_claims_set(struct lk_store *s, const char *jti, const char *claims,
				      int64_t expires_at);

/* The claims request filed under jti (a new string the caller frees). LK_ENOTFOUND. */
enum lk_err lk_store_token_claims_get(struct lk_store *s, const char *jti, char **claims);

/*
 * Revokes everything issued under a grant (a code replay, a refresh token
 * reuse, RFC 7009 revocation of a refresh token): its refresh tokens, its
 * opaque access tokens, and its JWT access tokens (their jtis are added to
 * the revoked ones until they expire). Unredeemed codes of the grant are
 * used up. Idempotent; an unknown grant is not an error.
 */
enum lk_err lk_store_grant_revoke(struct lk_store *s, const char *grant_id, int64_t now);

/*
 * Ends everything a user holds (disabled, DESIGN §5): deletes their sessions
 * and pending codes, and revokes every grant of theirs as lk_store_grant_revoke
 * does. Idempotent.
 */
enum lk_err lk_store_user_revoke_grants(struct lk_store *s, int64_t user_id, int64_t now);

/*
 * The scopes user_id consented to for client_id (space-separated, a new
 * string the caller frees). LK_ENOTFOUND when there is no consent.
 */
enum lk_err lk_store_consent_get(struct lk_store *s, int64_t user_id, const char *client_id,
				 char **scope);

/* Sets (replaces) the consented scopes. LK_ENOTFOUND for an unknown user or client. */
enum lk_err lk_store_consent_set(struct lk_store *s, int64_t user_id, const char *client_id,
				 const char *scope, int64_t now);

/*
 * Failed sign-in counting for one key ("user:local\\alice", "addr:192.0.2.1").
 * The rules live in oauth/throttle.c; the store only keeps the numbers.
 */
struct lk_throttle_record {
	int failures;	      /* within the current window */
	int64_t window_start; /* when the window's first failure happened */
	int64_t locked_until; /* 0 = not locked */
	int64_t lock_seconds; /* the length of the last lock, 0 = none yet */
	int64_t expires_at;   /* when the row may be deleted */
};

/* LK_ENOTFOUND when the key has no record. */
enum lk_err lk_store_throttle_get(struct lk_store *s, const char *key,
				  struct lk_throttle_record *out);

/* Inserts or replaces the record of key. */
enum lk_err lk_store_throttle_put(struct lk_store *s, const char *key,
				  const struct lk_throttle_record *r);

/* Deletes the record of key. An unknown key is not an error. */
enum lk_err lk_store_throttle_delete(struct lk_store *s, const char *key);

/*
 * Housekeeping: deletes sessions past their absolute end, pending requests,
 * throttle records and grant jtis past their expiry, refresh tokens past
 * theirs, codes an hour past theirs (kept that long so that a late replay
 * still revokes what the code issued), and token claims past their expiry
 * or, for those without one, whose opaque token is gone; at most
 * LK_STORE_JANITOR_BATCH rows of each table. *deleted (may be NULL) counts
 * rows; a count of LK_STORE_JANITOR_BATCH or more means more may remain.
 */
enum lk_err lk_store_signin_delete_expired(struct lk_store *s, int64_t now, int *deleted);

/*
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): revokes, as
 * lk_store_grant_revoke does, every grant (refresh-token family) of which a
 * refresh token was issued to client_id in session sid: its refresh tokens,
 * opaque and JWT access tokens, and unredeemed codes. Other applications'
 * grants in that session, and the application's grants of other sessions,
 * stay. sid and client_id are required (an empty sid, as the password grant
 * stores, names no session). Idempotent; nothing to revoke is not an error.
 */
enum lk_err lk_store_refresh_revoke_session(struct lk_store *s, const char *sid,
					    const char *client_id, int64_t now);

/* ---- Upstream providers (DESIGN §3, [upstream.NAME]): sign-ins in flight
 * and the upstream identities linked to local users ---- */

/*
 * Arguments are checked as elsewhere: a missing or empty required string, a
 * user_id <= 0 or a negative time is LK_EINVAL, a string longer than
 * LK_UPSTREAM_STR_MAX is LK_ETOOBIG, and nothing is changed.
 */
#define LK_UPSTREAM_STR_MAX 1024

/*
 * One sign-in at an upstream in flight, between the redirect to it and its
 * callback: found by the SHA-256 of the state sent, bound to the browser
 * that started it (the SHA-256 of its lk_browser cookie), for the pending
 * authorization request request_id, through [upstream.NAME] upstream.
 */
struct lk_upstream_flow_record {
	uint8_t state_hash[LK_SHA256_LEN];
	char *upstream;
	char *request_id;
	uint8_t browser_hash[LK_SHA256_LEN];
	int64_t created_at;
	int64_t expires_at;
};
void lk_upstream_flow_record_release(struct lk_upstream_flow_record *r);

/* LK_EEXIST for a duplicate state hash. */
enum lk_err lk_store_upstream_flow_insert(struct lk_store *s,
					  const struct lk_upstream_flow_record *r);

/*
 * Takes the flow of state_hash out of the store and into *out, expired or
 * not (the caller checks): a callback is single-use, and of any number of
 * concurrent calls for one state exactly one gets LK_OK; the others, and
 * any later call, get LK_ENOTFOUND.
 */
enum lk_err lk_store_upstream_flow_consume(struct lk_store *s,
					   const uint8_t state_hash[LK_SHA256_LEN],
					   struct lk_upstream_flow_record *out);

/*
 * Deletes flows with expires_at <= now, at most LK_STORE_JANITOR_BATCH of
 * them; *deleted (may be NULL) counts rows. lk_store_signin_delete_expired
 * calls it too.
 */
enum lk_err lk_store_upstream_flows_delete_expired(struct lk_store *s, int64_t now, int *deleted);

/*
 * An upstream identity (the upstream's issuer and its sub) linked to a local
 * user; upstream is the [upstream.NAME] it was first seen through. Links go
 * with their user.
 */
struct lk_upstream_link_record {
	char *issuer;
	char *subject;
	int64_t user_id;
	char *upstream;
	int64_t created_at;
};
void lk_upstream_link_record_release(struct lk_upstream_link_record *r);

/*
 * Links an identity. LK_EEXIST when issuer and subject are linked already
 * (to whichever user); LK_ENOTFOUND when user_id names no user.
 */
enum lk_err lk_store_upstream_link_insert(struct lk_store *s,
					  const struct lk_upstream_link_record *r);

/* The link of issuer and subject (compared exactly). LK_ENOTFOUND. */
enum lk_err lk_store_upstream_link_get(struct lk_store *s, const char *issuer, const char *subject,
				       struct lk_upstream_link_record *out);

/*
 * How many identities are linked to user_id (0 for an unknown user), for
 * the tests and the administration pages.
 */
enum lk_err lk_store_upstream_link_count(struct lk_store *s, int64_t user_id, int64_t *n);

#endif
