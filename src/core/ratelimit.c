#include "core/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/secure.h"

#define NS_PER_S 1000000000LL
#define NS_PER_MS 1000000LL
/* The largest rate whose interval is still at least one nanosecond. */
#define RATE_MAX 1000000000u
#define SLOTS_MAX ((size_t)1 << 26)
/*
 * now_ms is clamped to about 73 years of milliseconds, so that a time in
 * nanoseconds plus the longest tolerance (2^32 intervals of at most a second)
 * stays far from the int64_t limit.
 */
#define NOW_MS_MAX (((int64_t)1 << 61) / NS_PER_MS)
#define CACHE_LINE 64

/*
 * One key's bucket: tag is the key's hash (0 = an empty slot), full_at the
 * time in nanoseconds at which the bucket is full again. Each request moves
 * full_at one interval later; a request is refused when that would put it
 * more than the tolerance (burst intervals) ahead of now.
 */
struct entry {
	uint64_t tag;
	int64_t full_at;
};

/* A lock on its own cache line, so that two event loops do not share one. */
struct shard {
	_Alignas(CACHE_LINE) pthread_mutex_t lock;
};

struct lk_ratelimit {
	int64_t interval_ns;   /* nanoseconds per request; 0 = no limit */
	int64_t tolerance_ns;  /* burst * interval_ns */
	uint64_t k0, k1;       /* the SipHash key */
	size_t nsets;	       /* a power of two, at least LK_RATELIMIT_SHARDS */
	struct entry *entries; /* nsets * LK_RATELIMIT_WAYS; set s guarded by shard s % SHARDS */
	void *table;	       /* the allocation entries lies in, aligned to a cache line */
	struct shard shards[LK_RATELIMIT_SHARDS];
};

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = rotl(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = rotl(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = rotl(v2, 32);                                                                 \
	} while (0)

/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012) of len bytes under the key
 * (k0, k1): a keyed hash fast on short inputs, so that where a key lands in
 * the table cannot be predicted without the key.
 */
static uint64_t siphash24(uint64_t k0, uint64_t k1, const unsigned char *in, size_t len)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t m, last = (uint64_t)len << 56;
	size_t i, whole = len - len % 8;

	for (i = 0; i < whole; i += 8) {
		m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < len % 8; i++)
		last |= (uint64_t)in[whole + i] << (8 * i);
	v3 ^= last;
	SIPROUND;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The number of sets holding at least slots entries: a power of two, >= SHARDS. */
static size_t sets_for(size_t slots)
{
	size_t n = LK_RATELIMIT_SHARDS;

	while (n * LK_RATELIMIT_WAYS < slots)
		n *= 2;
	return n;
}

enum lk_err lk_ratelimit_new(uint32_t rate_per_s, uint32_t burst, size_t slots,
			     struct lk_ratelimit **out)
{
	struct lk_ratelimit *rl = NULL;
	unsigned char key[16];
	size_t i, n = 0, bytes;
	enum lk_err err = LK_OK;

	if (rate_per_s > RATE_MAX || slots > SLOTS_MAX || (rate_per_s > 0 && burst == 0))
		return LK_EINVAL;
	rl = aligned_alloc(CACHE_LINE, sizeof(*rl));
	if (!rl)
		return LK_ENOMEM;
	memset(rl, 0, sizeof(*rl));
	if (rate_per_s == 0)
		goto out;
	rl->interval_ns = NS_PER_S / rate_per_s;
	rl->tolerance_ns = (int64_t)burst * rl->interval_ns;
	rl->nsets = sets_for(slots);
	/*
	 * calloc, not aligned_alloc and memset: a large calloc gets pages the
	 * system has zeroed, which take no memory until a key lands in them.
	 */
	bytes = rl->nsets * LK_RATELIMIT_WAYS * sizeof(struct entry);
	rl->table = calloc(1, bytes + CACHE_LINE);
	if (!rl->table) {
		err = LK_ENOMEM;
		goto out;
	}
	rl->entries = (struct entry *)(void *)(((uintptr_t)rl->table + CACHE_LINE - 1) &
					       ~(uintptr_t)(CACHE_LINE - 1));
	err = lk_random_bytes(key, sizeof(key));
	if (err)
		goto out;
	rl->k0 = le64(key);
	rl->k1 = le64(key + 8);
	lk_wipe(key, sizeof(key));
	for (n = 0; n < LK_RATELIMIT_SHARDS; n++) {
		if (pthread_mutex_init(&rl->shards[n].lock, NULL) != 0) {
			err = LK_EINTERNAL;
			goto out;
		}
	}
out:
	if (err) {
		for (i = 0; i < n; i++)
			pthread_mutex_destroy(&rl->shards[i].lock);
		free(rl->table);
		free(rl);
		return err;
	}
	*out = rl;
	return LK_OK;
}

void lk_ratelimit_free(struct lk_ratelimit *rl)
{
	size_t i;

	if (!rl)
		return;
	if (rl->interval_ns > 0) {
		for (i = 0; i < LK_RATELIMIT_SHARDS; i++)
			pthread_mutex_destroy(&rl->shards[i].lock);
	}
	free(rl->table);
	free(rl);
}

bool lk_ratelimit_take(struct lk_ratelimit *rl, const void *key, size_t len, int64_t now_ms,
		       int64_t *retry_after_s)
{
	struct entry *set, *hit = NULL, *victim;
	uint64_t h;
	int64_t now, next, wait = 0;
	size_t s, i;

	if (!rl || rl->interval_ns == 0)
		return true;
	if (now_ms < 0)
		now_ms = 0;
	if (now_ms > NOW_MS_MAX)
		now_ms = NOW_MS_MAX;
	now = now_ms * NS_PER_MS;
	/* Hashing happens outside the lock; 0 marks an empty slot, so no key hashes to it. */
	h = siphash24(rl->k0, rl->k1, key, len);
	if (h == 0)
		h = 1;
	s = (size_t)h & (rl->nsets - 1);
	set = rl->entries + s * LK_RATELIMIT_WAYS;
	victim = set;

	pthread_mutex_lock(&rl->shards[s % LK_RATELIMIT_SHARDS].lock);
	/*
	 * The slot with the earliest full_at is an empty one, or a full bucket,
	 * or else the bucket nearest to full: the one whose loss forgives least.
	 */
	for (i = 0; i < LK_RATELIMIT_WAYS; i++) {
		if (set[i].tag == h)
			hit = &set[i];
		if (set[i].full_at < victim->full_at)
			victim = &set[i];
	}
	if (!hit) {
		hit = victim;
		hit->tag = h;
		hit->full_at = 0;
	}
	next = (hit->full_at > now ? hit->full_at : now) + rl->interval_ns;
	if (next - now > rl->tolerance_ns)
		wait = next - now - rl->tolerance_ns;
	else
		hit->full_at = next;
	pthread_mutex_unlock(&rl->shards[s % LK_RATELIMIT_SHARDS].lock);

	if (wait == 0)
		return true;
	if (retry_after_s)
		*retry_after_s = (wait + NS_PER_S - 1) / NS_PER_S;
	return false;
}

size_t lk_ratelimit_slots(const struct lk_ratelimit *rl)
{
	return rl ? rl->nsets * LK_RATELIMIT_WAYS : 0;
}

size_t lk_ratelimit_tracked(struct lk_ratelimit *rl, int64_t now_ms)
{
	size_t s, i, n = 0;
	int64_t now;

	if (!rl || rl->interval_ns == 0)
		return 0;
	now = (now_ms < 0 ? 0 : now_ms > NOW_MS_MAX ? NOW_MS_MAX : now_ms) * NS_PER_MS;
	for (s = 0; s < rl->nsets; s++) {
		struct entry *set = rl->entries + s * LK_RATELIMIT_WAYS;

		pthread_mutex_lock(&rl->shards[s % LK_RATELIMIT_SHARDS].lock);
		for (i = 0; i < LK_RATELIMIT_WAYS; i++)
			n += set[i].tag != 0 && set[i].full_at > now;
		pthread_mutex_unlock(&rl->shards[s % LK_RATELIMIT_SHARDS].lock);
	}
	return n;
}
