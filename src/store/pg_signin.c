/*
 * The PostgreSQL backend's sign-in state: browser sessions, pending
 * authorization requests, authorization codes, refresh tokens, the JWT ids
 * of each grant, the claims requests of access tokens, consents and failed
 * sign-in counts. store.c has checked
 * every argument, so these functions only move values between records and
 * rows.
 *
 * Two things here are more than one statement. Redeeming a code or rotating
 * a refresh token is a conditional update (only while used_at or rotated_at
 * is 0) that returns the row it changed; when it changed none, a read of the
 * row tells the loser what it lost to. The update alone decides which of
 * several concurrent callers wins: it locks the row, and a caller that had
 * to wait for another's lock re-checks the condition on the row as the other
 * left it (READ COMMITTED), so at most one finds the mark still 0. Revoking a
 * grant, all of a user's grants, or an application's grants of one session
 * touches several tables, inside one unit (lk_pg_unit_begin), so that it
 * stays whole whether or not the caller holds a transaction.
 */
#include "store/pg_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/*
 * The columns of the sign-in tables (migration 5, and the claims of
 * migration 6 last): column i is parameter
 * $(i+1) of the table's insert. The login_throttle columns follow its key,
 * which is $1, so that column i is parameter $(i+2) of signin_throttle_put.
 */
#define SESSION_COLUMNS "hash, sid, user_id, amr, auth_time, last_seen, expires_at"
#define AUTH_REQUEST_COLUMNS                                                                       \
	"id, browser_hash, client_id, params, created_at, expires_at, consented"
/* latchkey's own pending requests have no client: NULL in the table, "" in the record. */
#define AUTH_REQUEST_SELECT                                                                        \
	"id, browser_hash, COALESCE(client_id, ''), params, created_at, expires_at, consented"
#define CODE_COLUMNS                                                                               \
	"hash, grant_id, client_id, redirect_uri, user_id, scope, nonce, code_challenge, sid, "    \
	"amr, auth_time, created_at, expires_at, used_at, claims"
#define REFRESH_COLUMNS                                                                            \
	"hash, family, client_id, user_id, scope, sid, amr, auth_time, issued_at, expires_at, "    \
	"rotated_at, revoked, claims"
#define THROTTLE_COLUMNS "failures, window_start, locked_until, lock_seconds, expires_at"

/* The columns of SESSION_COLUMNS, in order. */
enum session_col {
	S_HASH = 0,
	S_SID,
	S_USER_ID,
	S_AMR,
	S_AUTH_TIME,
	S_LAST_SEEN,
	S_EXPIRES_AT,
};

/* The columns of AUTH_REQUEST_COLUMNS, in order. */
enum auth_request_col {
	A_ID = 0,
	A_BROWSER_HASH,
	A_CLIENT_ID,
	A_PARAMS,
	A_CREATED_AT,
	A_EXPIRES_AT,
	A_CONSENTED,
};

/* The columns of CODE_COLUMNS, in order. */
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

/* The columns of REFRESH_COLUMNS, in order. */
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

/* The columns of THROTTLE_COLUMNS, in order. */
enum throttle_col {
	TH_FAILURES = 0,
	TH_WINDOW_START,
	TH_LOCKED_UNTIL,
	TH_LOCK_SECONDS,
	TH_EXPIRES_AT,
};

/*
 * How long a code is kept past its expiry, in seconds: a replay that late is
 * still recognised as one, and still revokes what the code issued (RFC 6749
 * §4.1.2), instead of looking like an unknown code.
 */
#define CODE_KEEP_SECONDS "3600"

/*
 * The grants an application was issued in one session, for RP-initiated
 * logout: $1 is the session id, $2 the client_id. The refresh tokens keep
 * their rows when revoked, so the statements that run after the refresh
 * tokens are revoked still find the same families.
 */
#define SESSION_FAMILIES "SELECT family FROM refresh_tokens WHERE sid = $1 AND client_id = $2"

/*
 * A JWT id revoked with its grant is remembered until the latest expiry it
 * was issued with; one already expired needs no remembering. A second
 * revocation keeps the later expiry, as lk_pg_jti_revoke does. The selects
 * feeding it yield each jti once, since one statement may not update a row
 * twice.
 */
#define JTI_KEEP_LATER                                                                             \
	" ON CONFLICT (jti) DO UPDATE "                                                            \
	"SET expires_at = GREATEST(revoked_jtis.expires_at, EXCLUDED.expires_at)"

/* ---- Statements ---- */

static const struct lk_pg_stmt signin_session_insert = {
	"signin_session_insert",
	"INSERT INTO sessions (" SESSION_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
	7,
};

static const struct lk_pg_stmt signin_session_get = {
	"signin_session_get",
	"SELECT " SESSION_COLUMNS " FROM sessions WHERE hash = $1",
	1,
};

static const struct lk_pg_stmt signin_session_touch = {
	"signin_session_touch",
	"UPDATE sessions SET last_seen = $2 WHERE hash = $1 AND last_seen < $2",
	2,
};

static const struct lk_pg_stmt signin_session_delete = {
	"signin_session_delete",
	"DELETE FROM sessions WHERE hash = $1",
	1,
};

static const struct lk_pg_stmt signin_auth_request_insert = {
	"signin_auth_request_insert",
	"INSERT INTO auth_requests (" AUTH_REQUEST_COLUMNS
	") VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7)",
	7,
};

static const struct lk_pg_stmt signin_auth_request_get = {
	"signin_auth_request_get",
	"SELECT " AUTH_REQUEST_SELECT " FROM auth_requests WHERE id = $1",
	1,
};

static const struct lk_pg_stmt signin_auth_request_consent = {
	"signin_auth_request_consent",
	"UPDATE auth_requests SET consented = 1 WHERE id = $1",
	1,
};

static const struct lk_pg_stmt signin_auth_request_delete = {
	"signin_auth_request_delete",
	"DELETE FROM auth_requests WHERE id = $1",
	1,
};

static const struct lk_pg_stmt signin_code_insert = {
	"signin_code_insert",
	"INSERT INTO codes (" CODE_COLUMNS ") "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
	15,
};

static const struct lk_pg_stmt signin_code_get = {
	"signin_code_get",
	"SELECT " CODE_COLUMNS " FROM codes WHERE hash = $1",
	1,
};

static const struct lk_pg_stmt signin_code_use = {
	"signin_code_use",
	"UPDATE codes SET used_at = $2 WHERE hash = $1 AND used_at = 0 RETURNING " CODE_COLUMNS,
	2,
};

static const struct lk_pg_stmt signin_refresh_insert = {
	"signin_refresh_insert",
	"INSERT INTO refresh_tokens (" REFRESH_COLUMNS ") "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
	13,
};

static const struct lk_pg_stmt signin_refresh_get = {
	"signin_refresh_get",
	"SELECT " REFRESH_COLUMNS " FROM refresh_tokens WHERE hash = $1",
	1,
};

static const struct lk_pg_stmt signin_refresh_rotate = {
	"signin_refresh_rotate",
	"UPDATE refresh_tokens SET rotated_at = $2 "
	"WHERE hash = $1 AND rotated_at = 0 AND revoked = 0 RETURNING " REFRESH_COLUMNS,
	2,
};

static const struct lk_pg_stmt signin_grant_jti_add = {
	"signin_grant_jti_add",
	"INSERT INTO grant_jtis (grant_id, jti, user_id, expires_at) VALUES ($1, $2, $3, $4) "
	"ON CONFLICT (grant_id, jti) DO UPDATE "
	"SET expires_at = GREATEST(grant_jtis.expires_at, EXCLUDED.expires_at)",
	4,
};

static const struct lk_pg_stmt signin_token_claims_set = {
	"signin_token_claims_set",
	"INSERT INTO token_claims (jti, claims, expires_at) VALUES ($1, $2, $3)",
	3,
};

static const struct lk_pg_stmt signin_token_claims_get = {
	"signin_token_claims_get",
	"SELECT claims FROM token_claims WHERE jti = $1",
	1,
};

/* A grant's revocation: $1 is the grant id and, in the steps that write a time, $2 now. */
static const struct lk_pg_stmt signin_grant_revoke_refresh = {
	"signin_grant_revoke_refresh",
	"UPDATE refresh_tokens SET revoked = 1 WHERE family = $1 AND revoked = 0",
	1,
};

static const struct lk_pg_stmt signin_grant_revoke_tokens = {
	"signin_grant_revoke_tokens",
	"UPDATE access_tokens SET revoked = 1 WHERE grant_id = $1 AND revoked = 0",
	1,
};

static const struct lk_pg_stmt signin_grant_revoke_jtis = {
	"signin_grant_revoke_jtis",
	"INSERT INTO revoked_jtis (jti, expires_at) SELECT jti, expires_at FROM grant_jtis "
	"WHERE grant_id = $1 AND expires_at > $2" JTI_KEEP_LATER,
	2,
};

static const struct lk_pg_stmt signin_grant_use_codes = {
	"signin_grant_use_codes",
	"UPDATE codes SET used_at = $2 WHERE grant_id = $1 AND used_at = 0",
	2,
};

/*
 * A user's revocation: $1 is the user id and, in the steps that write a
 * time, $2 now. A user's opaque access tokens are those of a grant of
 * theirs: one named by their refresh tokens, codes or JWT ids, or one issued
 * to their subject (the user id in decimal) under any grant, which also
 * finds a grant whose other traces are gone. Client-credentials tokens have
 * no grant and are left alone. The cast gives $1 one type in every place.
 */
static const struct lk_pg_stmt signin_user_end_sessions = {
	"signin_user_end_sessions",
	"DELETE FROM sessions WHERE user_id = $1",
	1,
};

static const struct lk_pg_stmt signin_user_revoke_refresh = {
	"signin_user_revoke_refresh",
	"UPDATE refresh_tokens SET revoked = 1 WHERE user_id = $1 AND revoked = 0",
	1,
};

static const struct lk_pg_stmt signin_user_revoke_tokens = {
	"signin_user_revoke_tokens",
	"UPDATE access_tokens SET revoked = 1 WHERE revoked = 0 AND grant_id <> '' "
	"AND (subject = CAST($1::bigint AS TEXT) OR grant_id IN ("
	"SELECT family FROM refresh_tokens WHERE user_id = $1 "
	"UNION SELECT grant_id FROM codes WHERE user_id = $1 "
	"UNION SELECT grant_id FROM grant_jtis WHERE user_id = $1))",
	1,
};

static const struct lk_pg_stmt signin_user_revoke_jtis = {
	"signin_user_revoke_jtis",
	"INSERT INTO revoked_jtis (jti, expires_at) SELECT jti, max(expires_at) FROM grant_jtis "
	"WHERE user_id = $1 AND expires_at > $2 GROUP BY jti" JTI_KEEP_LATER,
	2,
};

static const struct lk_pg_stmt signin_user_use_codes = {
	"signin_user_use_codes",
	"UPDATE codes SET used_at = $2 WHERE user_id = $1 AND used_at = 0",
	2,
};

/* A session's revocation: $1 sid, $2 client_id and, when a step writes a time, $3 now. */
static const struct lk_pg_stmt signin_session_revoke_refresh = {
	"signin_session_revoke_refresh",
	"UPDATE refresh_tokens SET revoked = 1 "
	"WHERE revoked = 0 AND family IN (" SESSION_FAMILIES ")",
	2,
};

static const struct lk_pg_stmt signin_session_revoke_tokens = {
	"signin_session_revoke_tokens",
	"UPDATE access_tokens SET revoked = 1 "
	"WHERE revoked = 0 AND grant_id IN (" SESSION_FAMILIES ")",
	2,
};

static const struct lk_pg_stmt signin_session_revoke_jtis = {
	"signin_session_revoke_jtis",
	"INSERT INTO revoked_jtis (jti, expires_at) SELECT jti, max(expires_at) FROM grant_jtis "
	"WHERE grant_id IN (" SESSION_FAMILIES ") AND expires_at > $3 GROUP BY jti" JTI_KEEP_LATER,
	3,
};

static const struct lk_pg_stmt signin_session_use_codes = {
	"signin_session_use_codes",
	"UPDATE codes SET used_at = $3 WHERE used_at = 0 AND grant_id IN (" SESSION_FAMILIES ")",
	3,
};

static const struct lk_pg_stmt signin_consent_get = {
	"signin_consent_get",
	"SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2",
	2,
};

static const struct lk_pg_stmt signin_consent_set = {
	"signin_consent_set",
	"INSERT INTO consents (user_id, client_id, scope, updated_at) VALUES ($1, $2, $3, $4) "
	"ON CONFLICT (user_id, client_id) DO UPDATE "
	"SET scope = EXCLUDED.scope, updated_at = EXCLUDED.updated_at",
	4,
};

static const struct lk_pg_stmt signin_throttle_get = {
	"signin_throttle_get",
	"SELECT " THROTTLE_COLUMNS " FROM login_throttle WHERE key = $1",
	1,
};

static const struct lk_pg_stmt signin_throttle_put = {
	"signin_throttle_put",
	"INSERT INTO login_throttle (key, " THROTTLE_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6) "
	"ON CONFLICT (key) DO UPDATE SET failures = EXCLUDED.failures, "
	"window_start = EXCLUDED.window_start, locked_until = EXCLUDED.locked_until, "
	"lock_seconds = EXCLUDED.lock_seconds, expires_at = EXCLUDED.expires_at",
	6,
};

static const struct lk_pg_stmt signin_throttle_delete = {
	"signin_throttle_delete",
	"DELETE FROM login_throttle WHERE key = $1",
	1,
};

/* Housekeeping: each takes now as $1. */
static const struct lk_pg_stmt signin_session_delete_expired = {
	"signin_session_delete_expired",
	LK_PG_JANITOR_DELETE("sessions", "expires_at <= $1"),
	1,
};

static const struct lk_pg_stmt signin_auth_request_delete_expired = {
	"signin_auth_request_delete_expired",
	LK_PG_JANITOR_DELETE("auth_requests", "expires_at <= $1"),
	1,
};

/* Without the cast, $1 would take the type of the constant, a 32-bit integer. */
static const struct lk_pg_stmt signin_code_delete_expired = {
	"signin_code_delete_expired",
	LK_PG_JANITOR_DELETE("codes", "expires_at <= $1::bigint - " CODE_KEEP_SECONDS),
	1,
};

static const struct lk_pg_stmt signin_refresh_delete_expired = {
	"signin_refresh_delete_expired",
	LK_PG_JANITOR_DELETE("refresh_tokens", "expires_at <= $1"),
	1,
};

static const struct lk_pg_stmt signin_grant_jti_delete_expired = {
	"signin_grant_jti_delete_expired",
	LK_PG_JANITOR_DELETE("grant_jtis", "expires_at <= $1"),
	1,
};

/* The claims of a token without an expiry go once its opaque token is gone. */
static const struct lk_pg_stmt signin_token_claims_delete_expired = {
	"signin_token_claims_delete_expired",
	LK_PG_JANITOR_DELETE("token_claims", "(expires_at <> 0 AND expires_at <= $1) "
					     "OR (expires_at = 0 AND jti NOT IN "
					     "(SELECT jti FROM access_tokens))"),
	1,
};

static const struct lk_pg_stmt signin_throttle_delete_expired = {
	"signin_throttle_delete_expired",
	LK_PG_JANITOR_DELETE("login_throttle", "expires_at <= $1"),
	1,
};

/* ---- Helpers ---- */

/* Runs a bound insert. A foreign key refuses a row of an unknown user or client. */
static enum lk_err insert(struct lk_pg *pg, const struct lk_pg_stmt *st,
			  const struct lk_pg_params *p)
{
	enum lk_err err = lk_pg_exec(pg, st, p, NULL);

	if (err == LK_ESTATE)
		err = LK_ENOTFOUND;
	return err;
}

/*
 * Runs st with p and reads the first row it returns into rec with read,
 * which fills a zeroed record from row 0 and leaves it empty on error.
 * LK_ENOTFOUND when there is no row.
 */
static enum lk_err get_one(struct lk_pg *pg, const struct lk_pg_stmt *st,
			   const struct lk_pg_params *p,
			   enum lk_err (*read)(const PGresult *r, void *rec), void *rec)
{
	PGresult *r = NULL;
	enum lk_err err = lk_pg_run(pg, st, p, &r);

	if (!err && PQntuples(r) == 0)
		err = LK_ENOTFOUND;
	if (!err)
		err = read(r, rec);
	PQclear(r);
	return err;
}

/* Reads the one row that st finds by hash ($1) into rec. LK_ENOTFOUND. */
static enum lk_err get_by_hash(struct lk_pg *pg, const struct lk_pg_stmt *st,
			       const uint8_t hash[LK_SHA256_LEN],
			       enum lk_err (*read)(const PGresult *r, void *rec), void *rec)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_bytes(&p, hash, LK_SHA256_LEN);
	return get_one(pg, st, &p, read, rec);
}

/* Reads the one row that st finds by a text key ($1) into rec. LK_ENOTFOUND. */
static enum lk_err get_by_text(struct lk_pg *pg, const struct lk_pg_stmt *st, const char *key,
			       enum lk_err (*read)(const PGresult *r, void *rec), void *rec)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, key);
	return get_one(pg, st, &p, read, rec);
}

/* Runs st, which takes a hash ($1) and perhaps a time ($2, when t is not NULL). */
static enum lk_err change_by_hash(struct lk_pg *pg, const struct lk_pg_stmt *st,
				  const uint8_t hash[LK_SHA256_LEN], const int64_t *t)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_bytes(&p, hash, LK_SHA256_LEN);
	if (t)
		lk_pg_param_int(&p, *t);
	return lk_pg_exec(pg, st, &p, NULL);
}

/* Runs st, which takes a text key ($1); *changed (may be NULL) receives the rows it changed. */
static enum lk_err change_by_text(struct lk_pg *pg, const struct lk_pg_stmt *st, const char *key,
				  int64_t *changed)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, key);
	return lk_pg_exec(pg, st, &p, changed);
}

/*
 * The single use of a code or a refresh token: the update use sets the mark
 * ($2 = now) only where it is still unset and returns the row it changed;
 * when it changed none, get reads the row as the winner left it (a statement
 * of its own, so its snapshot postdates the winner's commit, which the
 * update waited for). *won tells whether this call set the mark. LK_ENOTFOUND
 * when there is no such row. On error rec is left for the caller's release
 * function.
 */
static enum lk_err consume(struct lk_pg *pg, const struct lk_pg_stmt *use,
			   const struct lk_pg_stmt *get, const uint8_t hash[LK_SHA256_LEN],
			   int64_t now, enum lk_err (*read)(const PGresult *r, void *rec),
			   void *rec, bool *won)
{
	struct lk_pg_params p;
	PGresult *r = NULL;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_bytes(&p, hash, LK_SHA256_LEN);
	lk_pg_param_int(&p, now);
	err = lk_pg_run(pg, use, &p, &r);
	if (err)
		goto out;
	if (PQntuples(r) > 0) {
		err = read(r, rec);
		if (!err)
			*won = true;
		goto out;
	}
	err = get_by_hash(pg, get, hash, read, rec);
	if (!err)
		*won = false;
out:
	PQclear(r);
	return err;
}

/* ---- Sessions ---- */

enum lk_err lk_pg_session_insert(struct lk_store *s, const struct lk_session_record *r)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_bytes(&p, r->hash, LK_SHA256_LEN);
	lk_pg_param_text(&p, r->sid);
	lk_pg_param_int(&p, r->user_id);
	lk_pg_param_text(&p, r->amr);
	lk_pg_param_int(&p, r->auth_time);
	lk_pg_param_int(&p, r->last_seen);
	lk_pg_param_int(&p, r->expires_at);
	return insert(lk_pg_of(s), &signin_session_insert, &p);
}

static enum lk_err read_session(const PGresult *res, void *rec)
{
	struct lk_session_record *r = rec;
	const struct lk_pg_text_col texts[] = {{S_SID, &r->sid}, {S_AMR, &r->amr}};
	enum lk_err err = lk_pg_get_bytes(res, 0, S_HASH, r->hash, LK_SHA256_LEN);

	if (!err)
		err = lk_pg_get_texts(res, texts, sizeof(texts) / sizeof(texts[0]));
	if (err) {
		lk_session_record_release(r);
		return err;
	}
	r->user_id = lk_pg_get_int(res, 0, S_USER_ID);
	r->auth_time = lk_pg_get_int(res, 0, S_AUTH_TIME);
	r->last_seen = lk_pg_get_int(res, 0, S_LAST_SEEN);
	r->expires_at = lk_pg_get_int(res, 0, S_EXPIRES_AT);
	return LK_OK;
}

enum lk_err lk_pg_session_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
			      struct lk_session_record *out)
{
	struct lk_session_record r = {0};
	enum lk_err err = get_by_hash(lk_pg_of(s), &signin_session_get, hash, read_session, &r);

	if (!err)
		*out = r;
	return err;
}

/*
 * The condition lives in the statement, so that a later last_seen written by
 * another connection between the caller's read and this write stays.
 */
enum lk_err lk_pg_session_touch(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				int64_t last_seen)
{
	return change_by_hash(lk_pg_of(s), &signin_session_touch, hash, &last_seen);
}

enum lk_err lk_pg_session_delete(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN])
{
	return change_by_hash(lk_pg_of(s), &signin_session_delete, hash, NULL);
}

/* ---- Pending authorization requests ---- */

enum lk_err lk_pg_auth_request_insert(struct lk_store *s, const struct lk_auth_request_record *r)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, r->id);
	lk_pg_param_bytes(&p, r->browser_hash, LK_SHA256_LEN);
	lk_pg_param_text(&p, r->client_id);
	lk_pg_param_text(&p, r->params);
	lk_pg_param_int(&p, r->created_at);
	lk_pg_param_int(&p, r->expires_at);
	lk_pg_param_bool(&p, r->consented);
	return insert(lk_pg_of(s), &signin_auth_request_insert, &p);
}

static enum lk_err read_auth_request(const PGresult *res, void *rec)
{
	struct lk_auth_request_record *r = rec;
	const struct lk_pg_text_col texts[] = {
		{A_ID, &r->id},
		{A_CLIENT_ID, &r->client_id},
		{A_PARAMS, &r->params},
	};
	enum lk_err err = lk_pg_get_bytes(res, 0, A_BROWSER_HASH, r->browser_hash, LK_SHA256_LEN);

	if (!err)
		err = lk_pg_get_texts(res, texts, sizeof(texts) / sizeof(texts[0]));
	if (err) {
		lk_auth_request_record_release(r);
		return err;
	}
	r->created_at = lk_pg_get_int(res, 0, A_CREATED_AT);
	r->expires_at = lk_pg_get_int(res, 0, A_EXPIRES_AT);
	r->consented = lk_pg_get_bool(res, 0, A_CONSENTED);
	return LK_OK;
}

enum lk_err lk_pg_auth_request_get(struct lk_store *s, const char *id,
				   struct lk_auth_request_record *out)
{
	struct lk_auth_request_record r = {0};
	enum lk_err err =
		get_by_text(lk_pg_of(s), &signin_auth_request_get, id, read_auth_request, &r);

	if (!err)
		*out = r;
	return err;
}

/* Consenting twice is not an error: the row is still matched, so still counted. */
enum lk_err lk_pg_auth_request_set_consented(struct lk_store *s, const char *id)
{
	int64_t changed = 0;
	enum lk_err err = change_by_text(lk_pg_of(s), &signin_auth_request_consent, id, &changed);

	if (!err && changed == 0)
		err = LK_ENOTFOUND;
	return err;
}

enum lk_err lk_pg_auth_request_delete(struct lk_store *s, const char *id)
{
	return change_by_text(lk_pg_of(s), &signin_auth_request_delete, id, NULL);
}

/* ---- Authorization codes ---- */

enum lk_err lk_pg_code_insert(struct lk_store *s, const struct lk_code_record *r)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_bytes(&p, r->hash, LK_SHA256_LEN);
	lk_pg_param_text(&p, r->grant_id);
	lk_pg_param_text(&p, r->client_id);
	lk_pg_param_text(&p, r->redirect_uri);
	lk_pg_param_int(&p, r->user_id);
	lk_pg_param_text(&p, r->scope);
	lk_pg_param_text(&p, r->nonce);
	lk_pg_param_text(&p, r->code_challenge);
	lk_pg_param_text(&p, r->sid);
	lk_pg_param_text(&p, r->amr);
	lk_pg_param_int(&p, r->auth_time);
	lk_pg_param_int(&p, r->created_at);
	lk_pg_param_int(&p, r->expires_at);
	lk_pg_param_int(&p, r->used_at);
	lk_pg_param_text(&p, r->claims);
	return insert(lk_pg_of(s), &signin_code_insert, &p);
}

static enum lk_err read_code(const PGresult *res, void *rec)
{
	struct lk_code_record *r = rec;
	const struct lk_pg_text_col texts[] = {
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
	enum lk_err err = lk_pg_get_bytes(res, 0, C_HASH, r->hash, LK_SHA256_LEN);

	if (!err)
		err = lk_pg_get_texts(res, texts, sizeof(texts) / sizeof(texts[0]));
	if (err) {
		lk_code_record_release(r);
		return err;
	}
	r->user_id = lk_pg_get_int(res, 0, C_USER_ID);
	r->auth_time = lk_pg_get_int(res, 0, C_AUTH_TIME);
	r->created_at = lk_pg_get_int(res, 0, C_CREATED_AT);
	r->expires_at = lk_pg_get_int(res, 0, C_EXPIRES_AT);
	r->used_at = lk_pg_get_int(res, 0, C_USED_AT);
	return LK_OK;
}

/* RFC 6749 §4.1.2: a code is single-use; see consume() for why this is atomic. */
enum lk_err lk_pg_code_consume(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN], int64_t now,
			       struct lk_code_record *out)
{
	struct lk_code_record r = {0};
	bool won = false;
	enum lk_err err = consume(lk_pg_of(s), &signin_code_use, &signin_code_get, hash, now,
				  read_code, &r, &won);

	if (err) {
		lk_code_record_release(&r);
		return err;
	}
	*out = r;
	return won ? LK_OK : LK_EEXIST;
}

/* ---- Refresh tokens ---- */

enum lk_err lk_pg_refresh_insert(struct lk_store *s, const struct lk_refresh_record *r)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_bytes(&p, r->hash, LK_SHA256_LEN);
	lk_pg_param_text(&p, r->family);
	lk_pg_param_text(&p, r->client_id);
	lk_pg_param_int(&p, r->user_id);
	lk_pg_param_text(&p, r->scope);
	lk_pg_param_text(&p, r->sid);
	lk_pg_param_text(&p, r->amr);
	lk_pg_param_int(&p, r->auth_time);
	lk_pg_param_int(&p, r->issued_at);
	lk_pg_param_int(&p, r->expires_at);
	lk_pg_param_int(&p, r->rotated_at);
	lk_pg_param_bool(&p, r->revoked);
	lk_pg_param_text(&p, r->claims);
	return insert(lk_pg_of(s), &signin_refresh_insert, &p);
}

static enum lk_err read_refresh(const PGresult *res, void *rec)
{
	struct lk_refresh_record *r = rec;
	const struct lk_pg_text_col texts[] = {
		{R_FAMILY, &r->family}, {R_CLIENT_ID, &r->client_id},
		{R_SCOPE, &r->scope},	{R_SID, &r->sid},
		{R_AMR, &r->amr},	{R_CLAIMS, &r->claims},
	};
	enum lk_err err = lk_pg_get_bytes(res, 0, R_HASH, r->hash, LK_SHA256_LEN);

	if (!err)
		err = lk_pg_get_texts(res, texts, sizeof(texts) / sizeof(texts[0]));
	if (err) {
		lk_refresh_record_release(r);
		return err;
	}
	r->user_id = lk_pg_get_int(res, 0, R_USER_ID);
	r->auth_time = lk_pg_get_int(res, 0, R_AUTH_TIME);
	r->issued_at = lk_pg_get_int(res, 0, R_ISSUED_AT);
	r->expires_at = lk_pg_get_int(res, 0, R_EXPIRES_AT);
	r->rotated_at = lk_pg_get_int(res, 0, R_ROTATED_AT);
	r->revoked = lk_pg_get_bool(res, 0, R_REVOKED);
	return LK_OK;
}

enum lk_err lk_pg_refresh_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
			      struct lk_refresh_record *out)
{
	struct lk_refresh_record r = {0};
	enum lk_err err = get_by_hash(lk_pg_of(s), &signin_refresh_get, hash, read_refresh, &r);

	if (!err)
		*out = r;
	return err;
}

/*
 * Rotation (RFC 9700 §4.14.2): only the family's current, unrevoked token
 * may be used, once; see consume() for why this is atomic.
 */
enum lk_err lk_pg_refresh_consume(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				  int64_t now, struct lk_refresh_record *out)
{
	struct lk_refresh_record r = {0};
	bool won = false;
	enum lk_err err = consume(lk_pg_of(s), &signin_refresh_rotate, &signin_refresh_get, hash,
				  now, read_refresh, &r, &won);

	if (err) {
		lk_refresh_record_release(&r);
		return err;
	}
	*out = r;
	return won ? LK_OK : LK_EEXIST;
}

/* ---- Grants ---- */

/* Adding the same id twice keeps the later expiry, as lk_pg_jti_revoke does. */
enum lk_err lk_pg_grant_jti_add(struct lk_store *s, const char *grant_id, int64_t user_id,
				const char *jti, int64_t expires_at)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, grant_id);
	lk_pg_param_text(&p, jti);
	lk_pg_param_int(&p, user_id);
	lk_pg_param_int(&p, expires_at);
	return lk_pg_exec(lk_pg_of(s), &signin_grant_jti_add, &p, NULL);
}

/* ---- Token claims ---- */

enum lk_err lk_pg_token_claims_set(struct lk_store *s, const char *jti, const char *claims,
				   int64_t expires_at)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, jti);
	lk_pg_param_text(&p, claims);
	lk_pg_param_int(&p, expires_at);
	return lk_pg_exec(lk_pg_of(s), &signin_token_claims_set, &p, NULL);
}

static enum lk_err read_claims(const PGresult *res, void *rec)
{
	return lk_pg_get_text(res, 0, 0, rec);
}

enum lk_err lk_pg_token_claims_get(struct lk_store *s, const char *jti, char **claims)
{
	char *text = NULL;
	enum lk_err err =
		get_by_text(lk_pg_of(s), &signin_token_claims_get, jti, read_claims, &text);

	if (!err)
		*claims = text;
	return err;
}

/*
 * Runs the n steps of a revocation as one unit: all of it happens, or none.
 * Each step takes the key ($1, or $1 and $2 for a session) and, when it has
 * one more parameter, now.
 */
static enum lk_err revoke(struct lk_pg *pg, const struct lk_pg_stmt *const *steps, size_t n,
			  const struct lk_pg_params *key, int64_t now)
{
	enum lk_err err = lk_pg_unit_begin(pg);

	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		/* The copy's values still point into key, which outlives the loop. */
		struct lk_pg_params p = *key;

		if (steps[i]->nparams > key->n)
			lk_pg_param_int(&p, now);
		err = lk_pg_exec(pg, steps[i], &p, NULL);
	}
	return lk_pg_unit_end(pg, err);
}

/*
 * The grant's refresh tokens, opaque access tokens and JWT access tokens,
 * and its codes not yet redeemed, so that the code cannot issue anything
 * more after a replay was noticed. The user's and the session's steps touch
 * the tables in the same order, so that two revocations running at once do
 * not lock them in opposite orders.
 */
static const struct lk_pg_stmt *const grant_steps[] = {
	&signin_grant_revoke_refresh,
	&signin_grant_revoke_tokens,
	&signin_grant_revoke_jtis,
	&signin_grant_use_codes,
};

enum lk_err lk_pg_grant_revoke(struct lk_store *s, const char *grant_id, int64_t now)
{
	struct lk_pg_params key;

	lk_pg_params_init(&key);
	lk_pg_param_text(&key, grant_id);
	return revoke(lk_pg_of(s), grant_steps, sizeof(grant_steps) / sizeof(grant_steps[0]), &key,
		      now);
}

/*
 * The user's sessions end; their codes not yet redeemed are used up rather
 * than deleted, so that a later attempt to redeem one is still seen as a
 * replay. Access tokens are found through the refresh tokens, which are
 * revoked, not deleted, so the order does not change what is found.
 */
static const struct lk_pg_stmt *const user_steps[] = {
	&signin_user_end_sessions, &signin_user_revoke_refresh, &signin_user_revoke_tokens,
	&signin_user_revoke_jtis,  &signin_user_use_codes,
};

enum lk_err lk_pg_user_revoke_grants(struct lk_store *s, int64_t user_id, int64_t now)
{
	struct lk_pg_params key;

	lk_pg_params_init(&key);
	lk_pg_param_int(&key, user_id);
	return revoke(lk_pg_of(s), user_steps, sizeof(user_steps) / sizeof(user_steps[0]), &key,
		      now);
}

/*
 * A session's grants of one application (RP-initiated logout): the same
 * four steps as a grant's, for every family SESSION_FAMILIES names.
 */
static const struct lk_pg_stmt *const session_steps[] = {
	&signin_session_revoke_refresh,
	&signin_session_revoke_tokens,
	&signin_session_revoke_jtis,
	&signin_session_use_codes,
};

enum lk_err lk_pg_refresh_revoke_session(struct lk_store *s, const char *sid, const char *client_id,
					 int64_t now)
{
	struct lk_pg_params key;

	lk_pg_params_init(&key);
	lk_pg_param_text(&key, sid);
	lk_pg_param_text(&key, client_id);
	return revoke(lk_pg_of(s), session_steps, sizeof(session_steps) / sizeof(session_steps[0]),
		      &key, now);
}

/* ---- Consents ---- */

static enum lk_err read_scope(const PGresult *res, void *rec)
{
	return lk_pg_get_text(res, 0, 0, rec);
}

enum lk_err lk_pg_consent_get(struct lk_store *s, int64_t user_id, const char *client_id,
			      char **scope)
{
	struct lk_pg_params p;
	char *got = NULL;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, user_id);
	lk_pg_param_text(&p, client_id);
	err = get_one(lk_pg_of(s), &signin_consent_get, &p, read_scope, &got);
	if (!err)
		*scope = got;
	return err;
}

enum lk_err lk_pg_consent_set(struct lk_store *s, int64_t user_id, const char *client_id,
			      const char *scope, int64_t now)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, user_id);
	lk_pg_param_text(&p, client_id);
	lk_pg_param_text(&p, scope);
	lk_pg_param_int(&p, now);
	return insert(lk_pg_of(s), &signin_consent_set, &p);
}

/* ---- Failed sign-in counts ---- */

/* Fills a throttle record from row 0; a count out of int's range is damage. */
static enum lk_err read_throttle(const PGresult *res, void *rec)
{
	struct lk_throttle_record *r = rec;
	int64_t failures = lk_pg_get_int(res, 0, TH_FAILURES);

	if (failures < 0 || failures > INT_MAX) {
		lk_error("postgres: column failures holds an out-of-range value %lld",
			 (long long)failures);
		return LK_ESTORE;
	}
	r->failures = (int)failures;
	r->window_start = lk_pg_get_int(res, 0, TH_WINDOW_START);
	r->locked_until = lk_pg_get_int(res, 0, TH_LOCKED_UNTIL);
	r->lock_seconds = lk_pg_get_int(res, 0, TH_LOCK_SECONDS);
	r->expires_at = lk_pg_get_int(res, 0, TH_EXPIRES_AT);
	return LK_OK;
}

enum lk_err lk_pg_throttle_get(struct lk_store *s, const char *key, struct lk_throttle_record *out)
{
	struct lk_throttle_record r = {0};
	enum lk_err err = get_by_text(lk_pg_of(s), &signin_throttle_get, key, read_throttle, &r);

	if (!err)
		*out = r;
	return err;
}

enum lk_err lk_pg_throttle_put(struct lk_store *s, const char *key,
			       const struct lk_throttle_record *r)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, key);
	lk_pg_param_int(&p, r->failures);
	lk_pg_param_int(&p, r->window_start);
	lk_pg_param_int(&p, r->locked_until);
	lk_pg_param_int(&p, r->lock_seconds);
	lk_pg_param_int(&p, r->expires_at);
	return lk_pg_exec(lk_pg_of(s), &signin_throttle_put, &p, NULL);
}

enum lk_err lk_pg_throttle_delete(struct lk_store *s, const char *key)
{
	return change_by_text(lk_pg_of(s), &signin_throttle_delete, key, NULL);
}

/* ---- Housekeeping ---- */

/*
 * Independent clean-ups, not one transaction, as for the tokens: the caller
 * may already hold one, and a failure part way leaves rows that the next run
 * deletes. Codes are kept CODE_KEEP_SECONDS past their expiry.
 */
static const struct lk_pg_stmt *const expired_steps[] = {
	&signin_session_delete_expired,	     &signin_auth_request_delete_expired,
	&signin_code_delete_expired,	     &signin_refresh_delete_expired,
	&signin_grant_jti_delete_expired,    &signin_throttle_delete_expired,
	&signin_token_claims_delete_expired,
};

enum lk_err lk_pg_signin_delete_expired(struct lk_store *s, int64_t now, int *deleted)
{
	struct lk_pg_params p;
	int64_t changed = 0;
	int n = 0;
	enum lk_err err = LK_OK;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, now);
	for (size_t i = 0; i < sizeof(expired_steps) / sizeof(expired_steps[0]) && !err; i++) {
		err = lk_pg_exec(lk_pg_of(s), expired_steps[i], &p, &changed);
		if (!err)
			n = changed > INT_MAX - n ? INT_MAX : n + (int)changed;
	}
	if (!err)
		*deleted = n;
	return err;
}
