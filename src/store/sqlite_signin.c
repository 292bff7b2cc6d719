/*
 * The SQLite backend's sign-in state: browser sessions, pending
 * authorization requests, authorization codes, refresh tokens, the JWT ids
 * of each grant, the claims requests of access tokens, consents and failed
 * sign-in counts. The statements are in
 * sqlite_int.h; store.c has checked every argument, so these functions only
 * move values between records and rows.
 *
 * Two things here are more than one statement. Redeeming a code or rotating
 * a refresh token is a conditional update (only while used_at or rotated_at
 * is 0) followed by a read of the row: the update alone decides which of
 * several concurrent callers wins, since the database serializes writers and
 * each one re-checks the condition under the write lock; the read tells the
 * losers what they lost to. Revoking a grant, all of a user's grants, or
 * an application's grants of one session touches several tables. Both run
 * inside a savepoint (lk_sqlite_unit_begin), so that they stay one unit
 * whether or not the caller holds a transaction.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

/* The columns of SESSION_COLUMNS; parameter ?N is column N-1. */
enum session_col {
	S_HASH = 0,
	S_SID,
	S_USER_ID,
	S_AMR,
	S_AUTH_TIME,
	S_LAST_SEEN,
	S_EXPIRES_AT,
};

/* The columns of AUTH_REQUEST_COLUMNS; parameter ?N is column N-1. */
enum auth_request_col {
	A_ID = 0,
	A_BROWSER_HASH,
	A_CLIENT_ID,
	A_PARAMS,
	A_CREATED_AT,
	A_EXPIRES_AT,
	A_CONSENTED,
};

/* The columns of CODE_COLUMNS; parameter ?N is column N-1. */
enum code_col {
	C_HASH = 0,
	C_GRANT_ID,
	C_CLIENT_ID,
	C_REDIRECT_URI,
	C_USER_ID,
	C_SCOPE,
	C_NONCE,
	C_CODE_CHALLENGE,
	C_SID,
	C_AMR,
	C_AUTH_TIME,
	C_CREATED_AT,
	C_EXPIRES_AT,
	C_USED_AT,
	C_CLAIMS,
};

/* The columns of REFRESH_COLUMNS; parameter ?N is column N-1. */
enum refresh_col {
	R_HASH = 0,
	R_FAMILY,
	R_CLIENT_ID,
	R_USER_ID,
	R_SCOPE,
	R_SID,
	R_AMR,
	R_AUTH_TIME,
	R_ISSUED_AT,
	R_EXPIRES_AT,
	R_ROTATED_AT,
	R_REVOKED,
	R_CLAIMS,
};

/* The columns of THROTTLE_COLUMNS; parameter ?N is column N-2 (the key is ?1). */
enum throttle_col {
	TH_FAILURES = 0,
	TH_WINDOW_START,
	TH_LOCKED_UNTIL,
	TH_LOCK_SECONDS,
	TH_EXPIRES_AT,
};

/* Steps a bound insert. A foreign key refuses a row of an unknown user or client. */
static enum lk_err insert_bound(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st, int rc)
{
	enum lk_err err = lk_sqlite_bound(s, id, st, rc);

	if (!err)
		err = lk_sqlite_step_done(s, id, st);
	if (err == LK_ESTATE)
		err = LK_ENOTFOUND;
	return err;
}

/* Reads the one row that the statement id finds by hash (?1) into rec. LK_ENOTFOUND. */
static enum lk_err get_by_hash(struct sqlite_store *s, enum stmt_id id,
			       const uint8_t hash[LK_SHA256_LEN],
			       enum lk_err (*read)(sqlite3_stmt *st, void *rec), void *rec)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);

	if (!err)
		err = lk_sqlite_bound(s, id, st, lk_sqlite_bind_hash(st, 1, hash));
	return err ? err : lk_sqlite_read_one(s, id, st, read, rec);
}

/* Reads the one row that the statement id finds by a text key (?1) into rec. LK_ENOTFOUND. */
static enum lk_err get_by_text(struct sqlite_store *s, enum stmt_id id, const char *key,
			       enum lk_err (*read)(sqlite3_stmt *st, void *rec), void *rec)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);

	if (!err)
		err = lk_sqlite_bound(s, id, st, lk_sqlite_bind_text(st, 1, key));
	return err ? err : lk_sqlite_read_one(s, id, st, read, rec);
}

/*
 * Runs the statement id, which takes a text key (?1) and returns no rows;
 * *changed (may be NULL) receives the rows it changed.
 */
static enum lk_err change_by_text(struct sqlite_store *s, enum stmt_id id, const char *key,
				  int *changed)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);

	if (!err)
		err = lk_sqlite_bound(s, id, st, lk_sqlite_bind_text(st, 1, key));
	if (!err)
		err = lk_sqlite_step_done(s, id, st);
	if (!err && changed)
		*changed = sqlite3_changes(s->db);
	return err;
}

/*
 * The single use of a code or a refresh token: the update use sets the mark
 * (?2 = now) only where it is still 0, then get reads the row as it now
 * stands into rec, in one unit so that the row read is the row the update
 * saw. *won tells whether this call set the mark. LK_ENOTFOUND when there is
 * no such row. On error rec is left for the caller's release function.
 */
static enum lk_err consume(struct sqlite_store *s, enum stmt_id use, enum stmt_id get,
			   const uint8_t hash[LK_SHA256_LEN], int64_t now,
			   enum lk_err (*read)(sqlite3_stmt *st, void *rec), void *rec, bool *won)
{
	bool outer = false;
	int changed = 0;
	enum lk_err err = lk_sqlite_unit_begin(s, &outer);

	if (err)
		return err;
	err = lk_sqlite_change_by_hash(s, use, hash, &now, &changed);
	if (!err)
		err = get_by_hash(s, get, hash, read, rec);
	err = lk_sqlite_unit_end(s, outer, err);
	if (!err)
		*won = changed > 0;
	return err;
}

/* ---- Sessions ---- */

enum lk_err lk_sqlite_session_insert(struct lk_store *base, const struct lk_session_record *r)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_SESSION_INSERT, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_hash(st, S_HASH + 1, r->hash);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, S_SID + 1, r->sid);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, S_USER_ID + 1, r->user_id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, S_AMR + 1, r->amr);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, S_AUTH_TIME + 1, r->auth_time);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, S_LAST_SEEN + 1, r->last_seen);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, S_EXPIRES_AT + 1, r->expires_at);
	return insert_bound(s, ST_SESSION_INSERT, st, rc);
}

/* Fills a session (zeroed) from the current row; empty on error. */
static enum lk_err read_session(sqlite3_stmt *st, void *rec)
{
	struct lk_session_record *r = rec;
	const struct lk_sqlite_text_col texts[] = {{S_SID, &r->sid}, {S_AMR, &r->amr}};
	enum lk_err err = lk_sqlite_column_hash(st, S_HASH, r->hash);

	if (!err)
		err = lk_sqlite_column_texts(st, texts, sizeof(texts) / sizeof(texts[0]));
	if (err) {
		lk_session_record_release(r);
		return err;
	}
	r->user_id = sqlite3_column_int64(st, S_USER_ID);
	r->auth_time = sqlite3_column_int64(st, S_AUTH_TIME);
	r->last_seen = sqlite3_column_int64(st, S_LAST_SEEN);
	r->expires_at = sqlite3_column_int64(st, S_EXPIRES_AT);
	return LK_OK;
}

enum lk_err lk_sqlite_session_get(struct lk_store *base, const uint8_t hash[LK_SHA256_LEN],
				  struct lk_session_record *out)
{
	struct lk_session_record r = {0};
	enum lk_err err = get_by_hash(conn(base), ST_SESSION_GET, hash, read_session, &r);

	if (!err)
		*out = r;
	return err;
}

/*
 * The condition lives in the statement, so that a later last_seen written by
 * another connection between the caller's read and this write stays.
 */
enum lk_err lk_sqlite_session_touch(struct lk_store *base, const uint8_t hash[LK_SHA256_LEN],
				    int64_t last_seen)
{
	return lk_sqlite_change_by_hash(conn(base), ST_SESSION_TOUCH, hash, &last_seen, NULL);
}

enum lk_err lk_sqlite_session_delete(struct lk_store *base, const uint8_t hash[LK_SHA256_LEN])
{
	return lk_sqlite_change_by_hash(conn(base), ST_SESSION_DELETE, hash, NULL, NULL);
}

/* ---- Pending authorization requests ---- */

enum lk_err lk_sqlite_auth_request_insert(struct lk_store *base,
					  const struct lk_auth_request_record *r)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_AUTH_REQUEST_INSERT, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, A_ID + 1, r->id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_hash(st, A_BROWSER_HASH + 1, r->browser_hash);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, A_CLIENT_ID + 1, r->client_id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, A_PARAMS + 1, r->params);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, A_CREATED_AT + 1, r->created_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, A_EXPIRES_AT + 1, r->expires_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, A_CONSENTED + 1, r->consented ? 1 : 0);
	return insert_bound(s, ST_AUTH_REQUEST_INSERT, st, rc);
}

/* Fills a pending request (zeroed) from the current row; empty on error. */
static enum lk_err read_auth_request(sqlite3_stmt *st, void *rec)
{
	struct lk_auth_request_record *r = rec;
	const struct lk_sqlite_text_col texts[] = {
		{A_ID, &r->id},
		{A_CLIENT_ID, &r->client_id},
		{A_PARAMS, &r->params},
	};
	enum lk_err err = lk_sqlite_column_hash(st, A_BROWSER_HASH, r->browser_hash);

	if (!err)
		err = lk_sqlite_column_texts(st, texts, sizeof(texts) / sizeof(texts[0]));
	if (err) {
		lk_auth_request_record_release(r);
		return err;
	}
	r->created_at = sqlite3_column_int64(st, A_CREATED_AT);
	r->expires_at = sqlite3_column_int64(st, A_EXPIRES_AT);
	r->consented = sqlite3_column_int(st, A_CONSENTED) != 0;
	return LK_OK;
}

enum lk_err lk_sqlite_auth_request_get(struct lk_store *base, const char *id,
				       struct lk_auth_request_record *out)
{
	struct lk_auth_request_record r = {0};
	enum lk_err err = get_by_text(conn(base), ST_AUTH_REQUEST_GET, id, read_auth_request, &r);

	if (!err)
		*out = r;
	return err;
}

/* Consenting twice is not an error: the row is still matched, so still counted. */
enum lk_err lk_sqlite_auth_request_set_consented(struct lk_store *base, const char *id)
{
	int changed = 0;
	enum lk_err err = change_by_text(conn(base), ST_AUTH_REQUEST_CONSENT, id, &changed);

	if (!err && changed == 0)
		err = LK_ENOTFOUND;
	return err;
}

enum lk_err lk_sqlite_auth_request_delete(struct lk_store *base, const char *id)
{
	return change_by_text(conn(base), ST_AUTH_REQUEST_DELETE, id, NULL);
}

/* ---- Authorization codes ---- */

static int bind_code(sqlite3_stmt *st, const struct lk_code_record *r)
{
	const struct {
		int col;
		const char *v;
	} texts[] = {
		{C_GRANT_ID, r->grant_id},
		{C_CLIENT_ID, r->client_id},
		{C_REDIRECT_URI, r->redirect_uri},
		{C_SCOPE, r->scope},
		{C_NONCE, r->nonce},
		{C_CODE_CHALLENGE, r->code_challenge},
		{C_SID, r->sid},
		{C_AMR, r->amr},
		{C_CLAIMS, r->claims},
	};
	int rc = lk_sqlite_bind_hash(st, C_HASH + 1, r->hash);

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]) && rc == SQLITE_OK; i++)
		rc = lk_sqlite_bind_text(st, texts[i].col + 1, texts[i].v);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_USER_ID + 1, r->user_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_AUTH_TIME + 1, r->auth_time);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_CREATED_AT + 1, r->created_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_EXPIRES_AT + 1, r->expires_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_USED_AT + 1, r->used_at);
	return rc;
}

enum lk_err lk_sqlite_code_insert(struct lk_store *base, const struct lk_code_record *r)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_CODE_INSERT, &st);

	return err ? err : insert_bound(s, ST_CODE_INSERT, st, bind_code(st, r));
}

/* Fills a code (zeroed) from the current row; empty on error. */
static enum lk_err read_code(sqlite3_stmt *st, void *rec)
{
	struct lk_code_record *r = rec;
	const struct lk_sqlite_text_col texts[] = {
		{C_GRANT_ID, &r->grant_id},
		{C_CLIENT_ID, &r->client_id},
		{C_REDIRECT_URI, &r->redirect_uri},
		{C_SCOPE, &r->scope},
		{C_NONCE, &r->nonce},
		{C_CODE_CHALLENGE, &r->code_challenge},
		{C_SID, &r->sid},
		{C_AMR, &r->amr},
		{C_CLAIMS, &r->claims},
	};
	enum lk_err err = lk_sqlite_column_hash(st, C_HASH, r->hash);

	if (!err)
		err = lk_sqlite_column_texts(st, texts, sizeof(texts) / sizeof(texts[0]));
	if (err) {
		lk_code_record_release(r);
		return err;
	}
	r->user_id = sqlite3_column_int64(st, C_USER_ID);
	r->auth_time = sqlite3_column_int64(st, C_AUTH_TIME);
	r->created_at = sqlite3_column_int64(st, C_CREATED_AT);
	r->expires_at = sqlite3_column_int64(st, C_EXPIRES_AT);
	r->used_at = sqlite3_column_int64(st, C_USED_AT);
	return LK_OK;
}

/* RFC 6749 §4.1.2: a code is single-use; see consume() for why this is atomic. */
enum lk_err lk_sqlite_code_consume(struct lk_store *base, const uint8_t hash[LK_SHA256_LEN],
				   int64_t now, struct lk_code_record *out)
{
	struct lk_code_record r = {0};
	bool won = false;
	enum lk_err err =
		consume(conn(base), ST_CODE_USE, ST_CODE_GET, hash, now, read_code, &r, &won);

	if (err) {
		lk_code_record_release(&r);
		return err;
	}
	*out = r;
	return won ? LK_OK : LK_EEXIST;
}

/* ---- Refresh tokens ---- */

static int bind_refresh(sqlite3_stmt *st, const struct lk_refresh_record *r)
{
	const struct {
		int col;
		const char *v;
	} texts[] = {
		{R_FAMILY, r->family}, {R_CLIENT_ID, r->client_id},
		{R_SCOPE, r->scope},   {R_SID, r->sid},
		{R_AMR, r->amr},       {R_CLAIMS, r->claims},
	};
	int rc = lk_sqlite_bind_hash(st, R_HASH + 1, r->hash);

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]) && rc == SQLITE_OK; i++)
		rc = lk_sqlite_bind_text(st, texts[i].col + 1, texts[i].v);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, R_USER_ID + 1, r->user_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, R_AUTH_TIME + 1, r->auth_time);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, R_ISSUED_AT + 1, r->issued_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, R_EXPIRES_AT + 1, r->expires_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, R_ROTATED_AT + 1, r->rotated_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, R_REVOKED + 1, r->revoked ? 1 : 0);
	return rc;
}

enum lk_err lk_sqlite_refresh_insert(struct lk_store *base, const struct lk_refresh_record *r)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_REFRESH_INSERT, &st);

	return err ? err : insert_bound(s, ST_REFRESH_INSERT, st, bind_refresh(st, r));
}

/* Fills a refresh token (zeroed) from the current row; empty on error. */
static enum lk_err read_refresh(sqlite3_stmt *st, void *rec)
{
	struct lk_refresh_record *r = rec;
	const struct lk_sqlite_text_col texts[] = {
		{R_FAMILY, &r->family}, {R_CLIENT_ID, &r->client_id},
		{R_SCOPE, &r->scope},	{R_SID, &r->sid},
		{R_AMR, &r->amr},	{R_CLAIMS, &r->claims},
	};
	enum lk_err err = lk_sqlite_column_hash(st, R_HASH, r->hash);

	if (!err)
		err = lk_sqlite_column_texts(st, texts, sizeof(texts) / sizeof(texts[0]));
	if (err) {
		lk_refresh_record_release(r);
		return err;
	}
	r->user_id = sqlite3_column_int64(st, R_USER_ID);
	r->auth_time = sqlite3_column_int64(st, R_AUTH_TIME);
	r->issued_at = sqlite3_column_int64(st, R_ISSUED_AT);
	r->expires_at = sqlite3_column_int64(st, R_EXPIRES_AT);
	r->rotated_at = sqlite3_column_int64(st, R_ROTATED_AT);
	r->revoked = sqlite3_column_int(st, R_REVOKED) != 0;
	return LK_OK;
}

enum lk_err lk_sqlite_refresh_get(struct lk_store *base, const uint8_t hash[LK_SHA256_LEN],
				  struct lk_refresh_record *out)
{
	struct lk_refresh_record r = {0};
	enum lk_err err = get_by_hash(conn(base), ST_REFRESH_GET, hash, read_refresh, &r);

	if (!err)
		*out = r;
	return err;
}

/*
 * Rotation (RFC 9700 §4.14.2): only the family's current, unrevoked token
 * may be used, once; see consume() for why this is atomic.
 */
enum lk_err lk_sqlite_refresh_consume(struct lk_store *base, const uint8_t hash[LK_SHA256_LEN],
				      int64_t now, struct lk_refresh_record *out)
{
	struct lk_refresh_record r = {0};
	bool won = false;
	enum lk_err err = consume(conn(base), ST_REFRESH_ROTATE, ST_REFRESH_GET, hash, now,
				  read_refresh, &r, &won);

	if (err) {
		lk_refresh_record_release(&r);
		return err;
	}
	*out = r;
	return won ? LK_OK : LK_EEXIST;
}

/* ---- Grants ---- */

/* Adding the same id twice keeps the later expiry, as lk_sqlite_jti_revoke does. */
enum lk_err lk_sqlite_grant_jti_add(struct lk_store *base, const char *grant_id, int64_t user_id,
				    const char *jti, int64_t expires_at)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_GRANT_JTI_ADD, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, grant_id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, jti);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, user_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, expires_at);
	err = lk_sqlite_bound(s, ST_GRANT_JTI_ADD, st, rc);
	return err ? err : lk_sqlite_step_done(s, ST_GRANT_JTI_ADD, st);
}

/* ---- Token claims ---- */

enum lk_err lk_sqlite_token_claims_set(struct lk_store *base, const char *jti, const char *claims,
				       int64_t expires_at)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_TOKEN_CLAIMS_SET, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, jti);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, claims);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, expires_at);
	err = lk_sqlite_bound(s, ST_TOKEN_CLAIMS_SET, st, rc);
	return err ? err : lk_sqlite_step_done(s, ST_TOKEN_CLAIMS_SET, st);
}

static enum lk_err read_claims(sqlite3_stmt *st, void *rec)
{
	return lk_sqlite_column_text(st, 0, rec);
}

enum lk_err lk_sqlite_token_claims_get(struct lk_store *base, const char *jti, char **claims)
{
	char *text = NULL;
	enum lk_err err = get_by_text(conn(base), ST_TOKEN_CLAIMS_GET, jti, read_claims, &text);

	if (!err)
		*claims = text;
	return err;
}

/*
 * Runs one step of a revocation: ?1 is grant_id, or user_id when grant_id is
 * NULL, and ?2 is now for the steps that write a time.
 */
static enum lk_err revoke_step(struct sqlite_store *s, enum stmt_id id, const char *grant_id,
			       int64_t user_id, int64_t now)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);
	int rc;

	if (err)
		return err;
	rc = grant_id ? lk_sqlite_bind_text(st, 1, grant_id) : sqlite3_bind_int64(st, 1, user_id);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(st) >= 2)
		rc = sqlite3_bind_int64(st, 2, now);
	err = lk_sqlite_bound(s, id, st, rc);
	return err ? err : lk_sqlite_step_done(s, id, st);
}

/*
 * Runs the n steps of a revocation as one unit: all of it happens, or none.
 * Each list starts with a write, so that a unit of its own takes the write
 * lock before it reads anything (see lk_sqlite_unit_begin).
 */
static enum lk_err revoke(struct sqlite_store *s, const enum stmt_id *steps, size_t n,
			  const char *grant_id, int64_t user_id, int64_t now)
{
	bool outer = false;
	enum lk_err err = lk_sqlite_unit_begin(s, &outer);

	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++)
		err = revoke_step(s, steps[i], grant_id, user_id, now);
	return lk_sqlite_unit_end(s, outer, err);
}

/*
 * The grant's refresh tokens, opaque access tokens and JWT access tokens,
 * and its codes not yet redeemed, so that the code cannot issue anything
 * more after a replay was noticed.
 */
static const enum stmt_id grant_steps[] = {
	ST_GRANT_REVOKE_REFRESH,
	ST_GRANT_REVOKE_TOKENS,
	ST_GRANT_REVOKE_JTIS,
	ST_GRANT_USE_CODES,
};

enum lk_err lk_sqlite_grant_revoke(struct lk_store *base, const char *grant_id, int64_t now)
{
	return revoke(conn(base), grant_steps, sizeof(grant_steps) / sizeof(grant_steps[0]),
		      grant_id, 0, now);
}

/*
 * The user's sessions end; their codes not yet redeemed are used up rather
 * than deleted, so that a later attempt to redeem one is still seen as a
 * replay. Access tokens go before refresh tokens only because the statement
 * that finds them reads the refresh tokens; neither is deleted.
 */
static const enum stmt_id user_steps[] = {
	ST_USER_END_SESSIONS,	ST_USER_USE_CODES,   ST_USER_REVOKE_TOKENS,
	ST_USER_REVOKE_REFRESH, ST_USER_REVOKE_JTIS,
};

enum lk_err lk_sqlite_user_revoke_grants(struct lk_store *base, int64_t user_id, int64_t now)
{
	return revoke(conn(base), user_steps, sizeof(user_steps) / sizeof(user_steps[0]), NULL,
		      user_id, now);
}

/*
 * A session's grants of one application (RP-initiated logout): the same
 * four steps as a grant's, for every family SESSION_FAMILIES names. Each
 * statement takes ?1 sid, ?2 client_id and, when it writes a time, ?3 now.
 */
static const enum stmt_id session_steps[] = {
	ST_SESSION_REVOKE_REFRESH,
	ST_SESSION_REVOKE_TOKENS,
	ST_SESSION_REVOKE_JTIS,
	ST_SESSION_USE_CODES,
};

static enum lk_err session_step(struct sqlite_store *s, enum stmt_id id, const char *sid,
				const char *client_id, int64_t now)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, sid);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, client_id);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(st) >= 3)
		rc = sqlite3_bind_int64(st, 3, now);
	err = lk_sqlite_bound(s, id, st, rc);
	return err ? err : lk_sqlite_step_done(s, id, st);
}

enum lk_err lk_sqlite_refresh_revoke_session(struct lk_store *base, const char *sid,
					     const char *client_id, int64_t now)
{
	struct sqlite_store *s = conn(base);
	bool outer = false;
	enum lk_err err = lk_sqlite_unit_begin(s, &outer);

	if (err)
		return err;
	for (size_t i = 0; i < sizeof(session_steps) / sizeof(session_steps[0]) && !err; i++)
		err = session_step(s, session_steps[i], sid, client_id, now);
	return lk_sqlite_unit_end(s, outer, err);
}

/* ---- Consents ---- */

static enum lk_err read_scope(sqlite3_stmt *st, void *rec)
{
	return lk_sqlite_column_text(st, 0, rec);
}

enum lk_err lk_sqlite_consent_get(struct lk_store *base, int64_t user_id, const char *client_id,
				  char **scope)
{
	struct sqlite_store *s = conn(base);
	char *got = NULL;
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_CONSENT_GET, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_int64(st, 1, user_id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, client_id);
	err = lk_sqlite_bound(s, ST_CONSENT_GET, st, rc);
	if (!err)
		err = lk_sqlite_read_one(s, ST_CONSENT_GET, st, read_scope, &got);
	if (!err)
		*scope = got;
	return err;
}

enum lk_err lk_sqlite_consent_set(struct lk_store *base, int64_t user_id, const char *client_id,
				  const char *scope, int64_t now)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_CONSENT_SET, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_int64(st, 1, user_id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, client_id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 3, scope);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, now);
	return insert_bound(s, ST_CONSENT_SET, st, rc);
}

/* ---- Failed sign-in counts ---- */

/* Fills a throttle record from the current row; a count out of int's range is damage. */
static enum lk_err read_throttle(sqlite3_stmt *st, void *rec)
{
	struct lk_throttle_record *r = rec;
	int64_t failures = sqlite3_column_int64(st, TH_FAILURES);

	if (failures < 0 || failures > 0x7fffffff)
		return lk_sqlite_bad_value(st, TH_FAILURES);
	r->failures = (int)failures;
	r->window_start = sqlite3_column_int64(st, TH_WINDOW_START);
	r->locked_until = sqlite3_column_int64(st, TH_LOCKED_UNTIL);
	r->lock_seconds = sqlite3_column_int64(st, TH_LOCK_SECONDS);
	r->expires_at = sqlite3_column_int64(st, TH_EXPIRES_AT);
	return LK_OK;
}

enum lk_err lk_sqlite_throttle_get(struct lk_store *base, const char *key,
				   struct lk_throttle_record *out)
{
	struct lk_throttle_record r = {0};
	enum lk_err err = get_by_text(conn(base), ST_THROTTLE_GET, key, read_throttle, &r);

	if (!err)
		*out = r;
	return err;
}

enum lk_err lk_sqlite_throttle_put(struct lk_store *base, const char *key,
				   const struct lk_throttle_record *r)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_THROTTLE_PUT, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, TH_FAILURES + 2, r->failures);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, TH_WINDOW_START + 2, r->window_start);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, TH_LOCKED_UNTIL + 2, r->locked_until);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, TH_LOCK_SECONDS + 2, r->lock_seconds);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, TH_EXPIRES_AT + 2, r->expires_at);
	err = lk_sqlite_bound(s, ST_THROTTLE_PUT, st, rc);
	return err ? err : lk_sqlite_step_done(s, ST_THROTTLE_PUT, st);
}

enum lk_err lk_sqlite_throttle_delete(struct lk_store *base, const char *key)
{
	return change_by_text(conn(base), ST_THROTTLE_DELETE, key, NULL);
}

/* ---- Housekeeping ---- */

/*
 * Independent clean-ups, not one transaction, as for the tokens: the caller
 * may already hold one, and a failure part way leaves rows that the next run
 * deletes. Codes are kept CODE_KEEP_SECONDS past their expiry.
 */
static const enum stmt_id expired_steps[] = {
	ST_SESSION_DELETE_EXPIRED,	ST_AUTH_REQUEST_DELETE_EXPIRED, ST_CODE_DELETE_EXPIRED,
	ST_REFRESH_DELETE_EXPIRED,	ST_GRANT_JTI_DELETE_EXPIRED,	ST_THROTTLE_DELETE_EXPIRED,
	ST_TOKEN_CLAIMS_DELETE_EXPIRED,
};

enum lk_err lk_sqlite_signin_delete_expired(struct lk_store *base, int64_t now, int *deleted)
{
	struct sqlite_store *s = conn(base);
	int n = 0;
	enum lk_err err = LK_OK;

	for (size_t i = 0; i < sizeof(expired_steps) / sizeof(expired_steps[0]) && !err; i++)
		err = lk_sqlite_delete_by_time(s, expired_steps[i], now, &n);
	if (!err)
		*deleted = n;
	return err;
}
