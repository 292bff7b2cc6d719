/*
 * Secret handling: constant-time comparison, zeroing, randomness, hashing and
 * the type-prefixed random tokens that latchkey hands out.
 */
#ifndef LK_CORE_SECURE_H
#define LK_CORE_SECURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/*
 * Token type prefixes, so that secret scanners can recognise leaked values.
 * X(enum name, prefix).
 */
#define LK_TOKEN_KIND_LIST(X)                                                                      \
	X(LK_TOKEN_ACCESS, "lk_at_")                                                               \
	X(LK_TOKEN_REFRESH, "lk_rt_")                                                              \
	X(LK_TOKEN_CODE, "lk_ac_")                                                                 \
	X(LK_TOKEN_CLIENT_SECRET, "lk_cs_")                                                        \
	X(LK_TOKEN_SESSION, "lk_ss_")                                                              \
	X(LK_TOKEN_REGISTRATION, "lk_rat_")                                                        \
	X(LK_TOKEN_CSRF, "lk_csrf_")

enum lk_token_kind {
#define LK_TOKEN_ENUM(name, prefix) name,
	LK_TOKEN_KIND_LIST(LK_TOKEN_ENUM)
#undef LK_TOKEN_ENUM
		LK_TOKEN__COUNT
};

/* Random bytes in a token: 256 bits. */
#define LK_TOKEN_RANDOM_BYTES 32
/* base64url of 32 bytes without padding is 43 characters. */
#define LK_TOKEN_B64_LEN 43
/* Room for the longest prefix, the random part and the NUL. */
#define LK_TOKEN_MAX 64
/* A SHA-256 digest. */
#define LK_SHA256_LEN 32

/* Constant-time equality of two byte strings; lengths may differ. */
bool lk_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Zeroes memory in a way the compiler may not remove. NULL is a no-op. */
void lk_wipe(void *p, size_t n);

/* Zeroes a NUL-terminated string, then frees it. NULL is a no-op. */
void lk_free_secret(char *s);

/* Fills out with n cryptographically secure random bytes. */
enum lk_err lk_random_bytes(void *out, size_t n);

/*
 * base64url without padding (RFC 4648 §5) of n bytes into out, which must hold
 * at least 4 * ceil(n / 3) + 1 bytes. Returns the length written.
 */
size_t lk_b64url_encode(const void *in, size_t n, char *out);

/*
 * Writes nbytes random bytes as base64url (no padding) and a NUL into out
 * (outlen bytes): an identifier such as a jti, a grant or session id, or a
 * browser cookie. LK_ETOOBIG when out cannot hold 4 * ceil(nbytes / 3) + 1
 * bytes or nbytes is over 64; LK_ECRYPTO when no randomness is available.
 */
enum lk_err lk_random_id(char *out, size_t outlen, size_t nbytes);

/* The prefix of a token kind ("lk_at_"). */
const char *lk_token_prefix(enum lk_token_kind kind);

/*
 * Writes a new token of the given kind into out (LK_TOKEN_MAX bytes):
 * its prefix followed by base64url of 256 random bits.
 */
enum lk_err lk_token_new(enum lk_token_kind kind, char out[LK_TOKEN_MAX]);

/* True when s starts with the prefix of kind. */
bool lk_token_has_kind(const char *s, enum lk_token_kind kind);

/* SHA-256 of n bytes into out. */
void lk_sha256(const void *in, size_t n, uint8_t out[LK_SHA256_LEN]);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
/* HMAC-SHA256 (RFC 2104) of n bytes of msg under key. LK_ECRYPTO on failure. */
enum lk_err lk_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n,
			   uint8_t out[LK_SHA256_LEN]);

void lk_hex(const uint8_t *in, size_t n, char *out);

#endif
