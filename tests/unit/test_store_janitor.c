/*
 * Housekeeping in the store: the _delete_expired functions delete in batches
 * of LK_STORE_JANITOR_BATCH rows, audit entries go by age in batches of the
 * caller's size, and the audit log is read through filters. Each test gets a
 * fresh database from store_fixture.h: a SQLite file under /tmp, or the
 * database LATCHKEY_TEST_DB_URL names, which is WIPED before each test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/records.h"
#include "store/store.h"
#include "store_fixture.h"

/* More than two batches, so that a backlog takes three calls. */
#define EXPIRED_TOKENS (2 * LK_STORE_JANITOR_BATCH + 500)
#define EXPIRED_JTIS (LK_STORE_JANITOR_BATCH + 200)
#define EXPIRED_THROTTLES (LK_STORE_JANITOR_BATCH + 1)
#define LIVE 10

/* The time the tests delete at; rows expire before it or live past it. */
#define NOW 1000000

static int setup(void **state)
{
	return fx_setup(state, "janitor", true);
}

static void insert_token(struct lk_store *s, int v, int64_t expires_at)
{
	struct lk_token_record t = {
		.jti = (char *)"jti",
		.client_id = (char *)"c1",
		.subject = (char *)"17",
		.scope = (char *)"api",
		.issued_at = 10,
		.expires_at = expires_at,
	};

	fx_hash_of(t.hash, v);
	assert_int_equal(lk_store_token_insert(s, &t), LK_OK);
}

static bool token_exists(struct lk_store *s, int v)
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

static void jti_of(char out[32], int v)
{
	snprintf(out, 32, "jti-%d", v);
}

/* Expired tokens and revoked ids, more than a batch of each, and live ones. */
static void test_tokens_in_batches(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_app a = fx_app("c1", "one");
	int deleted = -1, total = 0, calls = 0;
	char jti[32];
	bool revoked = false;

	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	assert_int_equal(lk_store_begin(s), LK_OK);
	for (int i = 0; i < EXPIRED_TOKENS; i++)
		insert_token(s, i, NOW - 1 - i % 50);
	for (int i = 0; i < LIVE; i++) {
		insert_token(s, EXPIRED_TOKENS + i, i % 2 ? NOW + 1 : 0);
		jti_of(jti, EXPIRED_JTIS + i);
		assert_int_equal(lk_store_jti_revoke(s, jti, NOW + 1), LK_OK);
	}
	for (int i = 0; i < EXPIRED_JTIS; i++) {
		jti_of(jti, i);
		assert_int_equal(lk_store_jti_revoke(s, jti, NOW), LK_OK);
	}
	assert_int_equal(lk_store_commit(s), LK_OK);

	/* The first call takes a full batch of each table and no more. */
	assert_int_equal(lk_store_tokens_delete_expired(s, NOW, &deleted), LK_OK);
	assert_int_equal(deleted, 2 * LK_STORE_JANITOR_BATCH);
	total = deleted;
	calls = 1;
	/* Repeat while a call may have left rows behind, as the server does. */
	while (deleted >= LK_STORE_JANITOR_BATCH) {
		assert_int_equal(lk_store_tokens_delete_expired(s, NOW, &deleted), LK_OK);
		assert_true(deleted <= 3 * LK_STORE_JANITOR_BATCH);
		total += deleted;
		calls++;
		assert_true(calls < 10);
	}
	assert_int_equal(total, EXPIRED_TOKENS + EXPIRED_JTIS);
	assert_int_equal(calls, 3);
	assert_int_equal(lk_store_tokens_delete_expired(s, NOW, &deleted), LK_OK);
	assert_int_equal(deleted, 0);

	for (int i = 0; i < EXPIRED_TOKENS; i += 97)
		assert_false(token_exists(s, i));
	for (int i = 0; i < LIVE; i++) {
		assert_true(token_exists(s, EXPIRED_TOKENS + i));
		jti_of(jti, EXPIRED_JTIS + i);
		assert_int_equal(lk_store_jti_revoked(s, jti, &revoked), LK_OK);
		assert_true(revoked);
	}
	jti_of(jti, 0);
	assert_int_equal(lk_store_jti_revoked(s, jti, &revoked), LK_OK);
	assert_false(revoked);
}

/* The sign-in records go in batches too (the throttle table stands for them). */
static void test_signin_in_batches(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_throttle_record old = {.failures = 1, .window_start = 5, .expires_at = NOW};
	struct lk_throttle_record live = {.failures = 1, .window_start = 5, .expires_at = NOW + 60};
	struct lk_throttle_record got;
	char key[32];
	int deleted = -1, calls = 0, total = 0;

	assert_int_equal(lk_store_begin(s), LK_OK);
	for (int i = 0; i < EXPIRED_THROTTLES; i++) {
		snprintf(key, sizeof(key), "old-%d", i);
		assert_int_equal(lk_store_throttle_put(s, key, &old), LK_OK);
	}
	assert_int_equal(lk_store_throttle_put(s, "live", &live), LK_OK);
	assert_int_equal(lk_store_commit(s), LK_OK);

	do {
		assert_int_equal(lk_store_signin_delete_expired(s, NOW, &deleted), LK_OK);
		assert_true(deleted <= LK_STORE_JANITOR_BATCH);
		total += deleted;
		calls++;
	} while (deleted >= LK_STORE_JANITOR_BATCH && calls < 10);
	assert_int_equal(calls, 2);
	assert_int_equal(total, EXPIRED_THROTTLES);
	assert_int_equal(lk_store_throttle_get(s, "old-0", &got), LK_ENOTFOUND);
	assert_int_equal(lk_store_throttle_get(s, "live", &got), LK_OK);
	assert_int_equal(got.expires_at, NOW + 60);
	/* NULL is allowed for the count. */
	assert_int_equal(lk_store_signin_delete_expired(s, NOW, NULL), LK_OK);
}

static void add_audit(struct lk_store *s, int64_t at, const char *actor, const char *action,
		      const char *object_id)
{
	struct lk_audit e = {
		.at = at,
		.actor = (char *)actor,
		.action = (char *)action,
		.object_type = (char *)"app",
		.object_id = (char *)object_id,
		.detail = (char *)"",
	};

	assert_int_equal(lk_store_audit_add(s, &e), LK_OK);
}

static size_t audit_count(struct lk_store *s)
{
	struct lk_audit *list = NULL;
	size_t n = 0;

	assert_int_equal(lk_store_audit_list(s, LK_AUDIT_LIST_MAX, &list, &n), LK_OK);
	lk_audits_free(list, n);
	return n;
}

static void test_audit_delete_before(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_audit *list = NULL;
	size_t n = 0;
	int deleted = -1;

	for (int i = 1; i <= 30; i++)
		add_audit(s, i, "cli:root", "app.add", "c1");

	/* Oldest first, at most limit at a time, never one at or after before. */
	assert_int_equal(lk_store_audit_delete_before(s, 21, 7, &deleted), LK_OK);
	assert_int_equal(deleted, 7);
	assert_int_equal(lk_store_audit_list(s, 100, &list, &n), LK_OK);
	assert_int_equal(n, 23);
	assert_int_equal(list[n - 1].at, 8);
	lk_audits_free(list, n);
	assert_int_equal(lk_store_audit_delete_before(s, 21, 7, &deleted), LK_OK);
	assert_int_equal(deleted, 7);
	assert_int_equal(lk_store_audit_delete_before(s, 21, 7, &deleted), LK_OK);
	assert_int_equal(deleted, 6);
	assert_int_equal(lk_store_audit_delete_before(s, 21, 7, NULL), LK_OK);
	assert_int_equal(lk_store_audit_delete_before(s, 21, 7, &deleted), LK_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(lk_store_audit_list(s, 100, &list, &n), LK_OK);
	assert_int_equal(n, 10);
	assert_int_equal(list[0].at, 30);
	assert_int_equal(list[n - 1].at, 21);
	lk_audits_free(list, n);

	/* The limit is bounded, and a refused call deletes nothing. */
	deleted = -1;
	assert_int_equal(lk_store_audit_delete_before(s, 100, 0, &deleted), LK_EINVAL);
	assert_int_equal(lk_store_audit_delete_before(s, 100, LK_AUDIT_DELETE_MAX + 1, &deleted),
			 LK_EINVAL);
	assert_int_equal(lk_store_audit_delete_before(NULL, 100, 1, &deleted), LK_EINVAL);
	assert_int_equal(deleted, -1);
	assert_int_equal(audit_count(s), 10);
}

/* The actions of the entries find() returns, newest first, space-separated. */
static void find(struct lk_store *s, const struct lk_audit_filter *f, int limit, char *out,
		 size_t len)
{
	struct lk_audit *list = NULL;
	size_t n = 0, used = 0;

	out[0] = '\0';
	assert_int_equal(lk_store_audit_find(s, f, limit, &list, &n), LK_OK);
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out + used, len - used, "%s%s@%lld", i ? " " : "", list[i].action,
				 (long long)list[i].at);

		assert_true(w > 0 && (size_t)w < len - used);
		used += (size_t)w;
	}
	if (n == 0)
		assert_null(list);
	lk_audits_free(list, n);
}

static void test_audit_filters(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_audit *list = NULL;
	size_t n = 0;
	char got[512];
	char *big;

	add_audit(s, 10, "cli:root", "app.add", "c1");
	add_audit(s, 20, "admin:local\\alice", "app.update", "c1");
	add_audit(s, 30, "signin", "signin.success", "local\\bob");
	add_audit(s, 40, "signin", "signin.failure", "local\\bob");
	add_audit(s, 50, "cli:root", "app.add", "c2");
	add_audit(s, 60, "signin", "signin%x", "local\\carol");
	/* Newer entries that no filter below asks for, more than the limits. */
	for (int i = 0; i < 20; i++)
		add_audit(s, 100 + i, "cli:root", "user.add", "local\\dave");

	/* No filter, NULL or all unset, is the plain list. */
	find(s, NULL, 2, got, sizeof(got));
	assert_string_equal(got, "user.add@119 user.add@118");
	find(s, &(struct lk_audit_filter){"", NULL, "", 0}, 1, got, sizeof(got));
	assert_string_equal(got, "user.add@119");

	/* A prefix of the action; the limit counts matching entries. */
	find(s, &(struct lk_audit_filter){.action_prefix = "signin."}, 10, got, sizeof(got));
	assert_string_equal(got, "signin.failure@40 signin.success@30");
	find(s, &(struct lk_audit_filter){.action_prefix = "app."}, 2, got, sizeof(got));
	assert_string_equal(got, "app.add@50 app.update@20");
	find(s, &(struct lk_audit_filter){.action_prefix = "app.add"}, 10, got, sizeof(got));
	assert_string_equal(got, "app.add@50 app.add@10");
	/* LIKE's wildcards mean themselves. */
	find(s, &(struct lk_audit_filter){.action_prefix = "signin%"}, 10, got, sizeof(got));
	assert_string_equal(got, "signin%x@60");
	find(s, &(struct lk_audit_filter){.action_prefix = "app_"}, 10, got, sizeof(got));
	assert_string_equal(got, "");

	/* Actor and object are exact. */
	find(s, &(struct lk_audit_filter){.actor = "admin:local\\alice"}, 10, got, sizeof(got));
	assert_string_equal(got, "app.update@20");
	find(s, &(struct lk_audit_filter){.actor = "cli"}, 10, got, sizeof(got));
	assert_string_equal(got, "");
	find(s, &(struct lk_audit_filter){.object_id = "c1"}, 10, got, sizeof(got));
	assert_string_equal(got, "app.update@20 app.add@10");
	find(s, &(struct lk_audit_filter){.object_id = "local\\bob"}, 10, got, sizeof(got));
	assert_string_equal(got, "signin.failure@40 signin.success@30");

	/* Since is inclusive; filters combine. */
	find(s, &(struct lk_audit_filter){.since = 119}, 10, got, sizeof(got));
	assert_string_equal(got, "user.add@119");
	find(s, &(struct lk_audit_filter){.action_prefix = "app.", .since = 20}, 10, got,
	     sizeof(got));
	assert_string_equal(got, "app.add@50 app.update@20");
	find(s, &(struct lk_audit_filter){"app.add", "cli:root", "c2", 0}, 10, got, sizeof(got));
	assert_string_equal(got, "app.add@50");
	find(s, &(struct lk_audit_filter){"app.add", "cli:root", "c2", 51}, 10, got, sizeof(got));
	assert_string_equal(got, "");

	/* Bad filters change nothing and read nothing. */
	big = malloc(LK_REC_STR_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', LK_REC_STR_MAX + 1);
	big[LK_REC_STR_MAX + 1] = '\0';
	assert_int_equal(
		lk_store_audit_find(s, &(struct lk_audit_filter){.actor = big}, 10, &list, &n),
		LK_ETOOBIG);
	assert_int_equal(lk_store_audit_find(s, &(struct lk_audit_filter){.action_prefix = big}, 10,
					     &list, &n),
			 LK_ETOOBIG);
	free(big);
	assert_int_equal(
		lk_store_audit_find(s, &(struct lk_audit_filter){.since = -1}, 10, &list, &n),
		LK_EINVAL);
	assert_int_equal(lk_store_audit_find(s, NULL, 0, &list, &n), LK_EINVAL);
	assert_null(list);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tokens_in_batches),
		T(test_signin_in_batches),
		T(test_audit_delete_before),
		T(test_audit_filters),
	};

	/* Expected failures log errors; the informational lines are noise here. */
	lk_log_setup(LK_LOG_WARN, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
