/*
 * The sign-in half of the store suite: sessions, pending authorization
 * requests, codes, refresh tokens, grant revocation, consents, throttle
 * records, the claims requests filed under access tokens, their
 * housekeeping, and the grant id of access tokens. Each
 * test gets a fresh database from store_fixture.h: a SQLite file under /tmp,
 * or the database LATCHKEY_TEST_DB_URL names, which is WIPED before each test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "store/records.h"
#include "store/store.h"
#include "store_fixture.h"

/* A normalised claims request (oauth/claims.h), as codes and refresh tokens carry one. */
#define CLAIMS "{\"userinfo\":{\"email\":null},\"id_token\":{\"name\":null}}"

/* Codes and refresh tokens raced for in the concurrent single-use test. */
#define RACE_ROUNDS 50

/* Each test starts with a freshly migrated, empty database in f->s. */
static int setup(void **state)
{
	return fx_setup(state, "signin", true);
}

/* The one integer a query returns, read outside the store (SQLite only). */
static int64_t raw_int(const char *url, const char *sql)
{
	const char *file = fx_sqlite_file(url);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_non_null(file);
	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void add_app(struct lk_store *s, const char *client_id, const char *name)
{
	struct lk_app a = fx_app(client_id, name);

	a.grant = LK_GRANT_AUTHORIZATION_CODE;
	a.token_format = LK_FORMAT_OPAQUE;
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
}

/* A string of n copies of c, to be freed. */
static char *long_str(size_t n, char c)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

/* ---- Records with every field set, hashed as fx_hash_of(v) ---- */

static struct lk_session_record session(int v, int64_t user_id)
{
	struct lk_session_record r = {
		.sid = (char *)"sid-1",
		.user_id = user_id,
		.amr = (char *)"pwd",
		.auth_time = 10,
		.last_seen = 20,
		.expires_at = 1000,
	};

	fx_hash_of(r.hash, v);
	return r;
}

static struct lk_auth_request_record auth_request(const char *id, const char *client_id)
{
	struct lk_auth_request_record r = {
		.id = (char *)id,
		.client_id = (char *)client_id,
		.params = (char *)"{\"scope\":\"openid\"}",
		.created_at = 10,
		.expires_at = 610,
	};

	fx_hash_of(r.browser_hash, 77);
	return r;
}

static struct lk_code_record code(int v, const char *grant_id, const char *client_id,
				  int64_t user_id)
{
	struct lk_code_record r = {
		.grant_id = (char *)grant_id,
		.client_id = (char *)client_id,
		.redirect_uri = (char *)"https://app.example/cb",
		.user_id = user_id,
		.scope = (char *)"openid profile",
		.nonce = (char *)"n-0S6",
		.code_challenge = (char *)"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		.sid = (char *)"sid-1",
		.amr = (char *)"pwd",
		.claims = (char *)CLAIMS,
		.auth_time = 10,
		.created_at = 11,
		.expires_at = 71,
	};

	fx_hash_of(r.hash, v);
	return r;
}

static struct lk_refresh_record refresh(int v, const char *family, const char *client_id,
					int64_t user_id)
{
	struct lk_refresh_record r = {
		.family = (char *)family,
		.client_id = (char *)client_id,
		.user_id = user_id,
		.scope = (char *)"openid offline_access",
		.sid = (char *)"sid-1",
		.amr = (char *)"pwd",
		.claims = (char *)CLAIMS,
		.auth_time = 10,
		.issued_at = 12,
		.expires_at = 5000,
	};

	fx_hash_of(r.hash, v);
	return r;
}

/* An opaque access token of client_id under grant_id for subject. */
static struct lk_token_record token(int v, const char *client_id, const char *subject,
				    const char *grant_id)
{
	struct lk_token_record t = {
		.jti = (char *)"tok",
		.client_id = (char *)client_id,
		.subject = (char *)subject,
		.scope = (char *)"openid",
		.issued_at = 10,
		.expires_at = 5000,
		.grant_id = (char *)grant_id,
	};

	fx_hash_of(t.hash, v);
	return t;
}

static void insert_code(struct lk_store *s, int v, const char *grant_id, const char *client_id,
			int64_t user_id)
{
	struct lk_code_record r = code(v, grant_id, client_id, user_id);

	assert_int_equal(lk_store_code_insert(s, &r), LK_OK);
}

static void insert_refresh(struct lk_store *s, int v, const char *family, const char *client_id,
			   int64_t user_id)
{
	struct lk_refresh_record r = refresh(v, family, client_id, user_id);

	assert_int_equal(lk_store_refresh_insert(s, &r), LK_OK);
}

static void insert_token(struct lk_store *s, int v, const char *client_id, const char *subject,
			 const char *grant_id)
{
	struct lk_token_record t = token(v, client_id, subject, grant_id);

	assert_int_equal(lk_store_token_insert(s, &t), LK_OK);
}

/* ---- Reading back state ---- */

static bool session_exists(struct lk_store *s, int v)
{
	struct lk_session_record got = {0};
	uint8_t h[LK_SHA256_LEN];
	enum lk_err err;

	fx_hash_of(h, v);
	err = lk_store_session_get(s, h, &got);
	assert_true(err == LK_OK || err == LK_ENOTFOUND);
	lk_session_record_release(&got);
	return err == LK_OK;
}

static int64_t session_last_seen(struct lk_store *s, int v)
{
	struct lk_session_record got = {0};
	uint8_t h[LK_SHA256_LEN];
	int64_t t;

	fx_hash_of(h, v);
	assert_int_equal(lk_store_session_get(s, h, &got), LK_OK);
	t = got.last_seen;
	lk_session_record_release(&got);
	return t;
}

static bool auth_request_exists(struct lk_store *s, const char *id)
{
	struct lk_auth_request_record got = {0};
	enum lk_err err = lk_store_auth_request_get(s, id, &got);

	assert_true(err == LK_OK || err == LK_ENOTFOUND);
	lk_auth_request_record_release(&got);
	return err == LK_OK;
}

/*
 * The used_at of code v as code_consume reports it at now, -1 for an
 * unknown code. Consuming an unused code uses it: call it on used codes, or
 * to use one.
 */
static int64_t code_used_at(struct lk_store *s, int v, int64_t now)
{
	struct lk_code_record got = {0};
	uint8_t h[LK_SHA256_LEN];
	enum lk_err err;
	int64_t t;

	fx_hash_of(h, v);
	err = lk_store_code_consume(s, h, now, &got);
	if (err == LK_ENOTFOUND)
		return -1;
	assert_true(err == LK_OK || err == LK_EEXIST);
	t = got.used_at;
	lk_code_record_release(&got);
	return t;
}

/* The stored state of refresh token v; false when there is none. */
static bool refresh_state(struct lk_store *s, int v, bool *revoked, int64_t *rotated_at)
{
	struct lk_refresh_record got = {0};
	uint8_t h[LK_SHA256_LEN];
	enum lk_err err;

	fx_hash_of(h, v);
	err = lk_store_refresh_get(s, h, &got);
	assert_true(err == LK_OK || err == LK_ENOTFOUND);
	if (err == LK_OK) {
		if (revoked)
			*revoked = got.revoked;
		if (rotated_at)
			*rotated_at = got.rotated_at;
	}
	lk_refresh_record_release(&got);
	return err == LK_OK;
}

static bool refresh_revoked(struct lk_store *s, int v)
{
	bool revoked = false;

	assert_true(refresh_state(s, v, &revoked, NULL));
	return revoked;
}

static bool refresh_exists(struct lk_store *s, int v)
{
	return refresh_state(s, v, NULL, NULL);
}

static bool token_revoked(struct lk_store *s, int v)
{
	struct lk_token_record got = {0};
	uint8_t h[LK_SHA256_LEN];
	bool revoked;

	fx_hash_of(h, v);
	assert_int_equal(lk_store_token_get(s, h, &got), LK_OK);
	revoked = got.revoked;
	lk_token_record_release(&got);
	return revoked;
}

static bool jti_revoked(struct lk_store *s, const char *jti)
{
	bool r = false;

	assert_int_equal(lk_store_jti_revoked(s, jti, &r), LK_OK);
	return r;
}

static bool consent_exists(struct lk_store *s, int64_t user_id, const char *client_id)
{
	char *scope = NULL;
	enum lk_err err = lk_store_consent_get(s, user_id, client_id, &scope);

	assert_true(err == LK_OK || err == LK_ENOTFOUND);
	free(scope);
	return err == LK_OK;
}

static bool throttle_exists(struct lk_store *s, const char *key)
{
	struct lk_throttle_record got = {0};
	enum lk_err err = lk_store_throttle_get(s, key, &got);

	assert_true(err == LK_OK || err == LK_ENOTFOUND);
	return err == LK_OK;
}

/* ---- Sessions ---- */

static void test_session(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	struct lk_session_record r = session(1, uid), got = {0};
	uint8_t h[LK_SHA256_LEN];

	assert_int_equal(lk_store_session_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_session_get(s, r.hash, &got), LK_OK);
	assert_memory_equal(got.hash, r.hash, LK_SHA256_LEN);
	assert_string_equal(got.sid, "sid-1");
	assert_int_equal(got.user_id, uid);
	assert_string_equal(got.amr, "pwd");
	assert_int_equal(got.auth_time, 10);
	assert_int_equal(got.last_seen, 20);
	assert_int_equal(got.expires_at, 1000);
	lk_session_record_release(&got);
	assert_null(got.sid);
	assert_int_equal(got.user_id, 0);

	/* A duplicate hash, a session of no user: refused, nothing changed. */
	r.sid = (char *)"other";
	assert_int_equal(lk_store_session_insert(s, &r), LK_EEXIST);
	r = session(2, uid + 100);
	assert_int_equal(lk_store_session_insert(s, &r), LK_ENOTFOUND);
	assert_false(session_exists(s, 2));

	/* An absent amr comes back as "". */
	r = session(2, uid);
	r.amr = NULL;
	assert_int_equal(lk_store_session_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_session_get(s, r.hash, &got), LK_OK);
	assert_string_equal(got.amr, "");
	lk_session_record_release(&got);

	/* last_seen moves forward only. */
	fx_hash_of(h, 1);
	assert_int_equal(lk_store_session_touch(s, h, 30), LK_OK);
	assert_int_equal(session_last_seen(s, 1), 30);
	assert_int_equal(lk_store_session_touch(s, h, 25), LK_OK);
	assert_int_equal(session_last_seen(s, 1), 30);
	assert_int_equal(session_last_seen(s, 2), 20);

	/* An unknown session is no error, to touch or to delete. */
	fx_hash_of(h, 9);
	assert_int_equal(lk_store_session_touch(s, h, 40), LK_OK);
	assert_int_equal(lk_store_session_delete(s, h), LK_OK);
	got.sid = (char *)"untouched";
	assert_int_equal(lk_store_session_get(s, h, &got), LK_ENOTFOUND);
	assert_string_equal(got.sid, "untouched");

	fx_hash_of(h, 1);
	assert_int_equal(lk_store_session_delete(s, h), LK_OK);
	assert_false(session_exists(s, 1));
	assert_true(session_exists(s, 2));
	assert_int_equal(lk_store_session_delete(s, h), LK_OK);
}

static void test_session_bad_input(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	char *big = long_str(LK_SIGNIN_STR_MAX + 1, 's');
	struct lk_session_record r, got = {.sid = (char *)"untouched"};
	uint8_t h[LK_SHA256_LEN];

	r = session(1, uid);
	r.sid = NULL;
	assert_int_equal(lk_store_session_insert(s, &r), LK_EINVAL);
	r.sid = (char *)"";
	assert_int_equal(lk_store_session_insert(s, &r), LK_EINVAL);
	r = session(1, 0);
	assert_int_equal(lk_store_session_insert(s, &r), LK_EINVAL);
	r = session(1, -1);
	assert_int_equal(lk_store_session_insert(s, &r), LK_EINVAL);
	r = session(1, uid);
	r.auth_time = -1;
	assert_int_equal(lk_store_session_insert(s, &r), LK_EINVAL);
	r = session(1, uid);
	r.last_seen = -1;
	assert_int_equal(lk_store_session_insert(s, &r), LK_EINVAL);
	r = session(1, uid);
	r.expires_at = 0; /* the absolute end must be set */
	assert_int_equal(lk_store_session_insert(s, &r), LK_EINVAL);
	r.expires_at = -1;
	assert_int_equal(lk_store_session_insert(s, &r), LK_EINVAL);
	r = session(1, uid);
	r.sid = big;
	assert_int_equal(lk_store_session_insert(s, &r), LK_ETOOBIG);
	r = session(1, uid);
	r.amr = big;
	assert_int_equal(lk_store_session_insert(s, &r), LK_ETOOBIG);
	assert_int_equal(lk_store_session_insert(s, NULL), LK_EINVAL);
	r = session(1, uid);
	assert_int_equal(lk_store_session_insert(NULL, &r), LK_EINVAL);
	assert_false(session_exists(s, 1));

	/* The longest strings are accepted. */
	r.sid = big + 1;
	r.amr = big + 1;
	assert_int_equal(lk_store_session_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_session_get(s, r.hash, &got), LK_OK);
	assert_int_equal(strlen(got.sid), LK_SIGNIN_STR_MAX);
	assert_int_equal(strlen(got.amr), LK_SIGNIN_STR_MAX);
	lk_session_record_release(&got);

	fx_hash_of(h, 1);
	got.sid = (char *)"untouched";
	assert_int_equal(lk_store_session_get(s, NULL, &got), LK_EINVAL);
	assert_int_equal(lk_store_session_get(s, h, NULL), LK_EINVAL);
	assert_int_equal(lk_store_session_get(NULL, h, &got), LK_EINVAL);
	assert_string_equal(got.sid, "untouched");
	assert_int_equal(lk_store_session_touch(s, h, -1), LK_EINVAL);
	assert_int_equal(lk_store_session_touch(s, NULL, 50), LK_EINVAL);
	assert_int_equal(lk_store_session_touch(NULL, h, 50), LK_EINVAL);
	assert_int_equal(session_last_seen(s, 1), 20);
	assert_int_equal(lk_store_session_delete(s, NULL), LK_EINVAL);
	assert_int_equal(lk_store_session_delete(NULL, h), LK_EINVAL);
	assert_true(session_exists(s, 1));
	free(big);
}

/* ---- Pending authorization requests ---- */

static void test_auth_request(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_auth_request_record r, got = {0};
	uint8_t h[LK_SHA256_LEN];

	add_app(s, "c1", "One");
	r = auth_request("req-1", "c1");
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_auth_request_get(s, "req-1", &got), LK_OK);
	assert_string_equal(got.id, "req-1");
	fx_hash_of(h, 77);
	assert_memory_equal(got.browser_hash, h, LK_SHA256_LEN);
	assert_string_equal(got.client_id, "c1");
	assert_string_equal(got.params, "{\"scope\":\"openid\"}");
	assert_int_equal(got.created_at, 10);
	assert_int_equal(got.expires_at, 610);
	assert_false(got.consented);
	lk_auth_request_record_release(&got);
	assert_null(got.params);

	/* A duplicate id, a request of no application: refused. */
	r.client_id = (char *)"nope";
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_EEXIST);
	r = auth_request("req-2", "nope");
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_ENOTFOUND);
	assert_false(auth_request_exists(s, "req-2"));

	/* Ids compare exactly. */
	got.id = (char *)"untouched";
	assert_int_equal(lk_store_auth_request_get(s, "REQ-1", &got), LK_ENOTFOUND);
	assert_string_equal(got.id, "untouched");

	/* Consent is remembered; twice is no error; an unknown request is. */
	assert_int_equal(lk_store_auth_request_set_consented(s, "req-1"), LK_OK);
	assert_int_equal(lk_store_auth_request_set_consented(s, "req-1"), LK_OK);
	assert_int_equal(lk_store_auth_request_set_consented(s, "req-9"), LK_ENOTFOUND);
	assert_int_equal(lk_store_auth_request_get(s, "req-1", &got), LK_OK);
	assert_true(got.consented);
	lk_auth_request_record_release(&got);

	/* A request may be stored consented already. */
	r = auth_request("req-3", "c1");
	r.consented = true;
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_auth_request_get(s, "req-3", &got), LK_OK);
	assert_true(got.consented);
	lk_auth_request_record_release(&got);

	assert_int_equal(lk_store_auth_request_delete(s, "req-1"), LK_OK);
	assert_false(auth_request_exists(s, "req-1"));
	assert_true(auth_request_exists(s, "req-3"));
	assert_int_equal(lk_store_auth_request_delete(s, "req-1"), LK_OK);

	/* latchkey's own requests (the admin console) have no client: "". */
	r = auth_request("req-own", "");
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_auth_request_get(s, "req-own", &got), LK_OK);
	assert_string_equal(got.client_id, "");
	lk_auth_request_record_release(&got);
	assert_int_equal(lk_store_auth_request_delete(s, "req-own"), LK_OK);
	assert_false(auth_request_exists(s, "req-own"));
}

static void test_auth_request_bad_input(void **state)
{
	struct lk_store *s = fx_db(state);
	char *big = long_str(LK_AUTH_PARAMS_MAX + 1, 'p');
	char *big_id = big + (LK_AUTH_PARAMS_MAX - LK_SIGNIN_STR_MAX); /* LK_SIGNIN_STR_MAX + 1 */
	struct lk_auth_request_record r, got = {.id = (char *)"untouched"};

	add_app(s, "c1", "One");
	r = auth_request(NULL, "c1");
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_EINVAL);
	r = auth_request("", "c1");
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_EINVAL);
	r = auth_request("r", NULL);
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_EINVAL);
	r = auth_request("r", "c1");
	r.params = NULL;
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_EINVAL);
	r.params = (char *)"";
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_EINVAL);
	r = auth_request("r", "c1");
	r.created_at = -1;
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_EINVAL);
	r = auth_request("r", "c1");
	r.expires_at = -1;
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_EINVAL);
	r = auth_request("r", "c1");
	r.params = big;
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_ETOOBIG);
	r = auth_request(big_id, "c1");
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_ETOOBIG);
	r = auth_request("r", big_id);
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_ETOOBIG);
	assert_int_equal(lk_store_auth_request_insert(s, NULL), LK_EINVAL);
	r = auth_request("r", "c1");
	assert_int_equal(lk_store_auth_request_insert(NULL, &r), LK_EINVAL);
	assert_false(auth_request_exists(s, "r"));

	/* The largest parameters are accepted. */
	r.params = big + 1;
	assert_int_equal(lk_store_auth_request_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_auth_request_get(s, "r", &got), LK_OK);
	assert_int_equal(strlen(got.params), LK_AUTH_PARAMS_MAX);
	lk_auth_request_record_release(&got);

	got.id = (char *)"untouched";
	assert_int_equal(lk_store_auth_request_get(s, NULL, &got), LK_EINVAL);
	assert_int_equal(lk_store_auth_request_get(s, "", &got), LK_EINVAL);
	assert_int_equal(lk_store_auth_request_get(s, big_id, &got), LK_ETOOBIG);
	assert_int_equal(lk_store_auth_request_get(s, "r", NULL), LK_EINVAL);
	assert_int_equal(lk_store_auth_request_get(NULL, "r", &got), LK_EINVAL);
	assert_string_equal(got.id, "untouched");
	assert_int_equal(lk_store_auth_request_set_consented(s, ""), LK_EINVAL);
	assert_int_equal(lk_store_auth_request_set_consented(s, big_id), LK_ETOOBIG);
	assert_int_equal(lk_store_auth_request_set_consented(NULL, "r"), LK_EINVAL);
	assert_int_equal(lk_store_auth_request_delete(s, NULL), LK_EINVAL);
	assert_int_equal(lk_store_auth_request_delete(s, big_id), LK_ETOOBIG);
	assert_int_equal(lk_store_auth_request_delete(NULL, "r"), LK_EINVAL);
	assert_int_equal(lk_store_auth_request_get(s, "r", &got), LK_OK);
	assert_false(got.consented);
	lk_auth_request_record_release(&got);
	free(big);
}

/* ---- Authorization codes ---- */

static void test_code(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	struct lk_code_record r, got = {0};
	uint8_t h[LK_SHA256_LEN];

	add_app(s, "c1", "One");
	r = code(1, "g1", "c1", uid);
	assert_int_equal(lk_store_code_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_code_consume(s, r.hash, 50, &got), LK_OK);
	assert_memory_equal(got.hash, r.hash, LK_SHA256_LEN);
	assert_string_equal(got.grant_id, "g1");
	assert_string_equal(got.client_id, "c1");
	assert_string_equal(got.redirect_uri, "https://app.example/cb");
	assert_int_equal(got.user_id, uid);
	assert_string_equal(got.scope, "openid profile");
	assert_string_equal(got.nonce, "n-0S6");
	assert_string_equal(got.code_challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	assert_string_equal(got.sid, "sid-1");
	assert_string_equal(got.amr, "pwd");
	assert_string_equal(got.claims, CLAIMS);
	assert_int_equal(got.auth_time, 10);
	assert_int_equal(got.created_at, 11);
	assert_int_equal(got.expires_at, 71);
	assert_int_equal(got.used_at, 50);
	lk_code_record_release(&got);
	assert_null(got.grant_id);
	assert_int_equal(got.used_at, 0);

	/* The second redemption fails, but says what the first one was. */
	assert_int_equal(lk_store_code_consume(s, r.hash, 60, &got), LK_EEXIST);
	assert_string_equal(got.grant_id, "g1");
	assert_int_equal(got.user_id, uid);
	assert_int_equal(got.used_at, 50);
	lk_code_record_release(&got);
	assert_int_equal(code_used_at(s, 1, 70), 50);

	/* An unknown code: nothing written out. */
	fx_hash_of(h, 9);
	got.grant_id = (char *)"untouched";
	assert_int_equal(lk_store_code_consume(s, h, 50, &got), LK_ENOTFOUND);
	assert_string_equal(got.grant_id, "untouched");

	/* Absent optional strings come back as "". */
	r = code(2, "g2", "c1", uid);
	r.redirect_uri = NULL;
	r.scope = NULL;
	r.nonce = NULL;
	r.code_challenge = NULL;
	r.sid = NULL;
	r.amr = NULL;
	r.claims = NULL;
	assert_int_equal(lk_store_code_insert(s, &r), LK_OK);
	got = (struct lk_code_record){0};
	assert_int_equal(lk_store_code_consume(s, r.hash, 50, &got), LK_OK);
	assert_string_equal(got.claims, "");
	assert_string_equal(got.redirect_uri, "");
	assert_string_equal(got.scope, "");
	assert_string_equal(got.nonce, "");
	assert_string_equal(got.code_challenge, "");
	assert_string_equal(got.sid, "");
	assert_string_equal(got.amr, "");
	lk_code_record_release(&got);

	/* A code stored as used is used. */
	r = code(3, "g3", "c1", uid);
	r.used_at = 40;
	assert_int_equal(lk_store_code_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_code_consume(s, r.hash, 50, &got), LK_EEXIST);
	assert_int_equal(got.used_at, 40);
	lk_code_record_release(&got);

	/* A duplicate hash; an unknown client or user. */
	r = code(1, "gx", "c1", uid);
	assert_int_equal(lk_store_code_insert(s, &r), LK_EEXIST);
	r = code(4, "g4", "nope", uid);
	assert_int_equal(lk_store_code_insert(s, &r), LK_ENOTFOUND);
	r = code(4, "g4", "c1", uid + 100);
	assert_int_equal(lk_store_code_insert(s, &r), LK_ENOTFOUND);
	assert_int_equal(code_used_at(s, 4, 50), -1);
}

/* Every check of a code's fields; none of the refused codes is stored. */
static void test_code_bad_input(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	char *big = long_str(LK_TOKEN_SCOPE_MAX + 1, 'x');
	char *big_str = big + (LK_TOKEN_SCOPE_MAX - LK_SIGNIN_STR_MAX);
	struct lk_code_record r, got = {.grant_id = (char *)"untouched"};
	char **strs[] = {&r.grant_id,	    &r.client_id, &r.redirect_uri, &r.nonce,
			 &r.code_challenge, &r.sid,	  &r.amr,	   &r.claims};
	int64_t *times[] = {&r.auth_time, &r.created_at, &r.expires_at, &r.used_at};
	uint8_t h[LK_SHA256_LEN];

	add_app(s, "c1", "One");
	r = code(1, NULL, "c1", uid);
	assert_int_equal(lk_store_code_insert(s, &r), LK_EINVAL);
	r = code(1, "", "c1", uid);
	assert_int_equal(lk_store_code_insert(s, &r), LK_EINVAL);
	r = code(1, "g1", NULL, uid);
	assert_int_equal(lk_store_code_insert(s, &r), LK_EINVAL);
	r = code(1, "g1", "", uid);
	assert_int_equal(lk_store_code_insert(s, &r), LK_EINVAL);
	r = code(1, "g1", "c1", 0);
	assert_int_equal(lk_store_code_insert(s, &r), LK_EINVAL);
	r = code(1, "g1", "c1", -5);
	assert_int_equal(lk_store_code_insert(s, &r), LK_EINVAL);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		r = code(1, "g1", "c1", uid);
		*times[i] = -1;
		assert_int_equal(lk_store_code_insert(s, &r), LK_EINVAL);
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		r = code(1, "g1", "c1", uid);
		*strs[i] = big_str;
		assert_int_equal(lk_store_code_insert(s, &r), LK_ETOOBIG);
	}
	r = code(1, "g1", "c1", uid);
	r.scope = big;
	assert_int_equal(lk_store_code_insert(s, &r), LK_ETOOBIG);
	assert_int_equal(lk_store_code_insert(s, NULL), LK_EINVAL);
	r = code(1, "g1", "c1", uid);
	assert_int_equal(lk_store_code_insert(NULL, &r), LK_EINVAL);

	/* Consuming needs a time > 0: used_at 0 would leave the code unused. */
	fx_hash_of(h, 1);
	assert_int_equal(lk_store_code_consume(s, h, 0, &got), LK_EINVAL);
	assert_int_equal(lk_store_code_consume(s, h, -1, &got), LK_EINVAL);
	assert_int_equal(lk_store_code_consume(s, NULL, 5, &got), LK_EINVAL);
	assert_int_equal(lk_store_code_consume(s, h, 5, NULL), LK_EINVAL);
	assert_int_equal(lk_store_code_consume(NULL, h, 5, &got), LK_EINVAL);
	assert_string_equal(got.grant_id, "untouched");
	assert_int_equal(code_used_at(s, 1, 5), -1);

	/* The longest strings are accepted. */
	r = code(1, "g1", "c1", uid);
	r.scope = big + 1;
	r.nonce = big_str + 1;
	assert_int_equal(lk_store_code_insert(s, &r), LK_OK);
	got = (struct lk_code_record){0};
	assert_int_equal(lk_store_code_consume(s, r.hash, 5, &got), LK_OK);
	assert_int_equal(strlen(got.scope), LK_TOKEN_SCOPE_MAX);
	assert_int_equal(strlen(got.nonce), LK_SIGNIN_STR_MAX);
	lk_code_record_release(&got);
	free(big);
}

/*
 * Inside the caller's transaction the redemption nests: it commits with the
 * caller's work and is undone by the caller's rollback.
 */
static void test_code_in_transaction(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	struct lk_code_record got = {0};
	uint8_t h[LK_SHA256_LEN];

	add_app(s, "c1", "One");
	insert_code(s, 1, "g1", "c1", uid);
	insert_code(s, 2, "g2", "c1", uid);

	fx_hash_of(h, 1);
	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_code_consume(s, h, 50, &got), LK_OK);
	lk_code_record_release(&got);
	assert_int_equal(lk_store_code_consume(s, h, 51, &got), LK_EEXIST);
	assert_int_equal(got.used_at, 50);
	lk_code_record_release(&got);
	assert_int_equal(lk_store_rollback(s), LK_OK);
	assert_int_equal(lk_store_code_consume(s, h, 60, &got), LK_OK);
	assert_int_equal(got.used_at, 60);
	lk_code_record_release(&got);

	fx_hash_of(h, 2);
	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_code_consume(s, h, 70, &got), LK_OK);
	lk_code_record_release(&got);
	/* An unknown code inside the transaction leaves the transaction usable. */
	fx_hash_of(h, 9);
	assert_int_equal(lk_store_code_consume(s, h, 70, &got), LK_ENOTFOUND);
	assert_int_equal(lk_store_commit(s), LK_OK);
	assert_int_equal(code_used_at(s, 2, 80), 70);
}

/* ---- Refresh tokens ---- */

static void test_refresh(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	struct lk_refresh_record r, got = {0};
	uint8_t h[LK_SHA256_LEN];

	add_app(s, "c1", "One");
	r = refresh(1, "fam-1", "c1", uid);
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_refresh_get(s, r.hash, &got), LK_OK);
	assert_memory_equal(got.hash, r.hash, LK_SHA256_LEN);
	assert_string_equal(got.family, "fam-1");
	assert_string_equal(got.client_id, "c1");
	assert_int_equal(got.user_id, uid);
	assert_string_equal(got.scope, "openid offline_access");
	assert_string_equal(got.sid, "sid-1");
	assert_string_equal(got.amr, "pwd");
	assert_string_equal(got.claims, CLAIMS);
	assert_int_equal(got.auth_time, 10);
	assert_int_equal(got.issued_at, 12);
	assert_int_equal(got.expires_at, 5000);
	assert_int_equal(got.rotated_at, 0);
	assert_false(got.revoked);
	lk_refresh_record_release(&got);
	assert_null(got.family);

	/* Stored rotated and revoked, with absent optional strings. */
	r = refresh(2, "fam-1", "c1", uid);
	r.rotated_at = 30;
	r.revoked = true;
	r.scope = NULL;
	r.sid = NULL;
	r.amr = NULL;
	r.claims = NULL;
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_refresh_get(s, r.hash, &got), LK_OK);
	assert_string_equal(got.claims, "");
	assert_int_equal(got.rotated_at, 30);
	assert_true(got.revoked);
	assert_string_equal(got.scope, "");
	assert_string_equal(got.sid, "");
	assert_string_equal(got.amr, "");
	lk_refresh_record_release(&got);

	r = refresh(1, "fam-2", "c1", uid);
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_EEXIST);
	r = refresh(3, "fam-3", "nope", uid);
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_ENOTFOUND);
	r = refresh(3, "fam-3", "c1", uid + 100);
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_ENOTFOUND);
	assert_false(refresh_exists(s, 3));
	fx_hash_of(h, 3);
	got.family = (char *)"untouched";
	assert_int_equal(lk_store_refresh_get(s, h, &got), LK_ENOTFOUND);
	assert_string_equal(got.family, "untouched");
}

static void test_refresh_bad_input(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	char *big = long_str(LK_TOKEN_SCOPE_MAX + 1, 'x');
	char *big_str = big + (LK_TOKEN_SCOPE_MAX - LK_SIGNIN_STR_MAX);
	struct lk_refresh_record r, got = {.family = (char *)"untouched"};
	char **strs[] = {&r.family, &r.client_id, &r.sid, &r.amr, &r.claims};
	int64_t *times[] = {&r.auth_time, &r.issued_at, &r.expires_at, &r.rotated_at};
	uint8_t h[LK_SHA256_LEN];

	add_app(s, "c1", "One");
	r = refresh(1, NULL, "c1", uid);
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_EINVAL);
	r = refresh(1, "", "c1", uid);
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_EINVAL);
	r = refresh(1, "f", NULL, uid);
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_EINVAL);
	r = refresh(1, "f", "", uid);
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_EINVAL);
	r = refresh(1, "f", "c1", 0);
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_EINVAL);
	r = refresh(1, "f", "c1", uid);
	r.expires_at = 0; /* a refresh token always expires */
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_EINVAL);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		r = refresh(1, "f", "c1", uid);
		*times[i] = -1;
		assert_int_equal(lk_store_refresh_insert(s, &r), LK_EINVAL);
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		r = refresh(1, "f", "c1", uid);
		*strs[i] = big_str;
		assert_int_equal(lk_store_refresh_insert(s, &r), LK_ETOOBIG);
	}
	r = refresh(1, "f", "c1", uid);
	r.scope = big;
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_ETOOBIG);
	assert_int_equal(lk_store_refresh_insert(s, NULL), LK_EINVAL);
	r = refresh(1, "f", "c1", uid);
	assert_int_equal(lk_store_refresh_insert(NULL, &r), LK_EINVAL);
	assert_false(refresh_exists(s, 1));

	r.scope = big + 1;
	r.family = big_str + 1;
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_refresh_get(s, r.hash, &got), LK_OK);
	assert_int_equal(strlen(got.scope), LK_TOKEN_SCOPE_MAX);
	assert_int_equal(strlen(got.family), LK_SIGNIN_STR_MAX);
	lk_refresh_record_release(&got);

	fx_hash_of(h, 1);
	got.family = (char *)"untouched";
	assert_int_equal(lk_store_refresh_get(s, NULL, &got), LK_EINVAL);
	assert_int_equal(lk_store_refresh_get(s, h, NULL), LK_EINVAL);
	assert_int_equal(lk_store_refresh_get(NULL, h, &got), LK_EINVAL);
	assert_int_equal(lk_store_refresh_consume(s, h, 0, &got), LK_EINVAL);
	assert_int_equal(lk_store_refresh_consume(s, h, -1, &got), LK_EINVAL);
	assert_int_equal(lk_store_refresh_consume(s, NULL, 5, &got), LK_EINVAL);
	assert_int_equal(lk_store_refresh_consume(s, h, 5, NULL), LK_EINVAL);
	assert_int_equal(lk_store_refresh_consume(NULL, h, 5, &got), LK_EINVAL);
	assert_string_equal(got.family, "untouched");
	assert_false(refresh_revoked(s, 1));
	free(big);
}

/*
 * Rotation: the current token rotates once; using it again, or using a
 * revoked one, is reuse, reported with the stored record so that the caller
 * can revoke the family.
 */
static void test_refresh_consume(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	struct lk_refresh_record r, got = {0};
	uint8_t h[LK_SHA256_LEN];
	int64_t rotated = -1;
	bool revoked = true;

	add_app(s, "c1", "One");
	insert_refresh(s, 1, "fam-1", "c1", uid);
	fx_hash_of(h, 1);
	assert_int_equal(lk_store_refresh_consume(s, h, 100, &got), LK_OK);
	assert_string_equal(got.family, "fam-1");
	assert_string_equal(got.client_id, "c1");
	assert_int_equal(got.user_id, uid);
	assert_string_equal(got.scope, "openid offline_access");
	assert_int_equal(got.rotated_at, 100);
	assert_false(got.revoked);
	lk_refresh_record_release(&got);
	assert_true(refresh_state(s, 1, &revoked, &rotated));
	assert_int_equal(rotated, 100);
	assert_false(revoked);

	/* Its successor in the family is current; the old one is reuse. */
	insert_refresh(s, 2, "fam-1", "c1", uid);
	assert_int_equal(lk_store_refresh_consume(s, h, 110, &got), LK_EEXIST);
	assert_string_equal(got.family, "fam-1");
	assert_int_equal(got.rotated_at, 100);
	lk_refresh_record_release(&got);

	/* A revoked token is refused even though it was never rotated. */
	r = refresh(3, "fam-3", "c1", uid);
	r.revoked = true;
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_refresh_consume(s, r.hash, 120, &got), LK_EEXIST);
	assert_int_equal(got.rotated_at, 0);
	assert_true(got.revoked);
	lk_refresh_record_release(&got);
	assert_true(refresh_state(s, 3, NULL, &rotated));
	assert_int_equal(rotated, 0);

	fx_hash_of(h, 2);
	assert_int_equal(lk_store_refresh_consume(s, h, 130, &got), LK_OK);
	assert_int_equal(got.rotated_at, 130);
	lk_refresh_record_release(&got);

	fx_hash_of(h, 9);
	got.family = (char *)"untouched";
	assert_int_equal(lk_store_refresh_consume(s, h, 140, &got), LK_ENOTFOUND);
	assert_string_equal(got.family, "untouched");
}

/* ---- The race: connections redeeming the same code at the same moment ---- */

struct racer {
	const char *url;
	pthread_barrier_t *start;
	int64_t now; /* what this side writes as used_at or rotated_at */
	enum lk_err open_err;
	enum lk_err code_got[RACE_ROUNDS];
	int64_t code_used_at[RACE_ROUNDS]; /* as this side saw it */
	enum lk_err refresh_got[RACE_ROUNDS];
	int64_t refresh_rotated_at[RACE_ROUNDS];
};

/* One side: its own connection, one code and one refresh token per round. */
static void *race(void *arg)
{
	struct racer *r = arg;
	struct lk_store *s = NULL;
	struct lk_code_record c;
	struct lk_refresh_record t;
	uint8_t h[LK_SHA256_LEN];

	r->open_err = lk_store_open(r->url, &s);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		fx_hash_of(h, i);
		c = (struct lk_code_record){0};
		t = (struct lk_refresh_record){0};
		/* Both sides always reach the barrier, so neither can hang. */
		pthread_barrier_wait(r->start);
		r->code_got[i] = s ? lk_store_code_consume(s, h, r->now, &c) : LK_EINTERNAL;
		r->code_used_at[i] = c.used_at;
		lk_code_record_release(&c);
		pthread_barrier_wait(r->start);
		r->refresh_got[i] = s ? lk_store_refresh_consume(s, h, r->now, &t) : LK_EINTERNAL;
		r->refresh_rotated_at[i] = t.rotated_at;
		lk_refresh_record_release(&t);
	}
	lk_store_close(s);
	return NULL;
}

/*
 * Checks one round of one kind: exactly one side won; both saw the winner's
 * time, the loser through LK_EEXIST. Returns the winner.
 */
static int race_winner(enum lk_err got0, enum lk_err got1, int64_t seen0, int64_t seen1,
		       const struct racer *r)
{
	int w = got0 == LK_OK ? 0 : 1;

	assert_int_equal(w == 0 ? got1 : got0, LK_EEXIST);
	assert_int_equal(w == 0 ? got0 : got1, LK_OK);
	assert_int_equal(seen0, r[w].now);
	assert_int_equal(seen1, r[w].now);
	return w;
}

static void test_consume_race(void **state)
{
	struct fx *f = *state;
	int64_t uid = fx_add_user(f->s, "corp", "alice", NULL);
	pthread_barrier_t start;
	struct racer r[2];
	pthread_t t[2];
	char grant[32];
	int wins[2] = {0, 0};

	add_app(f->s, "c1", "One");
	for (int i = 0; i < RACE_ROUNDS; i++) {
		snprintf(grant, sizeof(grant), "g%d", i);
		insert_code(f->s, i, grant, "c1", uid);
		insert_refresh(f->s, i, grant, "c1", uid);
	}
	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	for (int i = 0; i < 2; i++) {
		r[i] = (struct racer){.url = f->url, .start = &start, .now = 1000 + i};
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);

	assert_int_equal(r[0].open_err, LK_OK);
	assert_int_equal(r[1].open_err, LK_OK);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		wins[race_winner(r[0].code_got[i], r[1].code_got[i], r[0].code_used_at[i],
				 r[1].code_used_at[i], r)]++;
		wins[race_winner(r[0].refresh_got[i], r[1].refresh_got[i],
				 r[0].refresh_rotated_at[i], r[1].refresh_rotated_at[i], r)]++;
		/* And they stay used for everyone. */
		assert_true(code_used_at(f->s, i, 5000) == 1000 ||
			    code_used_at(f->s, i, 5000) == 1001);
	}
	assert_int_equal(wins[0] + wins[1], 2 * RACE_ROUNDS);
}

/* ---- Grants ---- */

/*
 * Grant g1 has: an unused code (1) and a redeemed one (2), a rotated refresh
 * token (1) and the current one (2), opaque tokens (1, 2), JWT ids j1 and
 * j-old (already expired at the revocation). Grant g2 of the same user has a
 * code (3), a refresh token (3), an opaque token (3) and the JWT id j2; a
 * client-credentials token (4) has no grant.
 */
static int64_t two_grants(struct lk_store *s)
{
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	struct lk_code_record c = code(2, "g1", "c1", uid);
	struct lk_refresh_record r = refresh(1, "g1", "c1", uid);

	add_app(s, "c1", "One");
	insert_code(s, 1, "g1", "c1", uid);
	c.used_at = 30;
	assert_int_equal(lk_store_code_insert(s, &c), LK_OK);
	insert_code(s, 3, "g2", "c1", uid);
	r.rotated_at = 40;
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_OK);
	insert_refresh(s, 2, "g1", "c1", uid);
	insert_refresh(s, 3, "g2", "c1", uid);
	insert_token(s, 1, "c1", "17", "g1");
	insert_token(s, 2, "c1", "17", "g1");
	insert_token(s, 3, "c1", "17", "g2");
	insert_token(s, 4, "c1", "c1", NULL);
	assert_int_equal(lk_store_grant_jti_add(s, "g1", uid, "j1", 500), LK_OK);
	assert_int_equal(lk_store_grant_jti_add(s, "g1", uid, "j-old", 50), LK_OK);
	assert_int_equal(lk_store_grant_jti_add(s, "g2", uid, "j2", 500), LK_OK);
	return uid;
}

/* Whether everything of g1 (and nothing of g2) was revoked by a revocation at 100. */
static void assert_g1_revoked(struct lk_store *s)
{
	assert_true(refresh_revoked(s, 1));
	assert_true(refresh_revoked(s, 2));
	assert_true(token_revoked(s, 1));
	assert_true(token_revoked(s, 2));
	assert_true(jti_revoked(s, "j1"));
	assert_false(jti_revoked(s, "j-old")); /* expired: nothing to remember */
	assert_int_equal(code_used_at(s, 1, 200), 100);
	assert_int_equal(code_used_at(s, 2, 200), 30); /* the first redemption stays */

	assert_false(refresh_revoked(s, 3));
	assert_false(token_revoked(s, 3));
	assert_false(token_revoked(s, 4));
	assert_false(jti_revoked(s, "j2"));
}

static void test_grant_revoke(void **state)
{
	struct lk_store *s = fx_db(state);
	int deleted = 0;

	two_grants(s);
	/* Inside the caller's transaction the revocation nests, and is undone with it. */
	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_grant_revoke(s, "g1", 100), LK_OK);
	assert_true(refresh_revoked(s, 1));
	assert_int_equal(lk_store_rollback(s), LK_OK);
	assert_false(refresh_revoked(s, 1));
	assert_false(token_revoked(s, 1));
	assert_false(jti_revoked(s, "j1"));

	assert_int_equal(lk_store_grant_revoke(s, "g1", 100), LK_OK);
	/* Idempotent: again later changes no time. */
	assert_int_equal(lk_store_grant_revoke(s, "g1", 150), LK_OK);
	assert_g1_revoked(s);
	/* The other grant's code is still good. */
	assert_int_equal(code_used_at(s, 3, 200), 200);

	/* The revoked id is remembered until the token would have expired. */
	assert_int_equal(lk_store_tokens_delete_expired(s, 499, &deleted), LK_OK);
	assert_true(jti_revoked(s, "j1"));
	assert_int_equal(lk_store_tokens_delete_expired(s, 500, &deleted), LK_OK);
	assert_false(jti_revoked(s, "j1"));

	/* An unknown grant is not an error. */
	assert_int_equal(lk_store_grant_revoke(s, "nope", 100), LK_OK);
}

static void test_grant_bad_input(void **state)
{
	struct lk_store *s = fx_db(state);
	char *big = long_str(LK_SIGNIN_STR_MAX + 1, 'g');
	int64_t uid = two_grants(s);

	assert_int_equal(lk_store_grant_revoke(s, NULL, 100), LK_EINVAL);
	assert_int_equal(lk_store_grant_revoke(s, "", 100), LK_EINVAL);
	assert_int_equal(lk_store_grant_revoke(s, big, 100), LK_ETOOBIG);
	assert_int_equal(lk_store_grant_revoke(s, "g1", 0), LK_EINVAL);
	assert_int_equal(lk_store_grant_revoke(s, "g1", -1), LK_EINVAL);
	assert_int_equal(lk_store_grant_revoke(NULL, "g1", 100), LK_EINVAL);
	assert_int_equal(lk_store_user_revoke_grants(s, 0, 100), LK_EINVAL);
	assert_int_equal(lk_store_user_revoke_grants(s, -1, 100), LK_EINVAL);
	assert_int_equal(lk_store_user_revoke_grants(s, uid, 0), LK_EINVAL);
	assert_int_equal(lk_store_user_revoke_grants(s, uid, -1), LK_EINVAL);
	assert_int_equal(lk_store_user_revoke_grants(NULL, uid, 100), LK_EINVAL);
	assert_false(refresh_revoked(s, 2));
	assert_false(token_revoked(s, 1));

	assert_int_equal(lk_store_grant_jti_add(s, NULL, uid, "j", 100), LK_EINVAL);
	assert_int_equal(lk_store_grant_jti_add(s, "", uid, "j", 100), LK_EINVAL);
	assert_int_equal(lk_store_grant_jti_add(s, big, uid, "j", 100), LK_ETOOBIG);
	assert_int_equal(lk_store_grant_jti_add(s, "g1", 0, "j", 100), LK_EINVAL);
	assert_int_equal(lk_store_grant_jti_add(s, "g1", uid, NULL, 100), LK_EINVAL);
	assert_int_equal(lk_store_grant_jti_add(s, "g1", uid, "", 100), LK_EINVAL);
	assert_int_equal(lk_store_grant_jti_add(s, "g1", uid, big, 100), LK_ETOOBIG);
	assert_int_equal(lk_store_grant_jti_add(s, "g1", uid, "j", -1), LK_EINVAL);
	assert_int_equal(lk_store_grant_jti_add(NULL, "g1", uid, "j", 100), LK_EINVAL);
	assert_int_equal(lk_store_grant_revoke(s, "g1", 10), LK_OK);
	assert_false(jti_revoked(s, "j"));
	assert_true(jti_revoked(s, "j1"));

	/* The longest strings are accepted. */
	assert_int_equal(lk_store_grant_jti_add(s, big + 1, uid, big + 1, 100), LK_OK);
	assert_int_equal(lk_store_grant_revoke(s, big + 1, 10), LK_OK);
	assert_true(jti_revoked(s, big + 1));
	free(big);
}

/* Adding a JWT id again keeps it once, with the later expiry. */
static void test_grant_jti_again(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	int deleted = 0;

	assert_int_equal(lk_store_grant_jti_add(s, "g1", uid, "j1", 100), LK_OK);
	assert_int_equal(lk_store_grant_jti_add(s, "g1", uid, "j1", 300), LK_OK);
	assert_int_equal(lk_store_grant_jti_add(s, "g1", uid, "j1", 200), LK_OK);
	assert_int_equal(lk_store_signin_delete_expired(s, 299, &deleted), LK_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(lk_store_grant_revoke(s, "g1", 10), LK_OK);
	assert_int_equal(lk_store_tokens_delete_expired(s, 299, &deleted), LK_OK);
	assert_int_equal(deleted, 0);
	assert_true(jti_revoked(s, "j1"));
	assert_int_equal(lk_store_signin_delete_expired(s, 300, &deleted), LK_OK);
	assert_int_equal(deleted, 1);
	assert_int_equal(lk_store_tokens_delete_expired(s, 300, &deleted), LK_OK);
	assert_int_equal(deleted, 1);
	assert_false(jti_revoked(s, "j1"));
}

/*
 * Everything alice holds ends, whichever trace names her grant; bob's things
 * and tokens without a grant stay.
 */
static void test_user_revoke_grants(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t alice = fx_add_user(s, "corp", "alice", NULL);
	int64_t bob = fx_add_user(s, "corp", "bob", NULL);
	struct lk_session_record sess = session(1, alice);
	char alice_sub[24], bob_sub[24];

	snprintf(alice_sub, sizeof(alice_sub), "%lld", (long long)alice);
	snprintf(bob_sub, sizeof(bob_sub), "%lld", (long long)bob);
	add_app(s, "c1", "One");
	assert_int_equal(lk_store_session_insert(s, &sess), LK_OK);
	sess = session(2, bob);
	assert_int_equal(lk_store_session_insert(s, &sess), LK_OK);
	insert_code(s, 1, "ga-code", "c1", alice);
	insert_code(s, 2, "gb-code", "c1", bob);
	insert_refresh(s, 1, "ga-refresh", "c1", alice);
	insert_refresh(s, 2, "gb-refresh", "c1", bob);
	assert_int_equal(lk_store_grant_jti_add(s, "ga-jwt", alice, "ja", 500), LK_OK);
	assert_int_equal(lk_store_grant_jti_add(s, "gb-jwt", bob, "jb", 500), LK_OK);
	/* Tokens found through each trace of alice's grants, under another subject. */
	insert_token(s, 1, "c1", "pairwise-a", "ga-code");
	insert_token(s, 2, "c1", "pairwise-a", "ga-refresh");
	insert_token(s, 3, "c1", "pairwise-a", "ga-jwt");
	/* A grant with no other trace left, found by her subject. */
	insert_token(s, 4, "c1", alice_sub, "ga-gone");
	/* No grant: a client-credentials token whose subject looks like her id. */
	insert_token(s, 5, "c1", alice_sub, NULL);
	insert_token(s, 6, "c1", bob_sub, "gb-code");
	insert_token(s, 7, "c1", bob_sub, "gb-gone");

	assert_int_equal(lk_store_user_revoke_grants(s, alice, 100), LK_OK);
	assert_int_equal(lk_store_user_revoke_grants(s, alice, 150), LK_OK);
	assert_false(session_exists(s, 1));
	assert_int_equal(code_used_at(s, 1, 200), 100);
	assert_true(refresh_revoked(s, 1));
	assert_true(jti_revoked(s, "ja"));
	for (int v = 1; v <= 4; v++)
		assert_true(token_revoked(s, v));
	assert_false(token_revoked(s, 5));

	assert_true(session_exists(s, 2));
	assert_int_equal(code_used_at(s, 2, 200), 200); /* unused until now */
	assert_false(refresh_revoked(s, 2));
	assert_false(jti_revoked(s, "jb"));
	assert_false(token_revoked(s, 6));
	assert_false(token_revoked(s, 7));

	/* A user with nothing, or no user at all, is no error. */
	assert_int_equal(lk_store_user_revoke_grants(s, bob + 100, 100), LK_OK);
}

/* ---- Consents ---- */

static void test_consent(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	char *big = long_str(LK_TOKEN_SCOPE_MAX + 1, 'x');
	char *scope = (char *)"untouched";

	add_app(s, "c1", "One");
	add_app(s, "c2", "Two");
	assert_int_equal(lk_store_consent_get(s, uid, "c1", &scope), LK_ENOTFOUND);
	assert_string_equal(scope, "untouched");
	assert_int_equal(lk_store_consent_set(s, uid, "c1", "openid profile", 10), LK_OK);
	assert_int_equal(lk_store_consent_get(s, uid, "c1", &scope), LK_OK);
	assert_string_equal(scope, "openid profile");
	free(scope);
	assert_false(consent_exists(s, uid, "c2"));

	/* Set again, it replaces. */
	assert_int_equal(lk_store_consent_set(s, uid, "c1", "openid", 20), LK_OK);
	assert_int_equal(lk_store_consent_get(s, uid, "c1", &scope), LK_OK);
	assert_string_equal(scope, "openid");
	free(scope);
	assert_int_equal(lk_store_consent_set(s, uid, "c2", NULL, 20), LK_OK);
	assert_int_equal(lk_store_consent_get(s, uid, "c2", &scope), LK_OK);
	assert_string_equal(scope, "");
	free(scope);

	assert_int_equal(lk_store_consent_set(s, uid + 100, "c1", "openid", 20), LK_ENOTFOUND);
	assert_int_equal(lk_store_consent_set(s, uid, "nope", "openid", 20), LK_ENOTFOUND);
	assert_false(consent_exists(s, uid, "nope"));

	scope = (char *)"untouched";
	assert_int_equal(lk_store_consent_set(s, 0, "c1", "x", 20), LK_EINVAL);
	assert_int_equal(lk_store_consent_set(s, uid, NULL, "x", 20), LK_EINVAL);
	assert_int_equal(lk_store_consent_set(s, uid, "", "x", 20), LK_EINVAL);
	assert_int_equal(lk_store_consent_set(s, uid, big + 1000, "x", 20), LK_ETOOBIG);
	assert_int_equal(lk_store_consent_set(s, uid, "c1", big, 20), LK_ETOOBIG);
	assert_int_equal(lk_store_consent_set(s, uid, "c1", "x", -1), LK_EINVAL);
	assert_int_equal(lk_store_consent_set(NULL, uid, "c1", "x", 20), LK_EINVAL);
	assert_int_equal(lk_store_consent_get(s, 0, "c1", &scope), LK_EINVAL);
	assert_int_equal(lk_store_consent_get(s, uid, "", &scope), LK_EINVAL);
	assert_int_equal(lk_store_consent_get(s, uid, big, &scope), LK_ETOOBIG);
	assert_int_equal(lk_store_consent_get(s, uid, "c1", NULL), LK_EINVAL);
	assert_int_equal(lk_store_consent_get(NULL, uid, "c1", &scope), LK_EINVAL);
	assert_string_equal(scope, "untouched");
	assert_int_equal(lk_store_consent_get(s, uid, "c1", &scope), LK_OK);
	assert_string_equal(scope, "openid");
	free(scope);

	assert_int_equal(lk_store_consent_set(s, uid, "c1", big + 1, 30), LK_OK);
	assert_int_equal(lk_store_consent_get(s, uid, "c1", &scope), LK_OK);
	assert_int_equal(strlen(scope), LK_TOKEN_SCOPE_MAX);
	free(scope);
	free(big);
}

/* ---- Throttling ---- */

static void test_throttle(void **state)
{
	struct lk_store *s = fx_db(state);
	char *big = long_str(LK_SIGNIN_STR_MAX + 1, 'k');
	struct lk_throttle_record r = {.failures = 3,
				       .window_start = 10,
				       .locked_until = 70,
				       .lock_seconds = 60,
				       .expires_at = 1000},
				  got = {.failures = -7}, bad;
	const char *key = "user:local\\alice";

	assert_int_equal(lk_store_throttle_get(s, key, &got), LK_ENOTFOUND);
	assert_int_equal(got.failures, -7);
	assert_int_equal(lk_store_throttle_put(s, key, &r), LK_OK);
	assert_int_equal(lk_store_throttle_get(s, key, &got), LK_OK);
	assert_int_equal(got.failures, 3);
	assert_int_equal(got.window_start, 10);
	assert_int_equal(got.locked_until, 70);
	assert_int_equal(got.lock_seconds, 60);
	assert_int_equal(got.expires_at, 1000);
	assert_false(throttle_exists(s, "addr:192.0.2.1"));
	assert_false(throttle_exists(s, "user:local\\ALICE")); /* keys compare exactly */

	/* Put again, it replaces every number. */
	r = (struct lk_throttle_record){.failures = 1, .window_start = 80, .expires_at = 2000};
	assert_int_equal(lk_store_throttle_put(s, key, &r), LK_OK);
	assert_int_equal(lk_store_throttle_get(s, key, &got), LK_OK);
	assert_int_equal(got.failures, 1);
	assert_int_equal(got.window_start, 80);
	assert_int_equal(got.locked_until, 0);
	assert_int_equal(got.lock_seconds, 0);
	assert_int_equal(got.expires_at, 2000);

	/* Bad input changes nothing. */
	bad = r;
	bad.failures = -1;
	assert_int_equal(lk_store_throttle_put(s, key, &bad), LK_EINVAL);
	bad = r;
	bad.window_start = -1;
	assert_int_equal(lk_store_throttle_put(s, key, &bad), LK_EINVAL);
	bad = r;
	bad.locked_until = -1;
	assert_int_equal(lk_store_throttle_put(s, key, &bad), LK_EINVAL);
	bad = r;
	bad.lock_seconds = -1;
	assert_int_equal(lk_store_throttle_put(s, key, &bad), LK_EINVAL);
	bad = r;
	bad.expires_at = -1;
	assert_int_equal(lk_store_throttle_put(s, key, &bad), LK_EINVAL);
	bad = r;
	bad.failures = 9;
	assert_int_equal(lk_store_throttle_put(s, NULL, &bad), LK_EINVAL);
	assert_int_equal(lk_store_throttle_put(s, "", &bad), LK_EINVAL);
	assert_int_equal(lk_store_throttle_put(s, big, &bad), LK_ETOOBIG);
	assert_int_equal(lk_store_throttle_put(s, key, NULL), LK_EINVAL);
	assert_int_equal(lk_store_throttle_put(NULL, key, &bad), LK_EINVAL);
	got.failures = -7;
	assert_int_equal(lk_store_throttle_get(s, "", &got), LK_EINVAL);
	assert_int_equal(lk_store_throttle_get(s, big, &got), LK_ETOOBIG);
	assert_int_equal(lk_store_throttle_get(s, key, NULL), LK_EINVAL);
	assert_int_equal(lk_store_throttle_get(NULL, key, &got), LK_EINVAL);
	assert_int_equal(got.failures, -7);
	assert_int_equal(lk_store_throttle_delete(s, NULL), LK_EINVAL);
	assert_int_equal(lk_store_throttle_delete(s, big), LK_ETOOBIG);
	assert_int_equal(lk_store_throttle_delete(NULL, key), LK_EINVAL);
	assert_int_equal(lk_store_throttle_get(s, key, &got), LK_OK);
	assert_int_equal(got.failures, 1);

	assert_int_equal(lk_store_throttle_put(s, big + 1, &r), LK_OK);
	assert_true(throttle_exists(s, big + 1));
	assert_int_equal(lk_store_throttle_delete(s, key), LK_OK);
	assert_false(throttle_exists(s, key));
	assert_true(throttle_exists(s, big + 1));
	assert_int_equal(lk_store_throttle_delete(s, key), LK_OK);
	free(big);
}

/* ---- Housekeeping ---- */

/*
 * Of each kind, what expires at 100 goes at 100 and what expires at 101
 * stays; codes are kept an hour longer.
 */
static void test_signin_delete_expired(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	struct lk_session_record sess;
	struct lk_auth_request_record req;
	struct lk_code_record c;
	struct lk_refresh_record r;
	struct lk_throttle_record th = {.failures = 1, .window_start = 1};
	char id[16];
	int deleted = -1;

	add_app(s, "c1", "One");
	for (int v = 0; v < 2; v++) {
		sess = session(v, uid);
		sess.expires_at = 100 + v;
		assert_int_equal(lk_store_session_insert(s, &sess), LK_OK);
		snprintf(id, sizeof(id), "req-%d", v);
		req = auth_request(id, "c1");
		req.expires_at = 100 + v;
		assert_int_equal(lk_store_auth_request_insert(s, &req), LK_OK);
		c = code(v, "g", "c1", uid);
		c.expires_at = 100 + v;
		assert_int_equal(lk_store_code_insert(s, &c), LK_OK);
		r = refresh(v, "g", "c1", uid);
		r.expires_at = 100 + v;
		assert_int_equal(lk_store_refresh_insert(s, &r), LK_OK);
		snprintf(id, sizeof(id), "j%d", v);
		assert_int_equal(lk_store_grant_jti_add(s, "g", uid, id, 100 + v), LK_OK);
		snprintf(id, sizeof(id), "key-%d", v);
		th.expires_at = 100 + v;
		assert_int_equal(lk_store_throttle_put(s, id, &th), LK_OK);
	}
	/* Neither a consent nor an access token is sign-in housekeeping's. */
	assert_int_equal(lk_store_consent_set(s, uid, "c1", "openid", 1), LK_OK);
	insert_token(s, 1, "c1", "17", "g");

	assert_int_equal(lk_store_signin_delete_expired(s, 99, &deleted), LK_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(lk_store_signin_delete_expired(s, 100, &deleted), LK_OK);
	assert_int_equal(deleted, 5);
	assert_false(session_exists(s, 0));
	assert_true(session_exists(s, 1));
	assert_false(auth_request_exists(s, "req-0"));
	assert_true(auth_request_exists(s, "req-1"));
	assert_false(refresh_exists(s, 0));
	assert_true(refresh_exists(s, 1));
	assert_false(throttle_exists(s, "key-0"));
	assert_true(throttle_exists(s, "key-1"));
	assert_int_equal(lk_store_signin_delete_expired(s, 100, NULL), LK_OK);

	/* The code that expired at 100 is kept until 3700, then goes. */
	assert_int_equal(lk_store_signin_delete_expired(s, 3699, &deleted), LK_OK);
	assert_int_equal(deleted, 5); /* the five others that expire at 101 */
	assert_int_equal(lk_store_signin_delete_expired(s, 3700, &deleted), LK_OK);
	assert_int_equal(deleted, 1);
	assert_int_equal(code_used_at(s, 0, 5000), -1);
	assert_int_equal(code_used_at(s, 1, 5000), 5000); /* still kept until 3701 */
	assert_int_equal(lk_store_signin_delete_expired(s, 3701, &deleted), LK_OK);
	assert_int_equal(deleted, 1);
	assert_int_equal(code_used_at(s, 1, 5000), -1);
	assert_true(consent_exists(s, uid, "c1"));
	assert_false(token_revoked(s, 1));

	assert_int_equal(lk_store_signin_delete_expired(s, -1, &deleted), LK_EINVAL);
	assert_int_equal(lk_store_signin_delete_expired(NULL, 100, &deleted), LK_EINVAL);
}

/* ---- Token claims ---- */

/* The claims request filed under jti, or NULL when there is none (free it). */
static char *token_claims(struct lk_store *s, const char *jti)
{
	char *got = NULL;
	enum lk_err err = lk_store_token_claims_get(s, jti, &got);

	assert_true(err == LK_OK || err == LK_ENOTFOUND);
	return got;
}

static bool token_claims_exist(struct lk_store *s, const char *jti)
{
	char *got = token_claims(s, jti);

	free(got);
	return got != NULL;
}

static void test_token_claims(void **state)
{
	struct lk_store *s = fx_db(state);
	char *big = long_str(LK_SIGNIN_STR_MAX + 1, 'x');
	char *got = (char *)"untouched";

	assert_int_equal(lk_store_token_claims_set(s, "j1", CLAIMS, 100), LK_OK);
	got = token_claims(s, "j1");
	assert_string_equal(got, CLAIMS);
	free(got);
	/* A jti is filed once. */
	assert_int_equal(lk_store_token_claims_set(s, "j1", "{}", 100), LK_EEXIST);
	got = token_claims(s, "j1");
	assert_string_equal(got, CLAIMS);
	free(got);

	/* An unknown jti: nothing written out. */
	got = (char *)"untouched";
	assert_int_equal(lk_store_token_claims_get(s, "nope", &got), LK_ENOTFOUND);
	assert_string_equal(got, "untouched");

	/* Bad input changes nothing. */
	assert_int_equal(lk_store_token_claims_set(NULL, "j2", CLAIMS, 1), LK_EINVAL);
	assert_int_equal(lk_store_token_claims_set(s, NULL, CLAIMS, 1), LK_EINVAL);
	assert_int_equal(lk_store_token_claims_set(s, "", CLAIMS, 1), LK_EINVAL);
	assert_int_equal(lk_store_token_claims_set(s, "j2", NULL, 1), LK_EINVAL);
	assert_int_equal(lk_store_token_claims_set(s, "j2", "", 1), LK_EINVAL);
	assert_int_equal(lk_store_token_claims_set(s, "j2", CLAIMS, -1), LK_EINVAL);
	assert_int_equal(lk_store_token_claims_set(s, big, CLAIMS, 1), LK_ETOOBIG);
	assert_int_equal(lk_store_token_claims_set(s, "j2", big, 1), LK_ETOOBIG);
	assert_false(token_claims_exist(s, "j2"));
	assert_int_equal(lk_store_token_claims_get(NULL, "j1", &got), LK_EINVAL);
	assert_int_equal(lk_store_token_claims_get(s, NULL, &got), LK_EINVAL);
	assert_int_equal(lk_store_token_claims_get(s, "", &got), LK_EINVAL);
	assert_int_equal(lk_store_token_claims_get(s, "j1", NULL), LK_EINVAL);
	assert_int_equal(lk_store_token_claims_get(s, big, &got), LK_ETOOBIG);
	assert_string_equal(got, "untouched");

	/* The longest values are accepted. */
	assert_int_equal(lk_store_token_claims_set(s, big + 1, big + 1, 0), LK_OK);
	got = token_claims(s, big + 1);
	assert_int_equal(strlen(got), LK_SIGNIN_STR_MAX);
	free(got);
	free(big);
}

/*
 * Token claims with an expiry go at it; those without one (a token that
 * never expires, or slides) go once no opaque token of their jti remains.
 */
static void test_token_claims_expire(void **state)
{
	struct lk_store *s = fx_db(state);
	int deleted = -1;

	add_app(s, "c1", "One");
	insert_token(s, 1, "c1", "17", "g"); /* jti "tok", expires at 5000 */
	assert_int_equal(lk_store_token_claims_set(s, "j100", CLAIMS, 100), LK_OK);
	assert_int_equal(lk_store_token_claims_set(s, "j101", CLAIMS, 101), LK_OK);
	assert_int_equal(lk_store_token_claims_set(s, "tok", CLAIMS, 0), LK_OK);
	assert_int_equal(lk_store_token_claims_set(s, "gone", CLAIMS, 0), LK_OK);

	assert_int_equal(lk_store_signin_delete_expired(s, 99, &deleted), LK_OK);
	assert_int_equal(deleted, 1);
	assert_false(token_claims_exist(s, "gone"));
	assert_true(token_claims_exist(s, "tok"));
	assert_int_equal(lk_store_signin_delete_expired(s, 100, &deleted), LK_OK);
	assert_int_equal(deleted, 1);
	assert_false(token_claims_exist(s, "j100"));
	assert_true(token_claims_exist(s, "j101"));
	assert_int_equal(lk_store_signin_delete_expired(s, 101, &deleted), LK_OK);
	assert_int_equal(deleted, 1);
	assert_false(token_claims_exist(s, "j101"));

	/* Its token gone, the claims of "tok" follow. */
	assert_true(token_claims_exist(s, "tok"));
	assert_int_equal(lk_store_tokens_delete_expired(s, 5000, NULL), LK_OK);
	assert_int_equal(lk_store_signin_delete_expired(s, 5000, &deleted), LK_OK);
	assert_int_equal(deleted, 1);
	assert_false(token_claims_exist(s, "tok"));
}

/* ---- Cascades ---- */

/*
 * Deleting a user deletes their sessions, codes, refresh tokens and
 * consents. Their grant JWT ids stay, so that revoking the grant still
 * reaches the tokens.
 */
static void test_cascade_user(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t alice = fx_add_user(s, "corp", "alice", NULL);
	int64_t bob = fx_add_user(s, "corp", "bob", NULL);
	struct lk_session_record sess;

	add_app(s, "c1", "One");
	for (int v = 0; v < 2; v++) {
		int64_t uid = v == 0 ? alice : bob;

		sess = session(v, uid);
		assert_int_equal(lk_store_session_insert(s, &sess), LK_OK);
		insert_code(s, v, v == 0 ? "ga" : "gb", "c1", uid);
		insert_refresh(s, v, v == 0 ? "ga" : "gb", "c1", uid);
		assert_int_equal(lk_store_consent_set(s, uid, "c1", "openid", 1), LK_OK);
	}
	assert_int_equal(lk_store_grant_jti_add(s, "ga", alice, "ja", 500), LK_OK);

	assert_int_equal(lk_store_user_delete(s, alice), LK_OK);
	assert_false(session_exists(s, 0));
	assert_false(refresh_exists(s, 0));
	assert_false(consent_exists(s, alice, "c1"));
	assert_int_equal(code_used_at(s, 0, 50), -1);
	assert_true(session_exists(s, 1));
	assert_true(refresh_exists(s, 1));
	assert_true(consent_exists(s, bob, "c1"));
	assert_int_equal(code_used_at(s, 1, 50), 50);

	assert_int_equal(lk_store_grant_revoke(s, "ga", 100), LK_OK);
	assert_true(jti_revoked(s, "ja"));
}

/*
 * Deleting an application deletes its pending requests, codes, refresh
 * tokens and consents; sessions belong to the user and stay.
 */
static void test_cascade_app(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);
	struct lk_session_record sess = session(0, uid);
	struct lk_auth_request_record req;
	const char *apps[] = {"c1", "c2"};

	add_app(s, "c1", "One");
	add_app(s, "c2", "Two");
	assert_int_equal(lk_store_session_insert(s, &sess), LK_OK);
	for (int v = 0; v < 2; v++) {
		req = auth_request(apps[v], apps[v]);
		assert_int_equal(lk_store_auth_request_insert(s, &req), LK_OK);
		insert_code(s, v, "g", apps[v], uid);
		insert_refresh(s, v, "g", apps[v], uid);
		assert_int_equal(lk_store_consent_set(s, uid, apps[v], "openid", 1), LK_OK);
	}

	assert_int_equal(lk_store_app_delete(s, "c1"), LK_OK);
	assert_false(auth_request_exists(s, "c1"));
	assert_false(refresh_exists(s, 0));
	assert_false(consent_exists(s, uid, "c1"));
	assert_int_equal(code_used_at(s, 0, 50), -1);
	assert_true(auth_request_exists(s, "c2"));
	assert_true(refresh_exists(s, 1));
	assert_true(consent_exists(s, uid, "c2"));
	assert_int_equal(code_used_at(s, 1, 50), 50);
	assert_true(session_exists(s, 0));

	/* Re-created under the same client_id, it inherits nothing. */
	add_app(s, "c1", "One");
	assert_false(consent_exists(s, uid, "c1"));
}

/* ---- Access tokens' grant ---- */

static void test_token_grant_id(void **state)
{
	struct lk_store *s = fx_db(state);
	char *big = long_str(LK_TOKEN_STR_MAX + 1, 'g');
	struct lk_token_record t, got = {0};

	add_app(s, "c1", "One");
	t = token(1, "c1", "17", "grant-1");
	assert_int_equal(lk_store_token_insert(s, &t), LK_OK);
	assert_int_equal(lk_store_token_get(s, t.hash, &got), LK_OK);
	assert_string_equal(got.grant_id, "grant-1");
	assert_string_equal(got.subject, "17");
	lk_token_record_release(&got);
	assert_null(got.grant_id);

	t = token(2, "c1", "17", NULL);
	assert_int_equal(lk_store_token_insert(s, &t), LK_OK);
	assert_int_equal(lk_store_token_get(s, t.hash, &got), LK_OK);
	assert_string_equal(got.grant_id, "");
	lk_token_record_release(&got);

	t = token(3, "c1", "17", big);
	assert_int_equal(lk_store_token_insert(s, &t), LK_ETOOBIG);
	got.jti = (char *)"untouched";
	assert_int_equal(lk_store_token_get(s, t.hash, &got), LK_ENOTFOUND);
	assert_string_equal(got.jti, "untouched");
	t.grant_id = big + 1;
	assert_int_equal(lk_store_token_insert(s, &t), LK_OK);
	got = (struct lk_token_record){0};
	assert_int_equal(lk_store_token_get(s, t.hash, &got), LK_OK);
	assert_int_equal(strlen(got.grant_id), LK_TOKEN_STR_MAX);
	lk_token_record_release(&got);
	free(big);
}

/*
 * Rows written by plain SQL read back into the right members, so that two
 * swapped columns of the same type cannot hide behind a round trip. SQLite
 * only: the SQL spells blobs the SQLite way.
 */
static void test_columns(void **state)
{
	struct fx *f = *state;
	struct lk_code_record c = {0};
	struct lk_refresh_record r = {0};
	struct lk_session_record sess = {0};
	struct lk_auth_request_record req = {0};
	uint8_t h[LK_SHA256_LEN];
	char sql[2048];
	int64_t uid;

	if (!fx_sqlite_file(f->url))
		skip();
	uid = fx_add_user(f->s, "corp", "alice", NULL);
	add_app(f->s, "c1", "One");
	memset(h, 0xab, sizeof(h));
#define HASH_AB "X'abababababababababababababababababababababababababababababababab'"
	snprintf(sql, sizeof(sql),
		 "INSERT INTO codes (hash, grant_id, client_id, redirect_uri, user_id, scope, "
		 "nonce, code_challenge, sid, amr, auth_time, created_at, expires_at, used_at, "
		 "claims) VALUES (" HASH_AB
		 ", 'g', 'c1', 'r', %lld, 'sc', 'n', 'cc', 'si', 'a', 1, "
		 "2, 3, 4, 'cl');"
		 "INSERT INTO refresh_tokens (hash, family, client_id, user_id, scope, sid, amr, "
		 "auth_time, issued_at, expires_at, rotated_at, revoked, claims) VALUES (" HASH_AB
		 ", 'fa', 'c1', %lld, 'sc', 'si', 'a', 5, 6, 7, 8, 1, 'rc');"
		 "INSERT INTO token_claims (jti, claims, expires_at) VALUES ('tj', 'tc', 15);"
		 "INSERT INTO sessions (hash, sid, user_id, amr, auth_time, last_seen, expires_at) "
		 "VALUES (" HASH_AB ", 'si', %lld, 'a', 9, 10, 11);"
		 "INSERT INTO auth_requests (id, browser_hash, client_id, params, created_at, "
		 "expires_at, consented) VALUES ('rq', " HASH_AB ", 'c1', 'p', 12, 13, 1)",
		 (long long)uid, (long long)uid, (long long)uid);
#undef HASH_AB
	fx_raw_exec(f->url, sql);

	assert_int_equal(lk_store_code_consume(f->s, h, 99, &c), LK_EEXIST);
	assert_memory_equal(c.hash, h, LK_SHA256_LEN);
	assert_string_equal(c.grant_id, "g");
	assert_string_equal(c.client_id, "c1");
	assert_string_equal(c.redirect_uri, "r");
	assert_int_equal(c.user_id, uid);
	assert_string_equal(c.scope, "sc");
	assert_string_equal(c.nonce, "n");
	assert_string_equal(c.code_challenge, "cc");
	assert_string_equal(c.sid, "si");
	assert_string_equal(c.amr, "a");
	assert_int_equal(c.auth_time, 1);
	assert_int_equal(c.created_at, 2);
	assert_int_equal(c.expires_at, 3);
	assert_int_equal(c.used_at, 4);
	assert_string_equal(c.claims, "cl");
	lk_code_record_release(&c);

	assert_int_equal(lk_store_refresh_get(f->s, h, &r), LK_OK);
	assert_string_equal(r.family, "fa");
	assert_string_equal(r.client_id, "c1");
	assert_int_equal(r.user_id, uid);
	assert_string_equal(r.scope, "sc");
	assert_string_equal(r.sid, "si");
	assert_string_equal(r.amr, "a");
	assert_int_equal(r.auth_time, 5);
	assert_int_equal(r.issued_at, 6);
	assert_int_equal(r.expires_at, 7);
	assert_int_equal(r.rotated_at, 8);
	assert_true(r.revoked);
	assert_string_equal(r.claims, "rc");
	lk_refresh_record_release(&r);

	{
		char *claims = NULL;

		assert_int_equal(lk_store_token_claims_get(f->s, "tj", &claims), LK_OK);
		assert_string_equal(claims, "tc");
		free(claims);
	}

	assert_int_equal(lk_store_session_get(f->s, h, &sess), LK_OK);
	assert_string_equal(sess.sid, "si");
	assert_int_equal(sess.user_id, uid);
	assert_string_equal(sess.amr, "a");
	assert_int_equal(sess.auth_time, 9);
	assert_int_equal(sess.last_seen, 10);
	assert_int_equal(sess.expires_at, 11);
	lk_session_record_release(&sess);

	assert_int_equal(lk_store_auth_request_get(f->s, "rq", &req), LK_OK);
	assert_memory_equal(req.browser_hash, h, LK_SHA256_LEN);
	assert_string_equal(req.client_id, "c1");
	assert_string_equal(req.params, "p");
	assert_int_equal(req.created_at, 12);
	assert_int_equal(req.expires_at, 13);
	assert_true(req.consented);
	lk_auth_request_record_release(&req);

	/* The grant id of an opaque token lands in its column. */
	insert_token(f->s, 1, "c1", "17", "gx");
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM access_tokens "
					 "WHERE grant_id = 'gx' AND subject = '17'"),
			 1);

	/* A damaged hash is an error, and nothing is written out. */
	fx_raw_exec(f->url, "UPDATE auth_requests SET browser_hash = X'abab'");
	assert_int_equal(lk_store_auth_request_get(f->s, "rq", &req), LK_ESTORE);
	assert_null(req.id);
	/* An out-of-range failure count is damage too. */
	fx_raw_exec(f->url, "INSERT INTO login_throttle (key, failures, window_start, "
			    "locked_until, lock_seconds, expires_at) "
			    "VALUES ('k', 4294967296, 1, 0, 0, 10)");
	{
		struct lk_throttle_record th = {.failures = -7};

		assert_int_equal(lk_store_throttle_get(f->s, "k", &th), LK_ESTORE);
		assert_int_equal(th.failures, -7);
	}
}

static void test_record_release(void **state)
{
	struct lk_session_record sess = {.user_id = 5};
	struct lk_auth_request_record req = {.consented = true};
	struct lk_code_record c = {.used_at = 5};
	struct lk_refresh_record r = {.revoked = true};
	struct lk_token_record t = {.issued_at = 5};

	(void)state;
	lk_session_record_release(NULL);
	lk_auth_request_record_release(NULL);
	lk_code_record_release(NULL);
	lk_refresh_record_release(NULL);
	lk_token_record_release(NULL);

	sess.sid = strdup("s");
	sess.amr = NULL; /* members may be missing */
	memset(sess.hash, 0xab, sizeof(sess.hash));
	lk_session_record_release(&sess);
	assert_null(sess.sid);
	assert_int_equal(sess.user_id, 0);
	assert_int_equal(sess.hash[0], 0);
	lk_session_record_release(&sess); /* twice is harmless */

	req.id = strdup("i");
	req.client_id = strdup("c");
	req.params = strdup("p");
	lk_auth_request_record_release(&req);
	assert_null(req.params);
	assert_false(req.consented);

	c.grant_id = strdup("g");
	c.client_id = strdup("c");
	c.redirect_uri = strdup("r");
	c.scope = strdup("s");
	c.nonce = strdup("n");
	c.code_challenge = strdup("cc");
	c.sid = strdup("si");
	c.amr = strdup("a");
	c.claims = strdup("cl");
	lk_code_record_release(&c);
	assert_null(c.claims);
	assert_null(c.amr);
	assert_int_equal(c.used_at, 0);

	r.family = strdup("f");
	r.client_id = strdup("c");
	r.scope = strdup("s");
	r.sid = strdup("si");
	r.amr = strdup("a");
	r.claims = strdup("cl");
	lk_refresh_record_release(&r);
	assert_null(r.claims);
	assert_null(r.family);
	assert_false(r.revoked);

	t.grant_id = strdup("g");
	lk_token_record_release(&t);
	assert_null(t.grant_id);
	assert_int_equal(t.issued_at, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_session),
		T(test_session_bad_input),
		T(test_auth_request),
		T(test_auth_request_bad_input),
		T(test_code),
		T(test_code_bad_input),
		T(test_code_in_transaction),
		T(test_refresh),
		T(test_refresh_bad_input),
		T(test_refresh_consume),
		T(test_consume_race),
		T(test_grant_revoke),
		T(test_grant_bad_input),
		T(test_grant_jti_again),
		T(test_user_revoke_grants),
		T(test_consent),
		T(test_throttle),
		T(test_signin_delete_expired),
		T(test_token_claims),
		T(test_token_claims_expire),
		T(test_cascade_user),
		T(test_cascade_app),
		T(test_token_grant_id),
		T(test_columns),
		cmocka_unit_test(test_record_release),
	};

	/* Expected failures log errors; the informational lines are noise here. */
	lk_log_setup(LK_LOG_WARN, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
