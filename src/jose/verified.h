/*
 * The tokens a keyring has already verified: a fixed-size set of SHA-256
 * digests of whole JWTs (header, payload and signature) whose signature
 * checked out under one of the keyring's keys. A resource server asks about
 * the same access token many times; with the digest found, introspection and
 * /oauth2/check skip the signature check (an ECDSA verification costs about
 * 50 µs, a SHA-256 of a token about 1 µs) and only decode the payload. Every
 * other check (exp, revocation, the application and user still enabled)
 * runs each time as before.
 *
 * The set belongs to one keyring snapshot: a new snapshot (keys rotated,
 * added or retired) starts empty, so a token is never accepted on the
 * strength of a key that is gone. Entries are indexed by the digest and a
 * newer one replaces an older one in its slot; memory is fixed
 * (LK_VERIFIED_SLOTS digests, allocated on first use).
 */
#ifndef LK_JOSE_VERIFIED_H
#define LK_JOSE_VERIFIED_H

#include <stdbool.h>
#include <stdint.h>

#include "core/secure.h"

#define LK_VERIFIED_SLOTS 4096
#define LK_VERIFIED_STRIPES 16

struct lk_verified;

/* An empty set; NULL when out of memory (the keyring then works without one). */
struct lk_verified *lk_verified_new(void);
void lk_verified_free(struct lk_verified *v);

/* Whether digest was added (constant-time comparison). NULL v: false. */
bool lk_verified_has(struct lk_verified *v, const uint8_t digest[LK_SHA256_LEN]);

/* Records digest as verified. NULL v: no-op. */
void lk_verified_add(struct lk_verified *v, const uint8_t digest[LK_SHA256_LEN]);

#endif
