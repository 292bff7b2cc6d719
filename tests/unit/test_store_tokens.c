/*
 * The token half of the store suite: opaque access tokens, revoked JWT ids,
 * consumed client-assertion ids and registration access tokens. Each test
 * gets a fresh database from store_fixture.h: a SQLite file under /tmp, or
 * the database LATCHKEY_TEST_DB_URL names, which is WIPED before each test.
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
#include <unistd.h>

#include <sqlite3.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/records.h"
#include "store/store.h"
#include "store_fixture.h"

/* Rounds of the concurrent single-use race, each on a fresh jti. */
#define RACE_ROUNDS 50

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

/* Each test starts with a freshly migrated, empty database in f->s. */
static int setup(void **state)
{
	return fx_setup(state, "tokens", true);
}

/* Adds a minimal valid application that issues sliding opaque tokens. */
static void add_app(struct lk_store *s, const char *client_id, const char *name)
{
	struct lk_app a = fx_app(client_id, name);

	a.lifecycle = LK_LIFECYCLE_SLIDING;
	a.token_format = LK_FORMAT_OPAQUE;
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
}

/* A valid token of client_id whose hash is fx_hash_of(v). */
static struct lk_token_record token(int v, const char *client_id, int64_t expires_at,
				    int64_t sliding_seconds)
{
	struct lk_token_record t = {
		.jti = (char *)"jti-1",
		.client_id = (char *)client_id,
		.subject = (char *)"17",
		.scope = (char *)"api openid",
		.audience = (char *)"https://api.example",
		.issued_at = 10,
		.expires_at = expires_at,
		.sliding_seconds = sliding_seconds,
	};

	fx_hash_of(t.hash, v);
	return t;
}

static void insert(struct lk_store *s, int v, const char *client_id, int64_t expires_at,
		   int64_t sliding_seconds)
{
	struct lk_token_record t = token(v, client_id, expires_at, sliding_seconds);

	assert_int_equal(lk_store_token_insert(s, &t), LK_OK);
}

static bool exists(struct lk_store *s, int v)
{
	struct lk_token_record got = {0};
	uint8_t h[LK_SHA256_LEN];
	enum lk_err err;

	fx_hash_of(h, v);
	err = lk_store_token_get(s, h, &got);
	assert_true(err == LK_OK || err == LK_ENOTFOUND);
	lk_token_record_release(&got);
	return err == LK_OK;
}

static int64_t expiry_of(struct lk_store *s, int v)
{
	struct lk_token_record got = {0};
	uint8_t h[LK_SHA256_LEN];
	int64_t e;

	fx_hash_of(h, v);
	assert_int_equal(lk_store_token_get(s, h, &got), LK_OK);
	e = got.expires_at;
	lk_token_record_release(&got);
	return e;
}

static bool jti_revoked(struct lk_store *s, const char *jti)
{
	bool r = false;

	assert_int_equal(lk_store_jti_revoked(s, jti, &r), LK_OK);
	return r;
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

/* ---- Access tokens ---- */

static void test_token_roundtrip(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_token_record t, got = {0};
	uint8_t h[LK_SHA256_LEN];

	add_app(s, "c1", "One");
	t = token(1, "c1", 1000, 300);
	t.revoked = true;
	assert_int_equal(lk_store_token_insert(s, &t), LK_OK);
	assert_int_equal(lk_store_token_get(s, t.hash, &got), LK_OK);
	assert_memory_equal(got.hash, t.hash, LK_SHA256_LEN);
	assert_string_equal(got.jti, "jti-1");
	assert_string_equal(got.client_id, "c1");
	assert_string_equal(got.subject, "17");
	assert_string_equal(got.scope, "api openid");
	assert_string_equal(got.audience, "https://api.example");
	assert_int_equal(got.issued_at, 10);
	assert_int_equal(got.expires_at, 1000);
	assert_int_equal(got.sliding_seconds, 300);
	assert_true(got.revoked);
	lk_token_record_release(&got);
	assert_null(got.jti);
	assert_int_equal(got.expires_at, 0);

	/* Absent optional strings come back as "", never NULL. */
	t = token(2, "c1", 0, 0);
	t.scope = NULL;
	t.audience = NULL;
	assert_int_equal(lk_store_token_insert(s, &t), LK_OK);
	assert_int_equal(lk_store_token_get(s, t.hash, &got), LK_OK);
	assert_string_equal(got.scope, "");
	assert_string_equal(got.audience, "");
	assert_int_equal(got.expires_at, 0);
	assert_int_equal(got.sliding_seconds, 0);
	assert_false(got.revoked);
	lk_token_record_release(&got);

	/* A hash that differs in its last byte only is another token. */
	fx_hash_of(h, 1);
	h[LK_SHA256_LEN - 1] = 0xef;
	got.jti = (char *)"untouched";
	assert_int_equal(lk_store_token_get(s, h, &got), LK_ENOTFOUND);
	assert_string_equal(got.jti, "untouched");
}

static void test_token_insert_errors(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_token_record t, got = {0};

	add_app(s, "c1", "One");
	add_app(s, "c2", "Two");
	insert(s, 1, "c1", 100, 0);
	/* The same hash again, even for another client, is a duplicate. */
	t = token(1, "c2", 500, 60);
	t.jti = (char *)"other";
	assert_int_equal(lk_store_token_insert(s, &t), LK_EEXIST);
	assert_int_equal(lk_store_token_get(s, t.hash, &got), LK_OK);
	assert_string_equal(got.client_id, "c1");
	assert_string_equal(got.jti, "jti-1");
	assert_int_equal(got.expires_at, 100);
	lk_token_record_release(&got);

	/* A token of no application is refused and not stored. */
	t = token(2, "nope", 100, 0);
	assert_int_equal(lk_store_token_insert(s, &t), LK_ENOTFOUND);
	assert_false(exists(s, 2));
	/* client_id compares exactly: a name is not a client_id. */
	t = token(2, "One", 100, 0);
	assert_int_equal(lk_store_token_insert(s, &t), LK_ENOTFOUND);
	assert_false(exists(s, 2));
}

static void test_token_bad_input(void **state)
{
	struct lk_store *s = fx_db(state);
	char *big = long_str(LK_TOKEN_SCOPE_MAX + 1, 's');
	struct lk_token_record t, got = {.jti = (char *)"untouched"};
	uint8_t h[LK_SHA256_LEN];

	add_app(s, "c1", "One");
	t = token(1, "c1", 100, 0);
	t.jti = (char *)"";
	assert_int_equal(lk_store_token_insert(s, &t), LK_EINVAL);
	t.jti = NULL;
	assert_int_equal(lk_store_token_insert(s, &t), LK_EINVAL);
	t = token(1, NULL, 100, 0);
	assert_int_equal(lk_store_token_insert(s, &t), LK_EINVAL);
	t = token(1, "", 100, 0);
	assert_int_equal(lk_store_token_insert(s, &t), LK_EINVAL);
	t = token(1, "c1", 100, 0);
	t.subject = (char *)"";
	assert_int_equal(lk_store_token_insert(s, &t), LK_EINVAL);
	t = token(1, "c1", 100, 0);
	t.issued_at = -1;
	assert_int_equal(lk_store_token_insert(s, &t), LK_EINVAL);
	t = token(1, "c1", -1, 0);
	assert_int_equal(lk_store_token_insert(s, &t), LK_EINVAL);
	t = token(1, "c1", 100, -1);
	assert_int_equal(lk_store_token_insert(s, &t), LK_EINVAL);
	t = token(1, "c1", 100, 0);
	t.scope = big; /* LK_TOKEN_SCOPE_MAX + 1 */
	assert_int_equal(lk_store_token_insert(s, &t), LK_ETOOBIG);
	t = token(1, "c1", 100, 0);
	t.jti = big + (LK_TOKEN_SCOPE_MAX - LK_TOKEN_STR_MAX); /* LK_TOKEN_STR_MAX + 1 */
	assert_int_equal(lk_store_token_insert(s, &t), LK_ETOOBIG);
	t = token(1, "c1", 100, 0);
	t.subject = big + (LK_TOKEN_SCOPE_MAX - LK_TOKEN_STR_MAX);
	assert_int_equal(lk_store_token_insert(s, &t), LK_ETOOBIG);
	t = token(1, "c1", 100, 0);
	t.audience = big + (LK_TOKEN_SCOPE_MAX - LK_TOKEN_STR_MAX);
	assert_int_equal(lk_store_token_insert(s, &t), LK_ETOOBIG);
	t = token(1, big + (LK_TOKEN_SCOPE_MAX - LK_TOKEN_STR_MAX), 100, 0);
	assert_int_equal(lk_store_token_insert(s, &t), LK_ETOOBIG);
	assert_int_equal(lk_store_token_insert(s, NULL), LK_EINVAL);
	t = token(1, "c1", 100, 0);
	assert_int_equal(lk_store_token_insert(NULL, &t), LK_EINVAL);
	assert_false(exists(s, 1));

	/* The largest allowed values are accepted. */
	t = token(1, "c1", 100, 0);
	t.scope = big + 1;					   /* LK_TOKEN_SCOPE_MAX */
	t.jti = big + (LK_TOKEN_SCOPE_MAX + 1 - LK_TOKEN_STR_MAX); /* LK_TOKEN_STR_MAX */
	assert_int_equal(lk_store_token_insert(s, &t), LK_OK);
	assert_int_equal(lk_store_token_get(s, t.hash, &got), LK_OK);
	assert_int_equal(strlen(got.scope), LK_TOKEN_SCOPE_MAX);
	assert_int_equal(strlen(got.jti), LK_TOKEN_STR_MAX);
	lk_token_record_release(&got);

	/* Reads, revocations and extensions check their arguments too. */
	fx_hash_of(h, 1);
	got.jti = (char *)"untouched";
	assert_int_equal(lk_store_token_get(s, NULL, &got), LK_EINVAL);
	assert_int_equal(lk_store_token_get(s, h, NULL), LK_EINVAL);
	assert_int_equal(lk_store_token_get(NULL, h, &got), LK_EINVAL);
	assert_string_equal(got.jti, "untouched");
	assert_int_equal(lk_store_token_revoke(s, NULL), LK_EINVAL);
	assert_int_equal(lk_store_token_revoke(NULL, h), LK_EINVAL);
	assert_int_equal(lk_store_tokens_delete_expired(s, -1, NULL), LK_EINVAL);
	assert_int_equal(lk_store_tokens_delete_expired(NULL, 1, NULL), LK_EINVAL);
	assert_true(exists(s, 1));
	free(big);
}

static void test_token_revoke(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_token_record got = {0};
	uint8_t h[LK_SHA256_LEN];

	add_app(s, "c1", "One");
	insert(s, 1, "c1", 100, 60);
	insert(s, 2, "c1", 100, 60);
	fx_hash_of(h, 1);
	assert_int_equal(lk_store_token_revoke(s, h), LK_OK);
	assert_int_equal(lk_store_token_get(s, h, &got), LK_OK);
	assert_true(got.revoked);
	assert_int_equal(got.expires_at, 100);
	lk_token_record_release(&got);
	/* Revoking again is no error, and the other token is untouched. */
	assert_int_equal(lk_store_token_revoke(s, h), LK_OK);
	fx_hash_of(h, 2);
	assert_int_equal(lk_store_token_get(s, h, &got), LK_OK);
	assert_false(got.revoked);
	lk_token_record_release(&got);
	fx_hash_of(h, 3);
	assert_int_equal(lk_store_token_revoke(s, h), LK_ENOTFOUND);
}

/*
 * Only a live sliding token moves, and only later: 1 is sliding, 2 absolute,
 * 3 sliding but never expiring, 4 sliding but revoked.
 */
static void test_token_extend(void **state)
{
	struct lk_store *s = fx_db(state);
	uint8_t h[LK_SHA256_LEN];

	add_app(s, "c1", "One");
	insert(s, 1, "c1", 100, 60);
	insert(s, 2, "c1", 100, 0);
	insert(s, 3, "c1", 0, 60);
	insert(s, 4, "c1", 100, 60);
	fx_hash_of(h, 4);
	assert_int_equal(lk_store_token_revoke(s, h), LK_OK);

	for (int v = 1; v <= 4; v++) {
		fx_hash_of(h, v);
		assert_int_equal(lk_store_token_extend(s, h, 200), LK_OK);
	}
	assert_int_equal(expiry_of(s, 1), 200);
	assert_int_equal(expiry_of(s, 2), 100);
	assert_int_equal(expiry_of(s, 3), 0);
	assert_int_equal(expiry_of(s, 4), 100);

	/* Never shortened, neither by an earlier time nor by the same one. */
	fx_hash_of(h, 1);
	assert_int_equal(lk_store_token_extend(s, h, 150), LK_OK);
	assert_int_equal(expiry_of(s, 1), 200);
	assert_int_equal(lk_store_token_extend(s, h, 200), LK_OK);
	assert_int_equal(expiry_of(s, 1), 200);
	assert_int_equal(lk_store_token_extend(s, h, 201), LK_OK);
	assert_int_equal(expiry_of(s, 1), 201);

	/* An unknown token is not an error: there is nothing to extend. */
	fx_hash_of(h, 9);
	assert_int_equal(lk_store_token_extend(s, h, 500), LK_OK);
	assert_false(exists(s, 9));

	/* 0 would mean "never"; bad arguments change nothing. */
	fx_hash_of(h, 1);
	assert_int_equal(lk_store_token_extend(s, h, 0), LK_EINVAL);
	assert_int_equal(lk_store_token_extend(s, h, -5), LK_EINVAL);
	assert_int_equal(lk_store_token_extend(s, NULL, 500), LK_EINVAL);
	assert_int_equal(lk_store_token_extend(NULL, h, 500), LK_EINVAL);
	assert_int_equal(expiry_of(s, 1), 201);
}

/* What expires at now is gone at now; what never expires stays. */
static void test_delete_expired(void **state)
{
	struct lk_store *s = fx_db(state);
	int deleted = -1;

	add_app(s, "c1", "One");
	insert(s, 1, "c1", 0, 0);
	insert(s, 2, "c1", 99, 0);
	insert(s, 3, "c1", 100, 60);
	insert(s, 4, "c1", 101, 0);
	assert_int_equal(lk_store_jti_revoke(s, "j99", 99), LK_OK);
	assert_int_equal(lk_store_jti_revoke(s, "j100", 100), LK_OK);
	assert_int_equal(lk_store_jti_revoke(s, "j101", 101), LK_OK);
	assert_int_equal(lk_store_assertion_use(s, "c1", "a99", 99), LK_OK);
	assert_int_equal(lk_store_assertion_use(s, "c1", "a100", 100), LK_OK);
	assert_int_equal(lk_store_assertion_use(s, "c1", "a101", 101), LK_OK);

	assert_int_equal(lk_store_tokens_delete_expired(s, 98, &deleted), LK_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(lk_store_tokens_delete_expired(s, 100, &deleted), LK_OK);
	assert_int_equal(deleted, 6);
	assert_true(exists(s, 1));
	assert_false(exists(s, 2));
	assert_false(exists(s, 3));
	assert_true(exists(s, 4));
	assert_false(jti_revoked(s, "j99"));
	assert_false(jti_revoked(s, "j100"));
	assert_true(jti_revoked(s, "j101"));
	/* A consumed id that has been forgotten can be used again; the others not. */
	assert_int_equal(lk_store_assertion_use(s, "c1", "a100", 300), LK_OK);
	assert_int_equal(lk_store_assertion_use(s, "c1", "a101", 300), LK_EEXIST);

	assert_int_equal(lk_store_tokens_delete_expired(s, 100, &deleted), LK_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(lk_store_tokens_delete_expired(s, 1000, NULL), LK_OK);
	assert_true(exists(s, 1));
	assert_false(exists(s, 4));
	assert_false(jti_revoked(s, "j101"));
	assert_int_equal(lk_store_assertion_use(s, "c1", "a101", 300), LK_OK);
}

/* Deleting an application deletes its tokens and its registration token. */
static void test_cascade(void **state)
{
	struct lk_store *s = fx_db(state);
	uint8_t h[LK_SHA256_LEN], got[LK_SHA256_LEN];

	add_app(s, "c1", "One");
	add_app(s, "c2", "Two");
	insert(s, 1, "c1", 0, 0);
	insert(s, 2, "c1", 100, 60);
	insert(s, 3, "c2", 0, 0);
	fx_hash_of(h, 10);
	assert_int_equal(lk_store_registration_token_set(s, "c1", h), LK_OK);
	fx_hash_of(h, 20);
	assert_int_equal(lk_store_registration_token_set(s, "c2", h), LK_OK);

	assert_int_equal(lk_store_app_delete(s, "c1"), LK_OK);
	assert_false(exists(s, 1));
	assert_false(exists(s, 2));
	assert_true(exists(s, 3));
	assert_int_equal(lk_store_registration_token_get(s, "c1", got), LK_ENOTFOUND);
	assert_int_equal(lk_store_registration_token_get(s, "c2", got), LK_OK);
	assert_memory_equal(got, h, LK_SHA256_LEN);

	/* Re-created under the same client_id, it inherits nothing. */
	add_app(s, "c1", "One");
	assert_false(exists(s, 1));
	assert_int_equal(lk_store_registration_token_get(s, "c1", got), LK_ENOTFOUND);
}

/*
 * A row written by plain SQL reads back into the right members, and a
 * token written by the store lands in the right columns, so that two
 * swapped columns cannot hide behind a round trip. SQLite only: the SQL
 * spells blobs the SQLite way.
 */
static void test_token_columns(void **state)
{
	struct fx *f = *state;
	struct lk_token_record t, got = {0};
	uint8_t h[LK_SHA256_LEN];
	char hex[2 * LK_SHA256_LEN + 1], sql[512];

	if (!fx_sqlite_file(f->url))
		skip();
	add_app(f->s, "c1", "One");
	memset(h, 0xab, sizeof(h));
	fx_raw_exec(f->url, "INSERT INTO access_tokens (hash, jti, client_id, subject, scope, "
			    "audience, issued_at, expires_at, sliding_seconds, revoked) VALUES ("
			    "X'abababababababababababababababababababababababababababababababab', "
			    "'j', 'c1', 'sub', 'sc', 'aud', 11, 12, 13, 1)");
	assert_int_equal(lk_store_token_get(f->s, h, &got), LK_OK);
	assert_memory_equal(got.hash, h, LK_SHA256_LEN);
	assert_string_equal(got.jti, "j");
	assert_string_equal(got.client_id, "c1");
	assert_string_equal(got.subject, "sub");
	assert_string_equal(got.scope, "sc");
	assert_string_equal(got.audience, "aud");
	assert_int_equal(got.issued_at, 11);
	assert_int_equal(got.expires_at, 12);
	assert_int_equal(got.sliding_seconds, 13);
	assert_true(got.revoked);
	lk_token_record_release(&got);

	t = token(7, "c1", 22, 23);
	t.issued_at = 21;
	assert_int_equal(lk_store_token_insert(f->s, &t), LK_OK);
	for (size_t i = 0; i < LK_SHA256_LEN; i++)
		snprintf(hex + 2 * i, sizeof(hex) - 2 * i, "%02X", t.hash[i]);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM access_tokens WHERE hex(hash) = '%s' AND jti = 'jti-1' "
		 "AND client_id = 'c1' AND subject = '17' AND scope = 'api openid' "
		 "AND audience = 'https://api.example' AND issued_at = 21 AND expires_at = 22 "
		 "AND sliding_seconds = 23 AND revoked = 0",
		 hex);
	assert_int_equal(raw_int(f->url, sql), 1);

	/* The registration token records when it was set. */
	lk_clock_set_fake(1234);
	assert_int_equal(lk_store_registration_token_set(f->s, "c1", h), LK_OK);
	lk_clock_set_fake(0);
	assert_int_equal(raw_int(f->url, "SELECT created_at FROM registration_tokens "
					 "WHERE client_id = 'c1'"),
			 1234);

	/*
	 * A registration hash that is not 32 bytes of blob is a damaged row:
	 * an error, and nothing written out.
	 */
	fx_raw_exec(f->url, "UPDATE registration_tokens SET hash = X'abab'");
	memset(h, 0x5a, sizeof(h));
	assert_int_equal(lk_store_registration_token_get(f->s, "c1", h), LK_ESTORE);
	fx_raw_exec(f->url, "UPDATE registration_tokens SET hash = "
			    "'abababababababababababababababab'"); /* 32 bytes, but text */
	assert_int_equal(lk_store_registration_token_get(f->s, "c1", h), LK_ESTORE);
	assert_int_equal(h[0], 0x5a);
}

/* ---- Revoked JWT ids ---- */

static void test_jti(void **state)
{
	struct lk_store *s = fx_db(state);
	char *big = long_str(LK_TOKEN_STR_MAX + 1, 'j');
	bool r = true;
	int deleted = 0;

	assert_false(jti_revoked(s, "a"));
	assert_int_equal(lk_store_jti_revoke(s, "a", 100), LK_OK);
	assert_true(jti_revoked(s, "a"));
	assert_false(jti_revoked(s, "A")); /* ids compare exactly */
	assert_false(jti_revoked(s, "b"));

	/* Idempotent; an earlier expiry does not shorten the memory of it... */
	assert_int_equal(lk_store_jti_revoke(s, "a", 50), LK_OK);
	assert_int_equal(lk_store_tokens_delete_expired(s, 99, &deleted), LK_OK);
	assert_int_equal(deleted, 0);
	assert_true(jti_revoked(s, "a"));
	/* ...a later one lengthens it. */
	assert_int_equal(lk_store_jti_revoke(s, "a", 200), LK_OK);
	assert_int_equal(lk_store_tokens_delete_expired(s, 199, &deleted), LK_OK);
	assert_int_equal(deleted, 0);
	assert_true(jti_revoked(s, "a"));
	assert_int_equal(lk_store_tokens_delete_expired(s, 200, &deleted), LK_OK);
	assert_int_equal(deleted, 1);
	assert_false(jti_revoked(s, "a"));

	/* Bad input changes nothing and writes nothing out. */
	assert_int_equal(lk_store_jti_revoke(s, "", 100), LK_EINVAL);
	assert_int_equal(lk_store_jti_revoke(s, NULL, 100), LK_EINVAL);
	assert_int_equal(lk_store_jti_revoke(s, "b", -1), LK_EINVAL);
	assert_int_equal(lk_store_jti_revoke(s, big, 100), LK_ETOOBIG);
	assert_int_equal(lk_store_jti_revoke(NULL, "b", 100), LK_EINVAL);
	assert_false(jti_revoked(s, "b"));
	assert_int_equal(lk_store_jti_revoked(s, "", &r), LK_EINVAL);
	assert_int_equal(lk_store_jti_revoked(s, NULL, &r), LK_EINVAL);
	assert_int_equal(lk_store_jti_revoked(s, big, &r), LK_ETOOBIG);
	assert_int_equal(lk_store_jti_revoked(s, "b", NULL), LK_EINVAL);
	assert_int_equal(lk_store_jti_revoked(NULL, "b", &r), LK_EINVAL);
	assert_true(r);
	/* The longest id is accepted. */
	assert_int_equal(lk_store_jti_revoke(s, big + 1, 100), LK_OK);
	assert_true(jti_revoked(s, big + 1));
	free(big);
}

/* ---- Consumed client assertions (RFC 7523 §3) ---- */

static void test_assertion_use(void **state)
{
	struct lk_store *s = fx_db(state);
	char *big = long_str(LK_TOKEN_STR_MAX + 1, 'a');

	/* No application is needed: the id is consumed before the client is known good. */
	assert_int_equal(lk_store_assertion_use(s, "c1", "j1", 100), LK_OK);
	assert_int_equal(lk_store_assertion_use(s, "c1", "j1", 100), LK_EEXIST);
	assert_int_equal(lk_store_assertion_use(s, "c1", "j1", 500), LK_EEXIST);
	/* The id is per client, and compares exactly. */
	assert_int_equal(lk_store_assertion_use(s, "c2", "j1", 100), LK_OK);
	assert_int_equal(lk_store_assertion_use(s, "c1", "J1", 100), LK_OK);
	assert_int_equal(lk_store_assertion_use(s, "c1", "j2", 100), LK_OK);

	assert_int_equal(lk_store_assertion_use(s, "", "j3", 100), LK_EINVAL);
	assert_int_equal(lk_store_assertion_use(s, NULL, "j3", 100), LK_EINVAL);
	assert_int_equal(lk_store_assertion_use(s, "c1", "", 100), LK_EINVAL);
	assert_int_equal(lk_store_assertion_use(s, "c1", NULL, 100), LK_EINVAL);
	assert_int_equal(lk_store_assertion_use(s, "c1", "j3", -1), LK_EINVAL);
	assert_int_equal(lk_store_assertion_use(s, big, "j3", 100), LK_ETOOBIG);
	assert_int_equal(lk_store_assertion_use(s, "c1", big, 100), LK_ETOOBIG);
	assert_int_equal(lk_store_assertion_use(NULL, "c1", "j3", 100), LK_EINVAL);
	/* None of those consumed j3. */
	assert_int_equal(lk_store_assertion_use(s, "c1", "j3", 100), LK_OK);
	assert_int_equal(lk_store_assertion_use(s, big + 1, big + 1, 100), LK_OK);
	free(big);
}

struct user_of_ids {
	const char *url;
	pthread_barrier_t *start;
	enum lk_err open_err;
	enum lk_err got[RACE_ROUNDS];
};

/* One side of the race: its own connection, one use per round. */
static void *consume(void *arg)
{
	struct user_of_ids *u = arg;
	struct lk_store *s = NULL;
	char jti[32];

	u->open_err = lk_store_open(u->url, &s);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		snprintf(jti, sizeof(jti), "jti-%d", i);
		/* Both sides always reach the barrier, so neither can hang. */
		pthread_barrier_wait(u->start);
		u->got[i] = s ? lk_store_assertion_use(s, "c1", jti, 1000) : LK_EINTERNAL;
	}
	lk_store_close(s);
	return NULL;
}

/*
 * Two connections present the same assertion at the same moment, RACE_ROUNDS
 * times: each time exactly one of them may consume it.
 */
static void test_assertion_race(void **state)
{
	struct fx *f = *state;
	pthread_barrier_t start;
	struct user_of_ids u[2];
	pthread_t t[2];
	char jti[32];
	int wins[2] = {0, 0};

	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	for (int i = 0; i < 2; i++) {
		u[i] = (struct user_of_ids){.url = f->url, .start = &start};
		assert_int_equal(pthread_create(&t[i], NULL, consume, &u[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);

	assert_int_equal(u[0].open_err, LK_OK);
	assert_int_equal(u[1].open_err, LK_OK);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		if (u[0].got[i] == LK_OK)
			assert_int_equal(u[1].got[i], LK_EEXIST);
		else
			assert_int_equal(u[0].got[i], LK_EEXIST);
		assert_true(u[1].got[i] == LK_OK || u[1].got[i] == LK_EEXIST);
		wins[u[0].got[i] == LK_OK ? 0 : 1]++;
		/* And it stays consumed for everyone. */
		snprintf(jti, sizeof(jti), "jti-%d", i);
		assert_int_equal(lk_store_assertion_use(f->s, "c1", jti, 1000), LK_EEXIST);
	}
	assert_int_equal(wins[0] + wins[1], RACE_ROUNDS);
}

/* ---- Registration access tokens (RFC 7592) ---- */

static void test_registration_token(void **state)
{
	struct lk_store *s = fx_db(state);
	char *big = long_str(LK_TOKEN_STR_MAX + 1, 'c');
	uint8_t h1[LK_SHA256_LEN], h2[LK_SHA256_LEN], got[LK_SHA256_LEN];

	fx_hash_of(h1, 1);
	fx_hash_of(h2, 2);
	memset(got, 0x5a, sizeof(got));
	add_app(s, "c1", "One");
	add_app(s, "c2", "Two");
	assert_int_equal(lk_store_registration_token_get(s, "c1", got), LK_ENOTFOUND);
	assert_int_equal(got[0], 0x5a);
	assert_int_equal(lk_store_registration_token_set(s, "nope", h1), LK_ENOTFOUND);
	assert_int_equal(lk_store_registration_token_get(s, "nope", got), LK_ENOTFOUND);

	assert_int_equal(lk_store_registration_token_set(s, "c1", h1), LK_OK);
	assert_int_equal(lk_store_registration_token_get(s, "c1", got), LK_OK);
	assert_memory_equal(got, h1, LK_SHA256_LEN);
	assert_int_equal(lk_store_registration_token_get(s, "c2", got), LK_ENOTFOUND);
	/* Setting again replaces it. */
	assert_int_equal(lk_store_registration_token_set(s, "c1", h2), LK_OK);
	assert_int_equal(lk_store_registration_token_get(s, "c1", got), LK_OK);
	assert_memory_equal(got, h2, LK_SHA256_LEN);

	assert_int_equal(lk_store_registration_token_set(s, "", h1), LK_EINVAL);
	assert_int_equal(lk_store_registration_token_set(s, NULL, h1), LK_EINVAL);
	assert_int_equal(lk_store_registration_token_set(s, big, h1), LK_ETOOBIG);
	assert_int_equal(lk_store_registration_token_set(s, "c1", NULL), LK_EINVAL);
	assert_int_equal(lk_store_registration_token_set(NULL, "c1", h1), LK_EINVAL);
	memset(got, 0x5a, sizeof(got));
	assert_int_equal(lk_store_registration_token_get(s, "", got), LK_EINVAL);
	assert_int_equal(lk_store_registration_token_get(s, big, got), LK_ETOOBIG);
	assert_int_equal(lk_store_registration_token_get(s, "c1", NULL), LK_EINVAL);
	assert_int_equal(lk_store_registration_token_get(NULL, "c1", got), LK_EINVAL);
	assert_int_equal(got[0], 0x5a);
	assert_int_equal(lk_store_registration_token_get(s, "c1", got), LK_OK);
	assert_memory_equal(got, h2, LK_SHA256_LEN);
	free(big);
}

static void test_record_release(void **state)
{
	struct lk_token_record t = {.issued_at = 5, .revoked = true};

	(void)state;
	lk_token_record_release(NULL);
	t.jti = strdup("j");
	t.client_id = strdup("c");
	t.subject = strdup("s");
	t.scope = NULL; /* members may be missing */
	t.audience = strdup("a");
	lk_token_record_release(&t);
	assert_null(t.jti);
	assert_null(t.audience);
	assert_int_equal(t.issued_at, 0);
	assert_false(t.revoked);
	lk_token_record_release(&t); /* twice is harmless */
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_token_roundtrip),
		T(test_token_insert_errors),
		T(test_token_bad_input),
		T(test_token_revoke),
		T(test_token_extend),
		T(test_delete_expired),
		T(test_cascade),
		T(test_token_columns),
		T(test_jti),
		T(test_assertion_use),
		T(test_assertion_race),
		T(test_registration_token),
		cmocka_unit_test(test_record_release),
	};

	/* Expected failures log errors; the informational lines are noise here. */
	lk_log_setup(LK_LOG_WARN, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
