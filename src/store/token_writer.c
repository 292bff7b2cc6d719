/*
 * The opaque tokens' group commit (store/token_writer.h): a FIFO under a
 * mutex, and one thread that takes everything queued, stores it in one
 * transaction and then calls each record's done.
 */
#include "store/token_writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/secure.h"

struct lk_token_writer {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* signalled when the queue stops being empty, and at stop */
	struct lk_token_write *head, *tail;
	size_t n, cap;
	bool stopping;
	pthread_t thread;
	char *url;
	struct lk_store *store; /* the thread's own; opened on first use */
	/* Counted by take: what the thread stored, said in the log at the end. */
	unsigned long long records, batches;
};

/*
 * The errors lk_store_token_insert gives before the database sees the
 * record: they leave a transaction as it was.
 */
static bool refused_before_store(enum lk_err err)
{
	return err == LK_EINVAL || err == LK_ETOOBIG;
}

static void finish(struct lk_token_write *batch)
{
	while (batch) {
		struct lk_token_write *next = batch->next;

		batch->next = NULL;
		batch->done(batch);
		batch = next;
	}
}

static void fail_all(struct lk_token_write *batch, enum lk_err err)
{
	for (struct lk_token_write *w = batch; w; w = w->next)
		w->result = err;
}

/* Each record in a transaction of its own: the slow path after a failure. */
static void store_each(struct lk_store *s, struct lk_token_write *batch)
{
	for (struct lk_token_write *w = batch; w; w = w->next)
		w->result = lk_store_token_insert(s, &w->rec);
}

/*
 * The whole batch in one transaction. When any record fails in the database
 * (on PostgreSQL that aborts the transaction) or the commit fails, the
 * transaction is rolled back and each record is tried alone, so that one
 * bad record costs the others only time.
 */
static void store_batch(struct lk_store *s, struct lk_token_write *batch)
{
	enum lk_err err;
	bool failed = false;

	if (!batch->next) {
		batch->result = lk_store_token_insert(s, &batch->rec);
		return;
	}
	err = lk_store_begin(s);
	if (err) {
		lk_error("token writer: cannot begin a transaction: %s", lk_err_str(err));
		fail_all(batch, err);
		return;
	}
	for (struct lk_token_write *w = batch; w && !failed; w = w->next) {
		w->result = lk_store_token_insert(s, &w->rec);
		failed = w->result && !refused_before_store(w->result);
	}
	err = failed ? LK_ESTORE : lk_store_commit(s);
	if (!err)
		return;
	lk_store_rollback(s);
	if (!failed)
		lk_warn("token writer: commit failed (%s); storing one by one", lk_err_str(err));
	store_each(s, batch);
}

/* Takes up to LK_TOKEN_WRITER_BATCH records off the queue; lock held. */
static struct lk_token_write *take(struct lk_token_writer *tw)
{
	struct lk_token_write *batch = tw->head, *last = tw->head;
	size_t n = 1;

	while (last->next && n < LK_TOKEN_WRITER_BATCH) {
		last = last->next;
		n++;
	}
	tw->head = last->next;
	if (!tw->head)
		tw->tail = NULL;
	last->next = NULL;
	tw->n -= n;
	tw->records += n;
	tw->batches++;
	return batch;
}

static void run_batch(struct lk_token_writer *tw, struct lk_token_write *batch)
{
	enum lk_err err = LK_OK;

	if (!tw->store) {
		err = lk_store_open(tw->url, &tw->store);
		if (err)
			lk_error("token writer: cannot open the database: %s", lk_err_str(err));
	}
	if (err)
		fail_all(batch, err);
	else
		store_batch(tw->store, batch);
	finish(batch);
}

static void *writer_main(void *arg)
{
	struct lk_token_writer *tw = arg;

	pthread_mutex_lock(&tw->lock);
	for (;;) {
		struct lk_token_write *batch;

		while (!tw->head && !tw->stopping)
			pthread_cond_wait(&tw->wake, &tw->lock);
		if (!tw->head)
			break;
		batch = take(tw);
		pthread_mutex_unlock(&tw->lock);
		run_batch(tw, batch);
		pthread_mutex_lock(&tw->lock);
	}
	pthread_mutex_unlock(&tw->lock);
	return NULL;
}

enum lk_err lk_token_writer_new(const char *url, size_t cap, struct lk_token_writer **out)
{
	struct lk_token_writer *tw;

	if (!url || !out || cap < 1 || cap > LK_TOKEN_WRITER_CAP)
		return LK_EINVAL;
	tw = calloc(1, sizeof(*tw));
	if (!tw)
		return LK_ENOMEM;
	tw->cap = cap;
	tw->url = strdup(url);
	if (!tw->url) {
		free(tw);
		return LK_ENOMEM;
	}
	pthread_mutex_init(&tw->lock, NULL);
	pthread_cond_init(&tw->wake, NULL);
	if (pthread_create(&tw->thread, NULL, writer_main, tw) != 0) {
		pthread_cond_destroy(&tw->wake);
		pthread_mutex_destroy(&tw->lock);
		free(tw->url);
		free(tw);
		return LK_EINTERNAL;
	}
	*out = tw;
	return LK_OK;
}

void lk_token_writer_push(struct lk_token_writer *tw, struct lk_token_write *w)
{
	enum lk_err err = LK_OK;

	w->next = NULL;
	pthread_mutex_lock(&tw->lock);
	if (tw->stopping)
		err = LK_ESTATE;
	else if (tw->n >= tw->cap)
		err = LK_EBUSY;
	if (!err) {
		/* The thread sleeps only on an empty queue: wake it only then. */
		if (tw->tail) {
			tw->tail->next = w;
		} else {
			tw->head = w;
			pthread_cond_signal(&tw->wake);
		}
		tw->tail = w;
		tw->n++;
	}
	pthread_mutex_unlock(&tw->lock);
	if (err) {
		w->result = err;
		w->done(w);
	}
}

void lk_token_writer_free(struct lk_token_writer *tw)
{
	if (!tw)
		return;
	pthread_mutex_lock(&tw->lock);
	tw->stopping = true;
	pthread_cond_signal(&tw->wake);
	pthread_mutex_unlock(&tw->lock);
	pthread_join(tw->thread, NULL);
	if (tw->batches)
		lk_info("token writer: %llu tokens in %llu transactions", tw->records, tw->batches);
	lk_store_close(tw->store);
	pthread_cond_destroy(&tw->wake);
	pthread_mutex_destroy(&tw->lock);
	lk_free_secret(tw->url); /* a PostgreSQL URL may carry a password */
	free(tw);
}
