/*
 * The SQLite backend's token state: opaque access tokens (by the SHA-256 of
 * their value), revoked JWT ids, consumed client-assertion ids and the
 * registration access tokens of RFC 7592. The statements are in
 * sqlite_int.h; store.c has checked every argument, so these functions only
 * move values between records and rows.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

/* The columns of TOKEN_COLUMNS; parameter ?N is column N-1. */
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

static int bind_token(sqlite3_stmt *st, const struct lk_token_record *t)
{
	int rc = lk_sqlite_bind_hash(st, T_HASH + 1, t->hash);

	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, T_JTI + 1, t->jti);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, T_CLIENT_ID + 1, t->client_id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, T_SUBJECT + 1, t->subject);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, T_SCOPE + 1, t->scope);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, T_AUDIENCE + 1, t->audience);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, T_ISSUED_AT + 1, t->issued_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, T_EXPIRES_AT + 1, t->expires_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, T_SLIDING + 1, t->sliding_seconds);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, T_REVOKED + 1, t->revoked ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, T_GRANT_ID + 1, t->grant_id);
	return rc;
}

enum lk_err lk_sqlite_token_insert(struct lk_store *base, const struct lk_token_record *t)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_TOKEN_INSERT, &st);

	if (!err)
		err = lk_sqlite_bound(s, ST_TOKEN_INSERT, st, bind_token(st, t));
	if (!err)
		err = lk_sqlite_step_done(s, ST_TOKEN_INSERT, st);
	/* The foreign key on client_id refuses a token of an unknown application. */
	if (err == LK_ESTATE)
		err = LK_ENOTFOUND;
	return err;
}

/* Fills a token record (zeroed) from the current row of ST_TOKEN_GET; empty on error. */
static enum lk_err read_token(sqlite3_stmt *st, void *rec)
{
	struct lk_token_record *t = rec;
	const struct lk_sqlite_text_col texts[] = {
		{T_JTI, &t->jti},     {T_CLIENT_ID, &t->client_id}, {T_SUBJECT, &t->subject},
		{T_SCOPE, &t->scope}, {T_AUDIENCE, &t->audience},   {T_GRANT_ID, &t->grant_id},
	};
	enum lk_err err = lk_sqlite_column_hash(st, T_HASH, t->hash);

	if (!err)
		err = lk_sqlite_column_texts(st, texts, sizeof(texts) / sizeof(texts[0]));
	if (err) {
		lk_token_record_release(t);
		return err;
	}
	t->issued_at = sqlite3_column_int64(st, T_ISSUED_AT);
	t->expires_at = sqlite3_column_int64(st, T_EXPIRES_AT);
	t->sliding_seconds = sqlite3_column_int64(st, T_SLIDING);
	t->revoked = sqlite3_column_int(st, T_REVOKED) != 0;
	return LK_OK;
}

enum lk_err lk_sqlite_token_get(struct lk_store *base, const uint8_t hash[LK_SHA256_LEN],
				struct lk_token_record *out)
{
	struct sqlite_store *s = conn(base);
	struct lk_token_record t = {0};
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_TOKEN_GET, &st);

	if (!err)
		err = lk_sqlite_bound(s, ST_TOKEN_GET, st, lk_sqlite_bind_hash(st, 1, hash));
	if (!err)
		err = lk_sqlite_read_one(s, ST_TOKEN_GET, st, read_token, &t);
	if (!err)
		*out = t;
	return err;
}

/* Revoking twice is not an error: the row is still matched, so still counted. */
enum lk_err lk_sqlite_token_revoke(struct lk_store *base, const uint8_t hash[LK_SHA256_LEN])
{
	int changed = 0;
	enum lk_err err =
		lk_sqlite_change_by_hash(conn(base), ST_TOKEN_REVOKE, hash, NULL, &changed);

	if (!err && changed == 0)
		err = LK_ENOTFOUND;
	return err;
}

/*
 * The conditions live in the statement, so that a revocation or a longer
 * extension committed by another connection between the caller's read and
 * this write is never undone.
 */
enum lk_err lk_sqlite_token_extend(struct lk_store *base, const uint8_t hash[LK_SHA256_LEN],
				   int64_t expires_at)
{
	return lk_sqlite_change_by_hash(conn(base), ST_TOKEN_EXTEND, hash, &expires_at, NULL);
}

/*
 * Three independent clean-ups, not one transaction: the caller may already
 * hold one, and a failure part way leaves rows that the next run deletes.
 */
enum lk_err lk_sqlite_tokens_delete_expired(struct lk_store *base, int64_t now, int *deleted)
{
	struct sqlite_store *s = conn(base);
	int n = 0;
	enum lk_err err = lk_sqlite_delete_by_time(s, ST_TOKEN_DELETE_EXPIRED, now, &n);

	if (!err)
		err = lk_sqlite_delete_by_time(s, ST_JTI_DELETE_EXPIRED, now, &n);
	if (!err)
		err = lk_sqlite_delete_by_time(s, ST_ASSERTION_DELETE_EXPIRED, now, &n);
	if (!err)
		*deleted = n;
	return err;
}

/*
 * A second revocation keeps the later expiry, so the id is remembered for as
 * long as any token carrying it could still be presented.
 */
enum lk_err lk_sqlite_jti_revoke(struct lk_store *base, const char *jti, int64_t expires_at)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_JTI_REVOKE, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, jti);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, expires_at);
	err = lk_sqlite_bound(s, ST_JTI_REVOKE, st, rc);
	return err ? err : lk_sqlite_step_done(s, ST_JTI_REVOKE, st);
}

enum lk_err lk_sqlite_jti_revoked(struct lk_store *base, const char *jti, bool *revoked)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_JTI_REVOKED, &st);
	int rc;

	if (!err)
		err = lk_sqlite_bound(s, ST_JTI_REVOKED, st, lk_sqlite_bind_text(st, 1, jti));
	if (err)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*revoked = sqlite3_column_int64(st, 0) > 0;
	else
		err = lk_sqlite_fail(s, rc, lk_sqlite_stmt_name(ST_JTI_REVOKED));
	lk_sqlite_done(st);
	return err;
}

/*
 * RFC 7523 §3: the single use rests on the primary key alone. Two
 * connections inserting the same (client_id, jti) are serialized by the
 * database's write lock, and the second insert fails its uniqueness check,
 * which lk_sqlite_fail reports as LK_EEXIST; no read-then-write race is
 * possible because nothing is read first.
 */
enum lk_err lk_sqlite_assertion_use(struct lk_store *base, const char *client_id, const char *jti,
				    int64_t expires_at)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_ASSERTION_USE, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, client_id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, jti);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, expires_at);
	err = lk_sqlite_bound(s, ST_ASSERTION_USE, st, rc);
	return err ? err : lk_sqlite_step_done(s, ST_ASSERTION_USE, st);
}

/* created_at records when the token was last replaced, for the administrator. */
enum lk_err lk_sqlite_registration_token_set(struct lk_store *base, const char *client_id,
					     const uint8_t hash[LK_SHA256_LEN])
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_REG_TOKEN_SET, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, client_id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_hash(st, 2, hash);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, lk_now());
	err = lk_sqlite_bound(s, ST_REG_TOKEN_SET, st, rc);
	if (!err)
		err = lk_sqlite_step_done(s, ST_REG_TOKEN_SET, st);
	/* The foreign key on client_id refuses a token of an unknown application. */
	if (err == LK_ESTATE)
		err = LK_ENOTFOUND;
	return err;
}

static enum lk_err read_reg_hash(sqlite3_stmt *st, void *rec)
{
	return lk_sqlite_column_hash(st, 0, rec);
}

enum lk_err lk_sqlite_registration_token_get(struct lk_store *base, const char *client_id,
					     uint8_t hash[LK_SHA256_LEN])
{
	struct sqlite_store *s = conn(base);
	uint8_t got[LK_SHA256_LEN];
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_REG_TOKEN_GET, &st);

	if (!err)
		err = lk_sqlite_bound(s, ST_REG_TOKEN_GET, st,
				      lk_sqlite_bind_text(st, 1, client_id));
	if (!err)
		err = lk_sqlite_read_one(s, ST_REG_TOKEN_GET, st, read_reg_hash, got);
	if (!err)
		memcpy(hash, got, LK_SHA256_LEN);
	return err;
}
