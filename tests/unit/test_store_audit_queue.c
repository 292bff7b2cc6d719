/*
 * The queue of audit events the token endpoint fills without touching the
 * database (store/audit_queue.h): a flush writes them in order, a full queue
 * counts what it drops and says so in one entry, and text from clients
 * cannot carry control characters into the log. Runs on SQLite, or on the
 * database LATCHKEY_TEST_DB_URL names (WIPED before each test).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit_queue.h"
#include "store/records.h"
#include "store/store.h"
#include "store_fixture.h"

static int setup(void **state)
{
	return fx_setup(state, "audit_queue", true);
}

static void push(struct lk_audit_queue *q, int64_t at, const char *action, const char *object_id)
{
	struct lk_audit e = {
		.at = at,
		.actor = (char *)"client:c1",
		.action = (char *)action,
		.object_type = (char *)"app",
		.object_id = (char *)object_id,
		.detail = (char *)"grant=client_credentials",
	};

	lk_audit_queue_push(q, &e);
}

/* The newest n entries, newest first; the caller frees them. */
static struct lk_audit *newest(struct lk_store *s, size_t *n)
{
	struct lk_audit *got = NULL;

	assert_int_equal(lk_store_audit_list(s, 100, &got, n), LK_OK);
	return got;
}

static void test_flush_writes_in_order(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_audit_queue *q = NULL;
	struct lk_audit *got;
	size_t n = 0, written = 99;

	assert_int_equal(lk_audit_queue_new(16, &q), LK_OK);
	/* Nothing queued: nothing written. */
	assert_int_equal(lk_audit_queue_flush(q, s, &written), LK_OK);
	assert_int_equal(written, 0);
	push(q, 100, "token.issue", "c1");
	push(q, 101, "token.refuse", "c2");
	assert_int_equal(lk_audit_queue_flush(q, s, &written), LK_OK);
	assert_int_equal(written, 2);
	got = newest(s, &n);
	assert_int_equal(n, 2);
	assert_string_equal(got[0].action, "token.refuse");
	assert_string_equal(got[0].object_id, "c2");
	assert_int_equal(got[0].at, 101);
	assert_string_equal(got[1].action, "token.issue");
	lk_audits_free(got, n);

	/* A second flush has nothing left to write. */
	assert_int_equal(lk_audit_queue_flush(q, s, &written), LK_OK);
	assert_int_equal(written, 0);
	lk_audit_queue_free(q);
}

static void test_full_queue_counts_drops(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_audit_queue *q = NULL;
	struct lk_audit *got;
	size_t n = 0, written = 0;

	assert_int_equal(lk_audit_queue_new(3, &q), LK_OK);
	for (int i = 0; i < 10; i++)
		push(q, 200 + i, "token.refuse", "c1");
	assert_int_equal(lk_audit_queue_flush(q, s, &written), LK_OK);
	assert_int_equal(written, 4);
	got = newest(s, &n);
	assert_int_equal(n, 4);
	assert_string_equal(got[0].action, "audit.dropped");
	assert_non_null(strstr(got[0].detail, "7 audit event(s) dropped"));
	assert_int_equal(got[3].at, 200);
	lk_audits_free(got, n);

	/* The count starts again after a flush. */
	push(q, 300, "token.issue", "c1");
	assert_int_equal(lk_audit_queue_flush(q, s, &written), LK_OK);
	assert_int_equal(written, 1);
	lk_audit_queue_free(q);
}

static void test_text_is_cut_and_cleaned(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_audit_queue *q = NULL;
	char *big = malloc(LK_AUDIT_FIELD_MAX * 4);
	struct lk_audit *got;
	size_t n = 0;

	assert_non_null(big);
	memset(big, 'x', LK_AUDIT_FIELD_MAX * 4 - 1);
	big[LK_AUDIT_FIELD_MAX * 4 - 1] = '\0';
	assert_int_equal(lk_audit_queue_new(4, &q), LK_OK);
	push(q, 1, "token.refuse", "evil\r\nforged line\x1b[0m");
	push(q, 2, "token.refuse", big);
	assert_int_equal(lk_audit_queue_flush(q, s, NULL), LK_OK);
	got = newest(s, &n);
	assert_int_equal(n, 2);
	assert_int_equal(strlen(got[0].object_id), LK_AUDIT_FIELD_MAX);
	assert_string_equal(got[1].object_id, "evil??forged line?[0m");
	lk_audits_free(got, n);
	lk_audit_queue_free(q);
	free(big);
}

static void test_bad_arguments(void **state)
{
	struct lk_audit_queue *q = NULL;

	(void)state;
	assert_int_equal(lk_audit_queue_new(0, &q), LK_EINVAL);
	assert_int_equal(lk_audit_queue_new(LK_AUDIT_QUEUE_CAP + 1, &q), LK_EINVAL);
	assert_null(q);
	/* No queue: pushing is a no-op, flushing refused. */
	push(NULL, 1, "token.issue", "c1");
	assert_int_equal(lk_audit_queue_flush(NULL, NULL, NULL), LK_EINVAL);
	lk_audit_queue_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flush_writes_in_order, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_counts_drops, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_text_is_cut_and_cleaned, setup, fx_teardown),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
