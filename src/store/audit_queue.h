/*
 * Audit events written later (issue: hardening, item 5): the token
 * endpoint records each token issued or refused without touching the
 * database on its hot path. Events wait in memory, and the server's
 * refresher thread writes them every second in one transaction. The queue
 * is bounded: past its capacity an event is counted instead of kept, and
 * the next write adds one "audit.dropped" entry saying how many were lost,
 * so a flood of refused requests cannot exhaust memory.
 */
#ifndef LK_STORE_AUDIT_QUEUE_H
#define LK_STORE_AUDIT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Events kept between two writes; past this they are counted as dropped. */
#define LK_AUDIT_QUEUE_CAP 8192
/* Each field is cut to this many bytes (the store allows more). */
#define LK_AUDIT_FIELD_MAX 256

struct lk_audit_queue;

/* A queue of at most cap events (1 <= cap <= LK_AUDIT_QUEUE_CAP). */
enum lk_err lk_audit_queue_new(size_t cap, struct lk_audit_queue **out);

/* Frees the queue and what it still holds (write it first). NULL: no-op. */
void lk_audit_queue_free(struct lk_audit_queue *q);

/*
 * Queues a copy of e (its id is ignored). Fields are cut to
 * LK_AUDIT_FIELD_MAX bytes and control characters become '?', so values a
 * client sent (a client_id) cannot forge lines in logs or exports. Takes a
 * lock, never waits for I/O. A NULL q, a full queue or no memory: the event
 * is counted as dropped.
 */
void lk_audit_queue_push(struct lk_audit_queue *q, const struct lk_audit *e);

/*
 * Writes every queued event to s in one transaction, oldest first, then an
 * "audit.dropped" entry when events were dropped since the last write.
 * *written (may be NULL) gets the number of entries written. On a store
 * error the events are lost (logged with their count), never retried
 * forever.
 */
enum lk_err lk_audit_queue_flush(struct lk_audit_queue *q, struct lk_store *s, size_t *written);

#endif
