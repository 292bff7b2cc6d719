/*
 * The token-bucket limiter (src/core/ratelimit.c): bursts, refill, the
 * Retry-After it computes, independent keys, the fixed table under a flood
 * of new keys, and many threads taking from the same and from different keys
 * with the clock standing still, where the counts must be exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "core/ratelimit.h"

/* A time far from 0, as the monotonic clock of a machine that has been up a while. */
#define T0 1000000

static struct lk_ratelimit *make(uint32_t rate, uint32_t burst, size_t slots)
{
	struct lk_ratelimit *rl = NULL;

	assert_int_equal(lk_ratelimit_new(rate, burst, slots, &rl), LK_OK);
	assert_non_null(rl);
	return rl;
}

static bool take(struct lk_ratelimit *rl, const char *key, int64_t now, int64_t *retry)
{
	return lk_ratelimit_take(rl, key, strlen(key), now, retry);
}

/* How many of n requests at now are allowed. */
static int allowed(struct lk_ratelimit *rl, const char *key, int64_t now, int n)
{
	int i, ok = 0;

	for (i = 0; i < n; i++)
		ok += take(rl, key, now, NULL);
	return ok;
}

static void burst_then_refuse(void **state)
{
	struct lk_ratelimit *rl = make(10, 5, 0);
	int64_t retry = -1;

	assert_int_equal(allowed(rl, "a", T0, 5), 5);
	assert_false(take(rl, "a", T0, &retry));
	/* One request comes back every 100 ms: within the second. */
	assert_int_equal(retry, 1);
	/* A refusal takes nothing: the next request is allowed 100 ms later. */
	assert_false(take(rl, "a", T0 + 99, NULL));
	assert_true(take(rl, "a", T0 + 100, NULL));
	assert_false(take(rl, "a", T0 + 100, NULL));
	/* After a long pause the bucket is full again, and no fuller than burst. */
	assert_int_equal(allowed(rl, "a", T0 + 60000, 20), 5);
	lk_ratelimit_free(rl);
}

static void refill_rate(void **state)
{
	struct lk_ratelimit *rl = make(2, 1, 0);
	int64_t t, ok = 0;

	assert_true(take(rl, "k", T0, NULL));
	assert_false(take(rl, "k", T0 + 499, NULL));
	assert_true(take(rl, "k", T0 + 500, NULL));
	/* Asking every millisecond for 10 s gets exactly 2 a second. */
	for (t = T0 + 501; t <= T0 + 10500; t++)
		ok += take(rl, "k", t, NULL);
	assert_int_equal(ok, 20);
	lk_ratelimit_free(rl);
}

static void retry_after_is_whole_seconds(void **state)
{
	struct lk_ratelimit *rl = make(1, 3, 0);
	int64_t retry = 0;

	assert_int_equal(allowed(rl, "k", T0, 3), 3);
	assert_false(take(rl, "k", T0, &retry));
	assert_int_equal(retry, 1);
	/* 1 ms before the token is back: still rounded up to a whole second. */
	retry = 0;
	assert_false(take(rl, "k", T0 + 999, &retry));
	assert_int_equal(retry, 1);
	assert_true(take(rl, "k", T0 + 1000, NULL));
	/* A NULL retry_after is allowed. */
	assert_false(take(rl, "k", T0 + 1000, NULL));
	lk_ratelimit_free(rl);
}

static void clock_steps_back(void **state)
{
	struct lk_ratelimit *rl = make(1, 2, 0);

	assert_int_equal(allowed(rl, "k", T0, 2), 2);
	/* A clock that goes back gives nothing back; nor do negative or huge times crash. */
	assert_false(take(rl, "k", T0 - 5000, NULL));
	assert_false(take(rl, "k", 0, NULL));
	assert_true(take(rl, "other", -1, NULL));
	assert_true(take(rl, "other2", INT64_MAX, NULL));
	assert_true(take(rl, "other2", INT64_MAX, NULL));
	assert_false(take(rl, "other2", INT64_MAX, NULL));
	lk_ratelimit_free(rl);
}

static void keys_are_independent(void **state)
{
	struct lk_ratelimit *rl = make(1, 2, 0);
	const char bin1[] = {'a', 'b'};
	const char bin2[] = {'a', 'b', '\0'};

	assert_int_equal(allowed(rl, "10.0.0.1", T0, 5), 2);
	assert_int_equal(allowed(rl, "10.0.0.2", T0, 5), 2);
	/* Keys are bytes with a length: a trailing NUL makes another key. */
	assert_int_equal(lk_ratelimit_take(rl, bin1, sizeof(bin1), T0, NULL), true);
	assert_int_equal(lk_ratelimit_take(rl, bin1, sizeof(bin1), T0, NULL), true);
	assert_int_equal(lk_ratelimit_take(rl, bin1, sizeof(bin1), T0, NULL), false);
	assert_int_equal(lk_ratelimit_take(rl, bin2, sizeof(bin2), T0, NULL), true);
	/* The empty key is a key like any other. */
	assert_int_equal(allowed(rl, "", T0, 3), 2);
	lk_ratelimit_free(rl);
}

static void rate_zero_is_unlimited(void **state)
{
	struct lk_ratelimit *rl = make(0, 0, 1000);
	int64_t retry = 42;

	assert_int_equal(allowed(rl, "a", T0, 100000), 100000);
	assert_true(take(rl, "a", T0, &retry));
	assert_int_equal(retry, 42);
	assert_int_equal(lk_ratelimit_slots(rl), 0);
	assert_int_equal(lk_ratelimit_tracked(rl, T0), 0);
	lk_ratelimit_free(rl);
	/* NULL behaves like a limiter of rate 0. */
	assert_true(take(NULL, "a", T0, &retry));
	assert_int_equal(lk_ratelimit_slots(NULL), 0);
	lk_ratelimit_free(NULL);
}

static void bad_arguments(void **state)
{
	static char sentinel;
	struct lk_ratelimit *const before = (struct lk_ratelimit *)(void *)&sentinel;
	struct lk_ratelimit *rl = before;

	assert_int_equal(lk_ratelimit_new(1, 0, 0, &rl), LK_EINVAL);
	assert_int_equal(lk_ratelimit_new(1000000001u, 1, 0, &rl), LK_EINVAL);
	assert_int_equal(lk_ratelimit_new(1, 1, ((size_t)1 << 26) + 1, &rl), LK_EINVAL);
	assert_ptr_equal(rl, before);
	/* The largest values accepted work. */
	rl = make(1000000000u, UINT32_MAX, 0);
	assert_int_equal(allowed(rl, "k", T0, 1000), 1000);
	lk_ratelimit_free(rl);
}

static void table_size_is_fixed(void **state)
{
	struct lk_ratelimit *rl = make(1, 1, 1000);

	/* Rounded up to a power of two. */
	assert_int_equal(lk_ratelimit_slots(rl), 1024);
	lk_ratelimit_free(rl);
	rl = make(1, 1, 0);
	assert_int_equal(lk_ratelimit_slots(rl), LK_RATELIMIT_SHARDS * LK_RATELIMIT_WAYS);
	lk_ratelimit_free(rl);
}

/*
 * A flood of new keys neither grows the table nor frees a key that is being
 * held back: the flood's own entries, one request deep, go first.
 */
static void flood_keeps_the_limited(void **state)
{
	struct lk_ratelimit *rl = make(1, 10, 1024);
	char key[32];
	int i, victims = 0;
	int64_t retry;

	/* Eight keys spend their whole burst. */
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "limited-%d", i);
		assert_int_equal(allowed(rl, key, T0, 10), 10);
	}
	/* 200000 other keys, each once: all allowed, as new keys are. */
	for (i = 0; i < 200000; i++) {
		snprintf(key, sizeof(key), "flood-%d", i);
		assert_true(take(rl, key, T0 + 1, NULL));
	}
	assert_true(lk_ratelimit_tracked(rl, T0 + 1) <= lk_ratelimit_slots(rl));
	assert_int_equal(lk_ratelimit_slots(rl), 1024);
	/* The limited keys are still refused. */
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "limited-%d", i);
		retry = 0;
		victims += !take(rl, key, T0 + 2, &retry);
		assert_int_equal(retry, 1);
	}
	assert_int_equal(victims, 8);
	/* Once every bucket is full again nothing is tracked; the slots are reused freely. */
	assert_int_equal(lk_ratelimit_tracked(rl, T0 + 60000), 0);
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "limited-%d", i);
		assert_int_equal(allowed(rl, key, T0 + 60000, 20), 10);
	}
	lk_ratelimit_free(rl);
}

/* Many threads at once: 8 threads, each taking many times. */
#define NTHREADS 8
#define TAKES 20000

struct hammer {
	struct lk_ratelimit *rl;
	pthread_barrier_t *barrier;
	char key[16];
	int ok[2]; /* allowed in each phase */
};

/*
 * Two phases with the clock standing still: at T0, then (after every thread
 * has finished the first) one second later, when exactly rate requests per
 * key have come back.
 */
static void *hammer(void *arg)
{
	struct hammer *h = arg;
	int phase, i;

	for (phase = 0; phase < 2; phase++) {
		pthread_barrier_wait(h->barrier);
		for (i = 0; i < TAKES; i++)
			h->ok[phase] += take(h->rl, h->key, T0 + phase * 1000, NULL);
	}
	return NULL;
}

static void run_hammer(struct lk_ratelimit *rl, bool same_key, struct hammer *h)
{
	pthread_t t[NTHREADS];
	pthread_barrier_t barrier;
	int i;

	assert_int_equal(pthread_barrier_init(&barrier, NULL, NTHREADS), 0);
	for (i = 0; i < NTHREADS; i++) {
		memset(&h[i], 0, sizeof(h[i]));
		h[i].rl = rl;
		h[i].barrier = &barrier;
		snprintf(h[i].key, sizeof(h[i].key), "key-%d", same_key ? 0 : i);
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &h[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&barrier);
}

static void threads_same_key(void **state)
{
	struct lk_ratelimit *rl = make(700, 5000, 0);
	struct hammer h[NTHREADS];
	int i, total[2] = {0, 0};

	run_hammer(rl, true, h);
	for (i = 0; i < NTHREADS; i++) {
		total[0] += h[i].ok[0];
		total[1] += h[i].ok[1];
	}
	/* Not one request lost or double-counted. */
	assert_int_equal(total[0], 5000);
	assert_int_equal(total[1], 700);
	lk_ratelimit_free(rl);
}

static void threads_own_keys(void **state)
{
	struct lk_ratelimit *rl = make(300, 1000, 0);
	struct hammer h[NTHREADS];
	int i;

	run_hammer(rl, false, h);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(h[i].ok[0], 1000);
		assert_int_equal(h[i].ok[1], 300);
	}
	lk_ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_then_refuse),
		cmocka_unit_test(refill_rate),
		cmocka_unit_test(retry_after_is_whole_seconds),
		cmocka_unit_test(clock_steps_back),
		cmocka_unit_test(keys_are_independent),
		cmocka_unit_test(rate_zero_is_unlimited),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(table_size_is_fixed),
		cmocka_unit_test(flood_keeps_the_limited),
		cmocka_unit_test(threads_same_key),
		cmocka_unit_test(threads_own_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
