/*
 * The bounded in-memory queue of audit events (store/audit_queue.h). Pushes
 * append under a mutex; a flush swaps the whole array out under the mutex
 * and writes it without holding it, so the token endpoint never waits for
 * the database.
 */
#include "store/audit_queue.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

struct lk_audit_queue {
	pthread_mutex_t lock;
	struct lk_audit *items; /* alloc slots, n used */
	size_t n;
	size_t alloc;
	size_t cap;
	uint64_t dropped; /* since the last flush */
};

enum lk_err lk_audit_queue_new(size_t cap, struct lk_audit_queue **out)
{
	struct lk_audit_queue *q;

	if (!out || cap < 1 || cap > LK_AUDIT_QUEUE_CAP)
		return LK_EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return LK_ENOMEM;
	q->cap = cap;
	pthread_mutex_init(&q->lock, NULL);
	*out = q;
	return LK_OK;
}

static void free_items(struct lk_audit *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		lk_audit_release(&items[i]);
	free(items);
}

void lk_audit_queue_free(struct lk_audit_queue *q)
{
	if (!q)
		return;
	free_items(q->items, q->n);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* Room for one more event: the array grows by doubling up to cap. */
static bool room(struct lk_audit_queue *q)
{
	size_t want;
	struct lk_audit *grown;

	if (q->n < q->alloc)
		return true;
	if (q->alloc >= q->cap)
		return false;
	want = q->alloc ? q->alloc * 2 : 16;
	if (want > q->cap)
		want = q->cap;
	grown = realloc(q->items, want * sizeof(*grown));
	if (!grown)
		return false;
	q->items = grown;
	q->alloc = want;
	return true;
}

/* A cut, cleaned copy of s (NULL: ""). */
static char *field(const char *s)
{
	size_t n = s ? strnlen(s, LK_AUDIT_FIELD_MAX) : 0;
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		d[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	d[n] = '\0';
	return d;
}

void lk_audit_queue_push(struct lk_audit_queue *q, const struct lk_audit *e)
{
	struct lk_audit copy = {0};

	if (!q)
		return;
	copy.at = e->at;
	copy.actor = field(e->actor);
	copy.action = field(e->action);
	copy.object_type = field(e->object_type);
	copy.object_id = field(e->object_id);
	copy.detail = field(e->detail);
	pthread_mutex_lock(&q->lock);
	if (copy.actor && copy.action && copy.object_type && copy.object_id && copy.detail &&
	    room(q)) {
		q->items[q->n++] = copy;
		memset(&copy, 0, sizeof(copy));
	} else {
		q->dropped++;
	}
	pthread_mutex_unlock(&q->lock);
	lk_audit_release(&copy);
}

/* Writes items, then the dropped summary, in one transaction. */
static enum lk_err write_all(struct lk_store *s, const struct lk_audit *items, size_t n,
			     uint64_t dropped, int64_t now)
{
	char detail[64];
	struct lk_audit summary = {
		.at = now,
		.actor = (char *)"latchkey",
		.action = (char *)"audit.dropped",
		.object_type = (char *)"audit",
		.object_id = (char *)"",
		.detail = detail,
	};
	enum lk_err err = lk_store_begin(s);

	for (size_t i = 0; i < n && !err; i++)
		err = lk_store_audit_add(s, &items[i]);
	if (!err && dropped) {
		snprintf(detail, sizeof(detail),
			 "%" PRIu64 " audit event(s) dropped: the queue was full", dropped);
		err = lk_store_audit_add(s, &summary);
	}
	if (!err)
		return lk_store_commit(s);
	lk_store_rollback(s);
	return err;
}

enum lk_err lk_audit_queue_flush(struct lk_audit_queue *q, struct lk_store *s, size_t *written)
{
	struct lk_audit *items;
	size_t n;
	uint64_t dropped;
	enum lk_err err = LK_OK;

	if (written)
		*written = 0;
	if (!q || !s)
		return LK_EINVAL;
	pthread_mutex_lock(&q->lock);
	items = q->items;
	n = q->n;
	dropped = q->dropped;
	q->items = NULL;
	q->n = 0;
	q->alloc = 0;
	q->dropped = 0;
	pthread_mutex_unlock(&q->lock);
	if (n || dropped) {
		err = write_all(s, items, n, dropped, lk_now());
		if (err)
			lk_error("cannot write %zu audit event(s): %s", n, lk_err_str(err));
		else if (written)
			*written = n + (dropped ? 1 : 0);
	}
	free_items(items, n);
	return err;
}
