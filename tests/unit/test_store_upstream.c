/*
 * The store's upstream-provider state (DESIGN §3): sign-ins in flight, taken
 * out exactly once, and upstream identities linked to local users. Each
 * test gets a fresh database from store_fixture.h: a SQLite file under /tmp,
 * or the database LATCHKEY_TEST_DB_URL names, which is WIPED before each
 * test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "core/log.h"
#include "store/store.h"
#include "store_fixture.h"

static int setup(void **state)
{
	return fx_setup(state, "upstream", true);
}

static struct lk_upstream_flow_record flow(int v, int64_t expires_at)
{
	struct lk_upstream_flow_record r = {
		.upstream = (char *)"corp",
		.request_id = (char *)"req-1",
		.created_at = 10,
		.expires_at = expires_at,
	};

	fx_hash_of(r.state_hash, v);
	fx_hash_of(r.browser_hash, v + 30000);
	return r;
}

/* A flow comes back as stored, once; the second take finds nothing. */
static void test_flow_consumed_once(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_upstream_flow_record r = flow(1, 600), got = {0};
	uint8_t browser[LK_SHA256_LEN];

	assert_int_equal(lk_store_upstream_flow_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_upstream_flow_insert(s, &r), LK_EEXIST);
	assert_int_equal(lk_store_upstream_flow_consume(s, r.state_hash, &got), LK_OK);
	assert_memory_equal(got.state_hash, r.state_hash, LK_SHA256_LEN);
	fx_hash_of(browser, 30001);
	assert_memory_equal(got.browser_hash, browser, LK_SHA256_LEN);
	assert_string_equal(got.upstream, "corp");
	assert_string_equal(got.request_id, "req-1");
	assert_int_equal(got.created_at, 10);
	assert_int_equal(got.expires_at, 600);
	lk_upstream_flow_record_release(&got);
	assert_int_equal(lk_store_upstream_flow_consume(s, r.state_hash, &got), LK_ENOTFOUND);
	assert_null(got.upstream);
}

/* Bad arguments are refused before the database sees them. */
static void test_flow_arguments(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_upstream_flow_record r = flow(2, 600);
	char long_name[LK_UPSTREAM_STR_MAX + 2];

	r.upstream = (char *)"";
	assert_int_equal(lk_store_upstream_flow_insert(s, &r), LK_EINVAL);
	r.upstream = NULL;
	assert_int_equal(lk_store_upstream_flow_insert(s, &r), LK_EINVAL);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	r.upstream = long_name;
	assert_int_equal(lk_store_upstream_flow_insert(s, &r), LK_ETOOBIG);
	r = flow(2, -1);
	assert_int_equal(lk_store_upstream_flow_insert(s, &r), LK_EINVAL);
	assert_int_equal(lk_store_upstream_flow_consume(s, r.state_hash, NULL), LK_EINVAL);
}

/* The janitor deletes expired flows, and lk_store_signin_delete_expired counts them. */
static void test_flows_expire(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_upstream_flow_record got = {0};
	int deleted = -1;

	for (int i = 0; i < 3; i++) {
		struct lk_upstream_flow_record r = flow(10 + i, i == 2 ? 2000 : 500);

		assert_int_equal(lk_store_upstream_flow_insert(s, &r), LK_OK);
	}
	assert_int_equal(lk_store_upstream_flows_delete_expired(s, 500, &deleted), LK_OK);
	assert_int_equal(deleted, 2);
	assert_int_equal(lk_store_upstream_flows_delete_expired(s, 500, &deleted), LK_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(lk_store_signin_delete_expired(s, 2000, &deleted), LK_OK);
	assert_int_equal(deleted, 1);
	{
		struct lk_upstream_flow_record r = flow(12, 2000);

		assert_int_equal(lk_store_upstream_flow_consume(s, r.state_hash, &got),
				 LK_ENOTFOUND);
	}
}

/* A link names its user; a second link of the same identity is refused. */
static void test_links(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t alice = fx_add_user(s, "local", "alice", "alice@example.com");
	int64_t bob = fx_add_user(s, "local", "bob", NULL);
	struct lk_upstream_link_record l = {
		.issuer = (char *)"https://idp.example",
		.subject = (char *)"248289761001",
		.user_id = alice,
		.upstream = (char *)"corp",
		.created_at = 77,
	};
	struct lk_upstream_link_record got = {0};
	int64_t n = -1;

	assert_int_equal(lk_store_upstream_link_get(s, l.issuer, l.subject, &got), LK_ENOTFOUND);
	assert_int_equal(lk_store_upstream_link_insert(s, &l), LK_OK);
	l.user_id = bob;
	assert_int_equal(lk_store_upstream_link_insert(s, &l), LK_EEXIST);
	assert_int_equal(lk_store_upstream_link_get(s, l.issuer, l.subject, &got), LK_OK);
	assert_int_equal(got.user_id, alice);
	assert_string_equal(got.issuer, "https://idp.example");
	assert_string_equal(got.subject, "248289761001");
	assert_string_equal(got.upstream, "corp");
	assert_int_equal(got.created_at, 77);
	lk_upstream_link_record_release(&got);
	/* Issuer and subject compare exactly. */
	assert_int_equal(lk_store_upstream_link_get(s, "https://IDP.example", l.subject, &got),
			 LK_ENOTFOUND);
	assert_int_equal(lk_store_upstream_link_count(s, alice, &n), LK_OK);
	assert_int_equal(n, 1);
	assert_int_equal(lk_store_upstream_link_count(s, bob, &n), LK_OK);
	assert_int_equal(n, 0);
	/* The same subject at another issuer is another identity. */
	l.issuer = (char *)"https://other.example";
	assert_int_equal(lk_store_upstream_link_insert(s, &l), LK_OK);
	assert_int_equal(lk_store_upstream_link_count(s, bob, &n), LK_OK);
	assert_int_equal(n, 1);
	/* Unknown users and bad arguments. */
	l.issuer = (char *)"https://third.example";
	l.user_id = 999999;
	assert_int_equal(lk_store_upstream_link_insert(s, &l), LK_ENOTFOUND);
	l.user_id = 0;
	assert_int_equal(lk_store_upstream_link_insert(s, &l), LK_EINVAL);
	assert_int_equal(lk_store_upstream_link_get(s, "", "x", &got), LK_EINVAL);
	/* Links go with their user. */
	assert_int_equal(lk_store_user_delete(s, alice), LK_OK);
	assert_int_equal(lk_store_upstream_link_get(s, "https://idp.example", "248289761001", &got),
			 LK_ENOTFOUND);
}

/* Linking inside a transaction that is rolled back leaves nothing. */
static void test_link_rollback(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t alice = fx_add_user(s, "local", "alice", NULL);
	struct lk_upstream_link_record l = {
		.issuer = (char *)"https://idp.example",
		.subject = (char *)"s1",
		.user_id = alice,
		.upstream = (char *)"corp",
		.created_at = 1,
	};
	struct lk_upstream_link_record got = {0};

	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_upstream_link_insert(s, &l), LK_OK);
	assert_int_equal(lk_store_rollback(s), LK_OK);
	assert_int_equal(lk_store_upstream_link_get(s, l.issuer, l.subject, &got), LK_ENOTFOUND);
}

/* Concurrent callbacks for one state: exactly one takes the flow. */
#define RACERS 8

struct racer {
	const char *url;
	uint8_t hash[LK_SHA256_LEN];
	enum lk_err result;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct lk_store *s = NULL;
	struct lk_upstream_flow_record got = {0};

	r->result = lk_store_open(r->url, &s);
	if (r->result == LK_OK)
		r->result = lk_store_upstream_flow_consume(s, r->hash, &got);
	lk_upstream_flow_record_release(&got);
	lk_store_close(s);
	return NULL;
}

static void test_flow_race(void **state)
{
	struct fx *f = *state;
	struct lk_upstream_flow_record r = flow(40, 600);
	struct racer racers[RACERS];
	pthread_t threads[RACERS];
	int ok = 0, gone = 0;

	assert_int_equal(lk_store_upstream_flow_insert(f->s, &r), LK_OK);
	for (int i = 0; i < RACERS; i++) {
		racers[i].url = f->url;
		memcpy(racers[i].hash, r.state_hash, LK_SHA256_LEN);
		assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
	}
	for (int i = 0; i < RACERS; i++) {
		pthread_join(threads[i], NULL);
		ok += racers[i].result == LK_OK;
		gone += racers[i].result == LK_ENOTFOUND;
	}
	assert_int_equal(ok, 1);
	assert_int_equal(gone, RACERS - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flow_consumed_once, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_flow_arguments, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_flows_expire, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_links, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_link_rollback, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_flow_race, setup, fx_teardown),
	};

	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
