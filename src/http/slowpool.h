/*
 * The slow-work pool: a few threads that run jobs the event loops must not
 * (password hashing, outbound HTTP). The queue is bounded, and a place in it
 * is reserved before the job exists, so a handler learns at once (LK_EBUSY)
 * that the server is saturated and can answer 503 itself.
 */
#ifndef LK_HTTP_SLOWPOOL_H
#define LK_HTTP_SLOWPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct lk_slowpool;

/*
 * One job. run is called once on a pool thread; cancelled is true when the
 * pool was being shut down before the job started, and the job must then
 * finish quickly without doing its work. The job's memory belongs to the
 * caller and must stay valid until run has returned.
 */
struct lk_slow_job {
	void (*run)(struct lk_slow_job *job, bool cancelled);
	struct lk_slow_job *next;
};

/*
 * Starts threads workers with a queue of at most cap jobs. *out is written
 * only on success; LK_ENOMEM or LK_EINTERNAL (thread creation failed).
 */
enum lk_err lk_slowpool_new(int threads, size_t cap, struct lk_slowpool **out);

/*
 * Reserves a place in the queue. LK_EBUSY when the queue is full or the pool
 * is shutting down. Every reservation is later used by exactly one
 * lk_slowpool_push or given back with lk_slowpool_unreserve.
 */
enum lk_err lk_slowpool_reserve(struct lk_slowpool *p);

/* Gives back a reservation that will not be used. */
void lk_slowpool_unreserve(struct lk_slowpool *p);

/* Queues a job in a place reserved before; never fails. */
void lk_slowpool_push(struct lk_slowpool *p, struct lk_slow_job *job);

/*
 * Refuses new reservations, runs every job still queued or reserved with
 * cancelled set, waits for the running ones and joins the threads. Jobs
 * already running are waited for without a time limit, since their memory
 * cannot be taken from under them.
 */
void lk_slowpool_shutdown(struct lk_slowpool *p);

/* Shuts down if not done yet and frees the pool. NULL is a no-op. */
void lk_slowpool_free(struct lk_slowpool *p);

#endif
