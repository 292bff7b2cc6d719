/*
 * Proof Key for Code Exchange (RFC 7636) with the S256 method only: "plain"
 * gives no protection against an attacker who reads the authorization
 * request, so it is refused (RFC 9700 §2.1.1).
 */
#ifndef LK_OAUTH_PKCE_H
#define LK_OAUTH_PKCE_H

#include <stdbool.h>

/* An S256 challenge is the base64url SHA-256 of the verifier: 43 characters. */
#define LK_PKCE_CHALLENGE_LEN 43
/* RFC 7636 §4.1: a verifier is 43 to 128 unreserved characters. */
#define LK_PKCE_VERIFIER_MIN 43
#define LK_PKCE_VERIFIER_MAX 128

/* Whether s has the form of an S256 challenge (43 base64url characters). */
bool lk_pkce_challenge_ok(const char *s);

/* Whether s has the form of a verifier (RFC 7636 §4.1). */
bool lk_pkce_verifier_ok(const char *s);

/*
 * Whether verifier is well-formed and BASE64URL(SHA256(verifier)) equals
 * challenge, compared in constant time (RFC 7636 §4.6).
 */
bool lk_pkce_verify(const char *verifier, const char *challenge);

#endif
