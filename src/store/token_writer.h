/*
 * Group commit of opaque access tokens. An opaque token must be in the
 * database before its answer leaves, and one transaction per token makes the
 * database's write lock and its per-commit work the limit of the whole
 * server. The writer is one thread with its own connection: requests queue
 * their token records and are suspended (lk_http_hold), and the thread
 * stores everything queued meanwhile in one transaction; each request is
 * answered once the transaction holding its token has committed. Under load
 * a transaction carries as many tokens as requests arrived during the one
 * before, so the cost of a commit is shared; an idle server commits a lone
 * token at once.
 */
#ifndef LK_STORE_TOKEN_WRITER_H
#define LK_STORE_TOKEN_WRITER_H

#include <stddef.h>

#include "store/store.h"

/* Records waiting at most; past this a push is refused (LK_EBUSY). */
#define LK_TOKEN_WRITER_CAP 8192
/* Records one transaction carries at most. */
#define LK_TOKEN_WRITER_BATCH 256

struct lk_token_writer;

/*
 * One record to store. rec and everything it points to belong to the
 * caller and must stay valid until done has been called; result is set just
 * before. done is called exactly once, on the writer's thread, or on the
 * pushing thread when the push is refused; it may free the item.
 */
struct lk_token_write {
	struct lk_token_record rec;
	enum lk_err result; /* as lk_store_token_insert's */
	void (*done)(struct lk_token_write *w);
	void *arg;		     /* the caller's */
	struct lk_token_write *next; /* the writer's */
};

/*
 * A writer storing into the database of url (a connection of its own,
 * opened on first use) and holding at most cap records (1..LK_TOKEN_WRITER_CAP).
 * Starts its thread. LK_EINVAL, LK_ENOMEM, LK_EINTERNAL (no thread).
 */
enum lk_err lk_token_writer_new(const char *url, size_t cap, struct lk_token_writer **out);

/*
 * Queues w. When the queue is full (LK_EBUSY) or the writer is shutting down
 * (LK_ESTATE), done is called at once, on this thread. A record the store
 * refuses (lk_store_token_insert's checks, an unknown application) fails
 * alone: the others of its transaction are stored all the same.
 */
void lk_token_writer_push(struct lk_token_writer *tw, struct lk_token_write *w);

/*
 * Stores what is still queued, stops the thread and frees the writer. NULL
 * is a no-op. Nothing may be pushed from then on.
 */
void lk_token_writer_free(struct lk_token_writer *tw);

#endif
