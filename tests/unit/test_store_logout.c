/*
 * The store's part of RP-initiated logout: lk_store_refresh_revoke_session
 * revokes what one application was issued in one session (its refresh-token
 * families with their access tokens, JWT ids and unredeemed codes) and
 * nothing else. Each test gets a fresh database from store_fixture.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/records.h"
#include "store/store.h"
#include "store_fixture.h"

static int setup(void **state)
{
	return fx_setup(state, "logout", true);
}

static void add_app(struct lk_store *s, const char *client_id, const char *name)
{
	struct lk_app a = fx_app(client_id, name);

	a.grant = LK_GRANT_AUTHORIZATION_CODE;
	a.token_format = LK_FORMAT_OPAQUE;
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
}

/* Refresh token v of family, issued to client_id in session sid. */
static void add_refresh(struct lk_store *s, int v, const char *family, const char *client_id,
			const char *sid, int64_t user_id)
{
	struct lk_refresh_record r = {
		.family = (char *)family,
		.client_id = (char *)client_id,
		.user_id = user_id,
		.scope = (char *)"openid offline_access",
		.sid = (char *)sid,
		.amr = (char *)"pwd",
		.auth_time = 10,
		.issued_at = 12,
		.expires_at = 5000,
	};

	fx_hash_of(r.hash, v);
	assert_int_equal(lk_store_refresh_insert(s, &r), LK_OK);
}

/* Opaque access token v of client_id under grant_id. */
static void add_token(struct lk_store *s, int v, const char *client_id, const char *grant_id)
{
	struct lk_token_record t = {
		.jti = (char *)"tok",
		.client_id = (char *)client_id,
		.subject = (char *)"1",
		.scope = (char *)"openid",
		.issued_at = 10,
		.expires_at = 5000,
		.grant_id = (char *)grant_id,
	};

	fx_hash_of(t.hash, v);
	assert_int_equal(lk_store_token_insert(s, &t), LK_OK);
}

/* An unredeemed code v of client_id under grant_id, issued in session sid. */
static void add_code(struct lk_store *s, int v, const char *grant_id, const char *client_id,
		     const char *sid, int64_t user_id)
{
	struct lk_code_record r = {
		.grant_id = (char *)grant_id,
		.client_id = (char *)client_id,
		.redirect_uri = (char *)"https://app.example/cb",
		.user_id = user_id,
		.scope = (char *)"openid",
		.sid = (char *)sid,
		.amr = (char *)"pwd",
		.auth_time = 10,
		.created_at = 11,
		.expires_at = 71,
	};

	fx_hash_of(r.hash, v);
	assert_int_equal(lk_store_code_insert(s, &r), LK_OK);
}

static bool refresh_revoked(struct lk_store *s, int v)
{
	struct lk_refresh_record got = {0};
	uint8_t h[LK_SHA256_LEN];
	bool revoked;

	fx_hash_of(h, v);
	assert_int_equal(lk_store_refresh_get(s, h, &got), LK_OK);
	revoked = got.revoked;
	lk_refresh_record_release(&got);
	return revoked;
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

/*
 * When code v was used: redeems it at now, so an unused code answers now
 * and one used up by a revocation answers the revocation's time.
 */
static int64_t code_used_at(struct lk_store *s, int v, int64_t now)
{
	struct lk_code_record got = {0};
	uint8_t h[LK_SHA256_LEN];
	enum lk_err err;
	int64_t t;

	fx_hash_of(h, v);
	err = lk_store_code_consume(s, h, now, &got);
	assert_true(err == LK_OK || err == LK_EEXIST);
	t = got.used_at;
	lk_code_record_release(&got);
	return t;
}

/*
 * Alice's grants: f1 is c1's in session s1 (rotated once), f2 c1's in
 * session s2, f3 c2's in session s1, f4 c1's from the password grant (no
 * session). Each has an opaque access token (same number as the family), a
 * JWT id jN and an unredeemed code (same number).
 */
static int64_t grants(struct lk_store *s)
{
	static const struct {
		const char *family, *client_id, *sid, *jti;
	} g[] = {
		{"f1", "c1", "s1", "j1"},
		{"f2", "c1", "s2", "j2"},
		{"f3", "c2", "s1", "j3"},
		{"f4", "c1", "", "j4"},
	};
	int64_t uid = fx_add_user(s, "corp", "alice", NULL);

	add_app(s, "c1", "One");
	add_app(s, "c2", "Two");
	for (int i = 0; i < 4; i++) {
		add_refresh(s, i + 1, g[i].family, g[i].client_id, g[i].sid, uid);
		add_token(s, i + 1, g[i].client_id, g[i].family);
		add_code(s, i + 1, g[i].family, g[i].client_id, g[i].sid, uid);
		assert_int_equal(lk_store_grant_jti_add(s, g[i].family, uid, g[i].jti, 500), LK_OK);
	}
	/* The rotation of f1: a later token of the same family and session. */
	add_refresh(s, 11, "f1", "c1", "s1", uid);
	return uid;
}

/* Whether f1, and nothing else, was revoked (codes checked at 200). */
static void assert_only_f1(struct lk_store *s, int64_t when)
{
	assert_true(refresh_revoked(s, 1));
	assert_true(refresh_revoked(s, 11));
	assert_true(token_revoked(s, 1));
	assert_true(jti_revoked(s, "j1"));
	assert_int_equal(code_used_at(s, 1, 200), when);
	for (int v = 2; v <= 4; v++) {
		assert_false(refresh_revoked(s, v));
		assert_false(token_revoked(s, v));
		assert_int_equal(code_used_at(s, v, 200), 200);
	}
	assert_false(jti_revoked(s, "j2"));
	assert_false(jti_revoked(s, "j3"));
	assert_false(jti_revoked(s, "j4"));
}

static void test_revoke_session(void **state)
{
	struct lk_store *s = fx_db(state);
	int deleted = 0;

	grants(s);
	assert_int_equal(lk_store_refresh_revoke_session(s, "s1", "c1", 100), LK_OK);
	/* Idempotent: a second logout changes no time. */
	assert_int_equal(lk_store_refresh_revoke_session(s, "s1", "c1", 150), LK_OK);
	assert_only_f1(s, 100);

	/* The revoked JWT id is remembered until the token would have expired. */
	assert_int_equal(lk_store_tokens_delete_expired(s, 499, &deleted), LK_OK);
	assert_true(jti_revoked(s, "j1"));
	assert_int_equal(lk_store_tokens_delete_expired(s, 500, &deleted), LK_OK);
	assert_false(jti_revoked(s, "j1"));
}

/* Inside the caller's transaction the revocation nests, and is undone with it. */
static void test_revoke_session_rollback(void **state)
{
	struct lk_store *s = fx_db(state);

	grants(s);
	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_refresh_revoke_session(s, "s1", "c1", 100), LK_OK);
	assert_true(refresh_revoked(s, 1));
	assert_int_equal(lk_store_rollback(s), LK_OK);
	assert_false(refresh_revoked(s, 1));
	assert_false(refresh_revoked(s, 11));
	assert_false(token_revoked(s, 1));
	assert_false(jti_revoked(s, "j1"));

	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_refresh_revoke_session(s, "s1", "c1", 100), LK_OK);
	assert_int_equal(lk_store_commit(s), LK_OK);
	assert_only_f1(s, 100);
}

/* Nothing to revoke is no error, and changes nothing. */
static void test_revoke_session_nothing(void **state)
{
	struct lk_store *s = fx_db(state);

	grants(s);
	assert_int_equal(lk_store_refresh_revoke_session(s, "nope", "c1", 100), LK_OK);
	assert_int_equal(lk_store_refresh_revoke_session(s, "s1", "nope", 100), LK_OK);
	assert_int_equal(lk_store_refresh_revoke_session(s, "s2", "c2", 100), LK_OK);
	for (int v = 1; v <= 4; v++) {
		assert_false(refresh_revoked(s, v));
		assert_false(token_revoked(s, v));
	}
	assert_false(refresh_revoked(s, 11));
	assert_false(jti_revoked(s, "j1"));
}

static void test_revoke_session_bad_input(void **state)
{
	struct lk_store *s = fx_db(state);
	char *big = malloc(LK_SIGNIN_STR_MAX + 2);

	assert_non_null(big);
	memset(big, 's', LK_SIGNIN_STR_MAX + 1);
	big[LK_SIGNIN_STR_MAX + 1] = '\0';
	grants(s);
	assert_int_equal(lk_store_refresh_revoke_session(NULL, "s1", "c1", 100), LK_EINVAL);
	assert_int_equal(lk_store_refresh_revoke_session(s, NULL, "c1", 100), LK_EINVAL);
	/* The password grant's tokens have sid "": it names no session. */
	assert_int_equal(lk_store_refresh_revoke_session(s, "", "c1", 100), LK_EINVAL);
	assert_int_equal(lk_store_refresh_revoke_session(s, "s1", NULL, 100), LK_EINVAL);
	assert_int_equal(lk_store_refresh_revoke_session(s, "s1", "", 100), LK_EINVAL);
	assert_int_equal(lk_store_refresh_revoke_session(s, big, "c1", 100), LK_ETOOBIG);
	assert_int_equal(lk_store_refresh_revoke_session(s, "s1", big, 100), LK_ETOOBIG);
	assert_int_equal(lk_store_refresh_revoke_session(s, "s1", "c1", 0), LK_EINVAL);
	assert_int_equal(lk_store_refresh_revoke_session(s, "s1", "c1", -1), LK_EINVAL);
	assert_false(refresh_revoked(s, 1));
	assert_false(refresh_revoked(s, 4));
	assert_false(token_revoked(s, 4));

	/* The longest strings are accepted. */
	assert_int_equal(lk_store_refresh_revoke_session(s, big + 1, big + 1, 100), LK_OK);
	free(big);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_revoke_session),
		T(test_revoke_session_rollback),
		T(test_revoke_session_nothing),
		T(test_revoke_session_bad_input),
	};

	lk_log_setup(LK_LOG_WARN, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
