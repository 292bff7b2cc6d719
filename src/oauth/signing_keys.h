/*
 * The life of signing keys over the store: creating the first ones, rotating
 * (publish first, sign later, keep publishing until the last token signed by
 * the old key has expired), automatic rotation and clean-up. Every change runs
 * in one transaction and bumps the change counter, so every running instance
 * picks it up within a second.
 */
#ifndef LK_OAUTH_SIGNING_KEYS_H
#define LK_OAUTH_SIGNING_KEYS_H

#include <stdint.h>

#include "config/config.h"
#include "core/err.h"
#include "jose/keyring.h"
#include "store/store.h"

/*
 * How long after a key stops signing its public key must stay published:
 * the longest lifetime of a token it may have signed, plus clock skew.
 */
int64_t lk_signing_keys_retention(const struct lk_config *cfg);

/*
 * Makes sure each algorithm of [keys] signing_algs has a key that is active or
 * about to be, creating one that is active at once where it is missing. The
 * check and the insert share one transaction, so instances starting together
 * create one key, not two. *created (may be NULL) counts new keys.
 */
enum lk_err lk_signing_keys_ensure(struct lk_store *s, const struct lk_master_key *mk,
				   const struct lk_config *cfg, int64_t now, int *created);

/*
 * Rotates the key of alg: a new key is published at once and starts signing
 * after [keys] publish_delay, or at once when immediate. The keys it replaces
 * retire when it activates and stay published for lk_signing_keys_retention.
 * new_kid (may be NULL, 64 bytes) receives the new key's id.
 */
enum lk_err lk_signing_keys_rotate(struct lk_store *s, const struct lk_master_key *mk,
				   const struct lk_config *cfg, const char *alg, bool immediate,
				   int64_t now, char *new_kid);

/*
 * [keys] rotate_every: rotates each signing algorithm whose current key has
 * been active that many days and has no successor yet. *rotated (may be NULL)
 * counts rotations.
 */
enum lk_err lk_signing_keys_auto_rotate(struct lk_store *s, const struct lk_master_key *mk,
					const struct lk_config *cfg, int64_t now, int *rotated);

/*
 * Reads every key row and builds a keyring snapshot at now (see
 * lk_keyring_build). LK_EKEY when the master key does not open the keys.
 */
enum lk_err lk_signing_keys_load(struct lk_store *s, const struct lk_master_key *mk, int64_t now,
				 struct lk_keyring **out);

#endif
