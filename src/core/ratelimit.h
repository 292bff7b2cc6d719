/*
 * Rate limits: a token bucket per key (a client address, a client_id) in a
 * table of fixed size that every event loop uses at once. A check is one
 * keyed hash and a short critical section under one of 16 locks; it never
 * allocates.
 *
 * Each bucket holds at most burst requests and refills at rate_per_s. It is
 * kept as the time at which it will be full again (the "theoretical arrival
 * time" of the generic cell rate algorithm), so an entry is 16 bytes and a
 * bucket that is full carries no information at all.
 *
 * Memory never grows. Keys are hashed with SipHash-2-4 under a random key
 * chosen at creation, so nobody outside can aim keys at one place in the
 * table. Each key may live in one of 8 slots of its set; when all 8 are taken
 * a new key replaces, first, a bucket that is full again (forgetting it
 * changes nothing), otherwise the bucket nearest to full (forgetting it
 * forgives the least). A flood of new keys therefore mostly replaces its own
 * entries, each one request deep, while the keys that are actually being
 * held back are the last to go; a key that is forgotten starts again with a
 * full bucket, no more than a new address would get.
 */
#ifndef LK_CORE_RATELIMIT_H
#define LK_CORE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The number of locks a table is split among. */
#define LK_RATELIMIT_SHARDS 16
/* The slots one key may occupy. */
#define LK_RATELIMIT_WAYS 8

struct lk_ratelimit;

/*
 * Creates a limiter allowing rate_per_s requests per second per key with
 * bursts of up to burst requests (at least 1), in a table of at least slots
 * entries (rounded up to a power of two, at least LK_RATELIMIT_SHARDS *
 * LK_RATELIMIT_WAYS). A rate of 0 means no limit: nothing is allocated but
 * the handle, and lk_ratelimit_take always allows. *out is written only on
 * success and freed with lk_ratelimit_free. LK_EINVAL for a burst of 0 with
 * a non-zero rate, or slots past 2^26; LK_ENOMEM; LK_ECRYPTO when no random
 * hash key can be had; LK_EINTERNAL when a lock cannot be made.
 */
enum lk_err lk_ratelimit_new(uint32_t rate_per_s, uint32_t burst, size_t slots,
			     struct lk_ratelimit **out);

/* Frees the limiter; no other thread may be using it. NULL is a no-op. */
void lk_ratelimit_free(struct lk_ratelimit *rl);

/*
 * Takes one request from the bucket of key (len bytes, any content) at
 * now_ms, a monotonic time in milliseconds (lk_monotonic_ms, or any clock a
 * test drives; it may stand still or step back). true when the request is
 * allowed. false when the bucket is empty; *retry_after_s (may be NULL) then
 * receives the whole seconds, at least 1, until one request will be allowed
 * again, and nothing is taken. Thread-safe. A NULL limiter, or one of rate 0,
 * always allows.
 */
bool lk_ratelimit_take(struct lk_ratelimit *rl, const void *key, size_t len, int64_t now_ms,
		       int64_t *retry_after_s);

/*
 * The number of slots of the table, 0 for a rate of 0. Each takes 16 bytes
 * of address space, and of memory once a key has landed near it.
 */
size_t lk_ratelimit_slots(const struct lk_ratelimit *rl);

/*
 * The number of keys whose bucket is not full at now_ms, which is at most
 * lk_ratelimit_slots. Takes every lock in turn; for tests and diagnostics.
 */
size_t lk_ratelimit_tracked(struct lk_ratelimit *rl, int64_t now_ms);

#endif
