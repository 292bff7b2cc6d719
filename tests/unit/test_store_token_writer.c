/*
 * The opaque tokens' group commit (store/token_writer.h), against a real
 * database from store_fixture.h (SQLite, or LATCHKEY_TEST_DB_URL, WIPED):
 * everything pushed is stored and reported, records queued together share a
 * transaction and one bad record fails alone, a full queue refuses at once,
 * and freeing the writer stores what is still queued.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "store/token_writer.h"
#include "store_fixture.h"

#define THREADS 4
#define PER_THREAD 250

/* One pushed record and what became of it. */
struct item {
	struct lk_token_write w; /* first: done gets &w */
	char jti[24];
	atomic_int calls;      /* how many times done ran (must end at 1) */
	pthread_t done_thread; /* the thread done ran on */
	struct gate *gate;     /* when set, done waits for it to open */
};

/* A door done can wait at, so that a test holds the writer's thread still. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool reached; /* done is waiting */
	bool open;
};

static struct gate *gate_new(void)
{
	struct gate *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	return g;
}

static void gate_free(struct gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* Waits until done is held at the gate. */
static void gate_wait_reached(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->reached)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->open = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static void done(struct lk_token_write *w)
{
	struct item *it = (struct item *)(void *)w;

	it->done_thread = pthread_self();
	if (it->gate) {
		pthread_mutex_lock(&it->gate->lock);
		it->gate->reached = true;
		pthread_cond_broadcast(&it->gate->cond);
		while (!it->gate->open)
			pthread_cond_wait(&it->gate->cond, &it->gate->lock);
		pthread_mutex_unlock(&it->gate->lock);
	}
	atomic_fetch_add(&it->calls, 1);
}

static int setup(void **state)
{
	struct lk_app a;
	int rc = fx_setup(state, "token_writer", true);

	a = fx_app("app-1", "One");
	assert_int_equal(lk_store_app_insert(fx_db(state), &a), LK_OK);
	return rc;
}

/* Item v: a valid token of app-1 whose hash is fx_hash_of(v). */
static void item_init(struct item *it, int v, const char *client_id)
{
	memset(it, 0, sizeof(*it));
	snprintf(it->jti, sizeof(it->jti), "jti-%d", v);
	it->w.rec = (struct lk_token_record){
		.jti = it->jti,
		.client_id = (char *)client_id,
		.subject = (char *)"app-1",
		.scope = (char *)"api",
		.issued_at = 100,
		.expires_at = 4000000000,
	};
	fx_hash_of(it->w.rec.hash, v);
	it->w.result = LK_EINTERNAL; /* must be overwritten */
	it->w.done = done;
}

static bool stored(struct lk_store *s, int v)
{
	struct lk_token_record t = {0};
	uint8_t h[LK_SHA256_LEN];
	enum lk_err err;

	fx_hash_of(h, v);
	err = lk_store_token_get(s, h, &t);
	lk_token_record_release(&t);
	return err == LK_OK;
}

static struct lk_token_writer *writer(void **state, size_t cap)
{
	struct fx *f = *state;
	struct lk_token_writer *tw = NULL;

	assert_int_equal(lk_token_writer_new(f->url, cap, &tw), LK_OK);
	return tw;
}

/* Waits (up to 10 s) until every item's done has run. */
static void wait_done(struct item *items, int n)
{
	const struct timespec ms = {.tv_nsec = 1000000};

	for (int spins = 0; spins < 10000; spins++) {
		int left = 0;

		for (int i = 0; i < n; i++)
			left += atomic_load(&items[i].calls) == 0;
		if (!left)
			return;
		nanosleep(&ms, NULL);
	}
	fail_msg("done was not called for every record");
}

static void test_arguments(void **state)
{
	struct fx *f = *state;
	struct lk_token_writer *tw = NULL;

	assert_int_equal(lk_token_writer_new(NULL, 4, &tw), LK_EINVAL);
	assert_int_equal(lk_token_writer_new(f->url, 0, &tw), LK_EINVAL);
	assert_int_equal(lk_token_writer_new(f->url, LK_TOKEN_WRITER_CAP + 1, &tw), LK_EINVAL);
	assert_null(tw);
	lk_token_writer_free(NULL);
}

/*
 * The records queued while the thread was busy go in together, and bad ones
 * fail alone: with db_errors, records the database refuses (which abort a
 * PostgreSQL transaction, so the batch is redone one by one); without,
 * only records refused before the database sees them.
 */
static void batch_with_bad_records(void **state, bool db_errors)
{
	enum { N = 60 };
	struct item *items = calloc(N, sizeof(*items));
	struct gate *g = gate_new();
	struct lk_token_writer *tw = writer(state, 1024);

	assert_non_null(items);
	/* The first record holds the thread in its done until the rest is queued. */
	item_init(&items[0], 0, "app-1");
	items[0].gate = g;
	lk_token_writer_push(tw, &items[0].w);
	gate_wait_reached(g);
	for (int i = 1; i < N; i++)
		item_init(&items[i], i, "app-1");
	if (db_errors) {
		items[10].w.rec.client_id = (char *)"no-such-app";
		fx_hash_of(items[20].w.rec.hash, 0); /* a duplicate of the first */
	}
	items[30].w.rec.jti = (char *)""; /* refused before the database */
	items[40].w.rec.subject = NULL;
	for (int i = 1; i < N; i++)
		lk_token_writer_push(tw, &items[i].w);
	gate_open(g);
	wait_done(items, N);
	for (int i = 0; i < N; i++) {
		enum lk_err want = LK_OK;

		if (i == 10 && db_errors)
			want = LK_ENOTFOUND;
		else if (i == 20 && db_errors)
			want = LK_EEXIST;
		else if (i == 30 || i == 40)
			want = LK_EINVAL;
		assert_int_equal(items[i].w.result, want);
		assert_int_equal(atomic_load(&items[i].calls), 1);
		assert_true(pthread_equal(items[i].done_thread, items[0].done_thread));
		assert_false(pthread_equal(items[i].done_thread, pthread_self()));
		if (i != 20 || !db_errors)
			assert_int_equal(stored(fx_db(state), i), want == LK_OK);
	}
	lk_token_writer_free(tw);
	gate_free(g);
	free(items);
}

static void test_batch_refused_before_store(void **state)
{
	batch_with_bad_records(state, false);
}

static void test_batch_refused_by_store(void **state)
{
	batch_with_bad_records(state, true);
}

struct pusher {
	struct lk_token_writer *tw;
	struct item *items;
	int base;
};

static void *push_many(void *arg)
{
	struct pusher *p = arg;

	for (int i = 0; i < PER_THREAD; i++)
		lk_token_writer_push(p->tw, &p->items[i].w);
	return NULL;
}

/* Pushes from several threads at once: every record stored, each done once. */
static void test_threads(void **state)
{
	struct item *items = calloc(THREADS * PER_THREAD, sizeof(*items));
	struct lk_token_writer *tw = writer(state, LK_TOKEN_WRITER_CAP);
	pthread_t t[THREADS];
	struct pusher p[THREADS];

	assert_non_null(items);
	for (int i = 0; i < THREADS * PER_THREAD; i++)
		item_init(&items[i], i, "app-1");
	for (int k = 0; k < THREADS; k++) {
		p[k] = (struct pusher){tw, items + k * PER_THREAD, k * PER_THREAD};
		assert_int_equal(pthread_create(&t[k], NULL, push_many, &p[k]), 0);
	}
	for (int k = 0; k < THREADS; k++)
		pthread_join(t[k], NULL);
	wait_done(items, THREADS * PER_THREAD);
	for (int i = 0; i < THREADS * PER_THREAD; i++) {
		assert_int_equal(items[i].w.result, LK_OK);
		assert_int_equal(atomic_load(&items[i].calls), 1);
		assert_true(stored(fx_db(state), i));
	}
	lk_token_writer_free(tw);
	free(items);
}

/* Past the queue's capacity a push is refused at once, on the pushing thread. */
static void test_full_queue(void **state)
{
	struct item items[4];
	struct gate *g = gate_new();
	struct lk_token_writer *tw = writer(state, 2);

	for (int i = 0; i < 4; i++)
		item_init(&items[i], i, "app-1");
	items[0].gate = g;
	lk_token_writer_push(tw, &items[0].w);
	gate_wait_reached(g);
	/* The thread is held: two fit in the queue, the third does not. */
	lk_token_writer_push(tw, &items[1].w);
	lk_token_writer_push(tw, &items[2].w);
	lk_token_writer_push(tw, &items[3].w);
	assert_int_equal(atomic_load(&items[3].calls), 1);
	assert_int_equal(items[3].w.result, LK_EBUSY);
	assert_true(pthread_equal(items[3].done_thread, pthread_self()));
	assert_int_equal(atomic_load(&items[1].calls), 0);
	gate_open(g);
	wait_done(items, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(items[i].w.result, LK_OK);
	assert_false(stored(fx_db(state), 3));
	lk_token_writer_free(tw);
	gate_free(g);
}

/* Freeing the writer stores everything still queued before it returns. */
static void test_free_drains(void **state)
{
	enum { N = 300 };
	struct item *items = calloc(N, sizeof(*items));
	struct lk_token_writer *tw = writer(state, LK_TOKEN_WRITER_CAP);

	assert_non_null(items);
	for (int i = 0; i < N; i++) {
		item_init(&items[i], i, "app-1");
		lk_token_writer_push(tw, &items[i].w);
	}
	lk_token_writer_free(tw);
	for (int i = 0; i < N; i++) {
		assert_int_equal(atomic_load(&items[i].calls), 1);
		assert_int_equal(items[i].w.result, LK_OK);
		assert_true(stored(fx_db(state), i));
	}
	free(items);
}

/* A database that cannot be opened fails each record, and nothing hangs. */
static void test_unreachable_database(void **state)
{
	struct item it;
	struct lk_token_writer *tw = NULL;

	(void)state;
	assert_int_equal(lk_token_writer_new("sqlite:/nonexistent-dir/x/y.db", 4, &tw), LK_OK);
	item_init(&it, 1, "app-1");
	lk_token_writer_push(tw, &it.w);
	wait_done(&it, 1);
	assert_int_not_equal(it.w.result, LK_OK);
	lk_token_writer_free(tw);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_arguments),
		T(test_batch_refused_before_store),
		T(test_batch_refused_by_store),
		T(test_threads),
		T(test_full_queue),
		T(test_free_drains),
		T(test_unreachable_database),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
