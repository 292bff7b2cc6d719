/*
 * The set of verified token digests (jose/verified.h): direct-mapped slots,
 * guarded by a few mutexes striped over them so the worker threads rarely
 * meet. The slot array is allocated on the first add, so a keyring that
 * never verifies a token costs nothing.
 */
#include "jose/verified.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct slot {
	bool used;
	uint8_t digest[LK_SHA256_LEN];
};

struct lk_verified {
	pthread_mutex_t locks[LK_VERIFIED_STRIPES];
	struct slot *slots; /* LK_VERIFIED_SLOTS, or NULL until the first add */
};

struct lk_verified *lk_verified_new(void)
{
	struct lk_verified *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < LK_VERIFIED_STRIPES; i++)
		pthread_mutex_init(&v->locks[i], NULL);
	return v;
}

void lk_verified_free(struct lk_verified *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < LK_VERIFIED_STRIPES; i++)
		pthread_mutex_destroy(&v->locks[i]);
	free(v->slots);
	free(v);
}

/* The slot of a digest: its first bytes, which SHA-256 spreads evenly. */
static size_t slot_of(const uint8_t digest[LK_SHA256_LEN])
{
	return ((size_t)digest[0] << 8 | digest[1]) % LK_VERIFIED_SLOTS;
}

/* The slot array once published, or NULL; read atomically, as add publishes it. */
static struct slot *slots_of(struct lk_verified *v)
{
	return __atomic_load_n(&v->slots, __ATOMIC_ACQUIRE);
}

bool lk_verified_has(struct lk_verified *v, const uint8_t digest[LK_SHA256_LEN])
{
	size_t i = slot_of(digest);
	pthread_mutex_t *lock;
	struct slot *slots;
	bool found = false;

	if (!v || !(slots = slots_of(v)))
		return false;
	lock = &v->locks[i % LK_VERIFIED_STRIPES];
	pthread_mutex_lock(lock);
	if (slots[i].used)
		found = CRYPTO_memcmp(slots[i].digest, digest, LK_SHA256_LEN) == 0;
	pthread_mutex_unlock(lock);
	return found;
}

void lk_verified_add(struct lk_verified *v, const uint8_t digest[LK_SHA256_LEN])
{
	size_t i = slot_of(digest);
	pthread_mutex_t *lock;
	struct slot *slots, *fresh, *none = NULL;

	if (!v)
		return;
	slots = slots_of(v);
	if (!slots) {
		/* Two threads may race to publish; the loser frees its copy. */
		fresh = calloc(LK_VERIFIED_SLOTS, sizeof(*fresh));
		if (!fresh)
			return;
		if (__atomic_compare_exchange_n(&v->slots, &none, fresh, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			slots = fresh;
		} else {
			free(fresh);
			slots = none;
		}
	}
	lock = &v->locks[i % LK_VERIFIED_STRIPES];
	pthread_mutex_lock(lock);
	slots[i].used = true;
	memcpy(slots[i].digest, digest, LK_SHA256_LEN);
	pthread_mutex_unlock(lock);
}
