/*
 * The PostgreSQL backend's token state: opaque access tokens (by the SHA-256
 * of their value), revoked JWT ids, consumed client-assertion ids and the
 * registration access tokens of RFC 7592. store.c has checked every
 * argument, so these functions only move values between records and rows.
 */
#include "store/pg_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

/* The columns of access_tokens: column i is parameter $(i+1) of tokens_insert. */
#define TOKEN_COLUMNS                                                                              \
	"hash, jti, client_id, subject, scope, audience, issued_at, expires_at, "                  \
	"sliding_seconds, revoked, grant_id"

/* The columns of TOKEN_COLUMNS, in order. */
enum token_col {
	T_HASH = 0,
	T_JTI,
	T_CLIENT_ID,
	T_SUBJECT,
	T_SCOPE,
	T_AUDIENCE,
	T_ISSUED_AT,
	T_EXPIRES_AT,
	T_SLIDING,
	T_REVOKED,
	T_GRANT_ID,
};

static const struct lk_pg_stmt tokens_insert = {
	"tokens_insert",
	"INSERT INTO access_tokens (" TOKEN_COLUMNS ") "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
	11,
};

static const struct lk_pg_stmt tokens_get = {
	"tokens_get",
	"SELECT " TOKEN_COLUMNS " FROM access_tokens WHERE hash = $1",
	1,
};

static const struct lk_pg_stmt tokens_revoke = {
	"tokens_revoke",
	"UPDATE access_tokens SET revoked = 1 WHERE hash = $1",
	1,
};

static const struct lk_pg_stmt tokens_extend = {
	"tokens_extend",
	"UPDATE access_tokens SET expires_at = $2 WHERE hash = $1 AND revoked = 0 "
	"AND sliding_seconds > 0 AND expires_at <> 0 AND expires_at < $2",
	2,
};

static const struct lk_pg_stmt tokens_delete_expired = {
	"tokens_delete_expired",
	LK_PG_JANITOR_DELETE("access_tokens", "expires_at <> 0 AND expires_at <= $1"),
	1,
};

/*
 * A second revocation keeps the later expiry, so the id is remembered for as
 * long as any token carrying it could still be presented.
 */
static const struct lk_pg_stmt tokens_jti_revoke = {
	"tokens_jti_revoke",
	"INSERT INTO revoked_jtis (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) "
	"DO UPDATE SET expires_at = GREATEST(revoked_jtis.expires_at, EXCLUDED.expires_at)",
	2,
};

static const struct lk_pg_stmt tokens_jti_revoked = {
	"tokens_jti_revoked",
	"SELECT count(*) FROM revoked_jtis WHERE jti = $1",
	1,
};

static const struct lk_pg_stmt tokens_jti_delete_expired = {
	"tokens_jti_delete_expired",
	LK_PG_JANITOR_DELETE("revoked_jtis", "expires_at <= $1"),
	1,
};

/*
 * DO NOTHING rather than a unique violation, which would abort the caller's
 * transaction; a row not inserted is the reuse.
 */
static const struct lk_pg_stmt tokens_assertion_use = {
	"tokens_assertion_use",
	"INSERT INTO used_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3) "
	"ON CONFLICT (client_id, jti) DO NOTHING",
	3,
};

static const struct lk_pg_stmt tokens_assertion_delete_expired = {
	"tokens_assertion_delete_expired",
	LK_PG_JANITOR_DELETE("used_assertions", "expires_at <= $1"),
	1,
};

static const struct lk_pg_stmt tokens_reg_set = {
	"tokens_reg_set",
	"INSERT INTO registration_tokens (client_id, hash, created_at) VALUES ($1, $2, $3) "
	"ON CONFLICT (client_id) DO UPDATE "
	"SET hash = EXCLUDED.hash, created_at = EXCLUDED.created_at",
	3,
};

static const struct lk_pg_stmt tokens_reg_get = {
	"tokens_reg_get",
	"SELECT hash FROM registration_tokens WHERE client_id = $1",
	1,
};

/* Runs st, which takes one hash ($1) and returns no rows; *changed may be NULL. */
static enum lk_err change_by_hash(struct lk_pg *pg, const struct lk_pg_stmt *st,
				  const uint8_t hash[LK_SHA256_LEN], const int64_t *t,
				  int64_t *changed)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_bytes(&p, hash, LK_SHA256_LEN);
	if (t)
		lk_pg_param_int(&p, *t);
	return lk_pg_exec(pg, st, &p, changed);
}

/* Runs st, which deletes by one time ($1), and adds the rows it deleted to *deleted. */
static enum lk_err delete_by_time(struct lk_pg *pg, const struct lk_pg_stmt *st, int64_t now,
				  int *deleted)
{
	struct lk_pg_params p;
	int64_t changed = 0;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, now);
	err = lk_pg_exec(pg, st, &p, &changed);
	if (!err)
		*deleted = changed > INT_MAX - *deleted ? INT_MAX : *deleted + (int)changed;
	return err;
}

enum lk_err lk_pg_token_insert(struct lk_store *s, const struct lk_token_record *t)
{
	struct lk_pg_params p;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_bytes(&p, t->hash, LK_SHA256_LEN);
	lk_pg_param_text(&p, t->jti);
	lk_pg_param_text(&p, t->client_id);
	lk_pg_param_text(&p, t->subject);
	lk_pg_param_text(&p, t->scope);
	lk_pg_param_text(&p, t->audience);
	lk_pg_param_int(&p, t->issued_at);
	lk_pg_param_int(&p, t->expires_at);
	lk_pg_param_int(&p, t->sliding_seconds);
	lk_pg_param_bool(&p, t->revoked);
	lk_pg_param_text(&p, t->grant_id);
	err = lk_pg_exec(lk_pg_of(s), &tokens_insert, &p, NULL);
	/* The foreign key on client_id refuses a token of an unknown application. */
	if (err == LK_ESTATE)
		err = LK_ENOTFOUND;
	return err;
}

/* Fills a token record (zeroed) from row 0 of r; empty on error. */
static enum lk_err read_token(const PGresult *r, struct lk_token_record *t)
{
	const struct lk_pg_text_col texts[] = {
		{T_JTI, &t->jti},     {T_CLIENT_ID, &t->client_id}, {T_SUBJECT, &t->subject},
		{T_SCOPE, &t->scope}, {T_AUDIENCE, &t->audience},   {T_GRANT_ID, &t->grant_id},
	};
	enum lk_err err = lk_pg_get_bytes(r, 0, T_HASH, t->hash, LK_SHA256_LEN);

	if (!err)
		err = lk_pg_get_texts(r, texts, sizeof(texts) / sizeof(texts[0]));
	if (err) {
		lk_token_record_release(t);
		return err;
	}
	t->issued_at = lk_pg_get_int(r, 0, T_ISSUED_AT);
	t->expires_at = lk_pg_get_int(r, 0, T_EXPIRES_AT);
	t->sliding_seconds = lk_pg_get_int(r, 0, T_SLIDING);
	t->revoked = lk_pg_get_bool(r, 0, T_REVOKED);
	return LK_OK;
}

enum lk_err lk_pg_token_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
			    struct lk_token_record *out)
{
	struct lk_token_record t = {0};
	struct lk_pg_params p;
	PGresult *r = NULL;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_bytes(&p, hash, LK_SHA256_LEN);
	err = lk_pg_run(lk_pg_of(s), &tokens_get, &p, &r);
	if (err)
		goto out;
	if (PQntuples(r) == 0) {
		err = LK_ENOTFOUND;
		goto out;
	}
	err = read_token(r, &t);
	if (!err)
		*out = t;
out:
	PQclear(r);
	return err;
}

/* Revoking twice is not an error: the row is still matched, so still counted. */
enum lk_err lk_pg_token_revoke(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN])
{
	int64_t changed = 0;
	enum lk_err err = change_by_hash(lk_pg_of(s), &tokens_revoke, hash, NULL, &changed);

	if (!err && changed == 0)
		err = LK_ENOTFOUND;
	return err;
}

/*
 * The conditions live in the statement, so that a revocation or a longer
 * extension committed by another connection between the caller's read and
 * this write is never undone: the update re-checks them on the row it locks.
 */
enum lk_err lk_pg_token_extend(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
			       int64_t expires_at)
{
	return change_by_hash(lk_pg_of(s), &tokens_extend, hash, &expires_at, NULL);
}

/*
 * Three independent clean-ups, not one transaction: the caller may already
 * hold one, and a failure part way leaves rows that the next run deletes.
 */
enum lk_err lk_pg_tokens_delete_expired(struct lk_store *s, int64_t now, int *deleted)
{
	struct lk_pg *pg = lk_pg_of(s);
	int n = 0;
	enum lk_err err = delete_by_time(pg, &tokens_delete_expired, now, &n);

	if (!err)
		err = delete_by_time(pg, &tokens_jti_delete_expired, now, &n);
	if (!err)
		err = delete_by_time(pg, &tokens_assertion_delete_expired, now, &n);
	if (!err)
		*deleted = n;
	return err;
}

enum lk_err lk_pg_jti_revoke(struct lk_store *s, const char *jti, int64_t expires_at)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, jti);
	lk_pg_param_int(&p, expires_at);
	return lk_pg_exec(lk_pg_of(s), &tokens_jti_revoke, &p, NULL);
}

enum lk_err lk_pg_jti_revoked(struct lk_store *s, const char *jti, bool *revoked)
{
	struct lk_pg_params p;
	PGresult *r = NULL;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, jti);
	err = lk_pg_run(lk_pg_of(s), &tokens_jti_revoked, &p, &r);
	if (!err && PQntuples(r) != 1)
		err = LK_ESTORE;
	if (!err)
		*revoked = lk_pg_get_int(r, 0, 0) > 0;
	PQclear(r);
	return err;
}

/*
 * RFC 7523 §3: the single use rests on the primary key alone. Of two
 * connections inserting the same (client_id, jti), the second waits on the
 * first's uninserted key until the first's transaction ends, then inserts
 * nothing if it committed; no read-then-write race is possible because
 * nothing is read first.
 */
enum lk_err lk_pg_assertion_use(struct lk_store *s, const char *client_id, const char *jti,
				int64_t expires_at)
{
	struct lk_pg_params p;
	int64_t changed = 0;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, client_id);
	lk_pg_param_text(&p, jti);
	lk_pg_param_int(&p, expires_at);
	err = lk_pg_exec(lk_pg_of(s), &tokens_assertion_use, &p, &changed);
	if (!err && changed == 0)
		err = LK_EEXIST;
	return err;
}

/* created_at records when the token was last replaced, for the administrator. */
enum lk_err lk_pg_registration_token_set(struct lk_store *s, const char *client_id,
					 const uint8_t hash[LK_SHA256_LEN])
{
	struct lk_pg_params p;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, client_id);
	lk_pg_param_bytes(&p, hash, LK_SHA256_LEN);
	lk_pg_param_int(&p, lk_now());
	err = lk_pg_exec(lk_pg_of(s), &tokens_reg_set, &p, NULL);
	/* The foreign key on client_id refuses a token of an unknown application. */
	if (err == LK_ESTATE)
		err = LK_ENOTFOUND;
	return err;
}

enum lk_err lk_pg_registration_token_get(struct lk_store *s, const char *client_id,
					 uint8_t hash[LK_SHA256_LEN])
{
	uint8_t got[LK_SHA256_LEN];
	struct lk_pg_params p;
	PGresult *r = NULL;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, client_id);
	err = lk_pg_run(lk_pg_of(s), &tokens_reg_get, &p, &r);
	if (!err && PQntuples(r) == 0)
		err = LK_ENOTFOUND;
	if (!err)
		err = lk_pg_get_bytes(r, 0, 0, got, LK_SHA256_LEN);
	if (!err)
		memcpy(hash, got, LK_SHA256_LEN);
	PQclear(r);
	return err;
}
