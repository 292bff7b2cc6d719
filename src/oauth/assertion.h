/*
 * Client assertions (RFC 7523): JWTs an application signs with its
 * certificate's private key, both to authenticate (private_key_jwt, §3) and
 * as an authorization grant (jwt-bearer, §2.1). The signature is checked by
 * jose/jwt_verify.h; this module decides whether the verified claims are
 * acceptable: who issued them, for whom, when, and with which id.
 */
#ifndef LK_OAUTH_ASSERTION_H
#define LK_OAUTH_ASSERTION_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The longest jti accepted: the store remembers it until the assertion expires. */
#define LK_ASSERTION_JTI_MAX 256
/* DESIGN §2: exp at most 10 minutes ahead ... */
#define LK_ASSERTION_MAX_AHEAD 600
/* ... plus this much for clocks that disagree, which also applies to nbf and iat. */
#define LK_ASSERTION_SKEW 60

/* What the claims must say. */
struct lk_assertion_expect {
	const char *client_id;	  /* iss and sub must both equal it */
	const char *endpoint_url; /* an accepted aud: the endpoint being called */
	const char *issuer;	  /* the other accepted aud: this server's issuer */
	int64_t now;
	int64_t cert_not_before; /* the certificate's validity period, checked at now */
	int64_t cert_not_after;
};

/* What an accepted assertion leaves behind: its id and expiry, for the replay record. */
struct lk_assertion {
	char jti[LK_ASSERTION_JTI_MAX + 1];
	int64_t exp;
};

/*
 * Checks the claims of an assertion whose signature was verified (claims is
 * a json_t * object, type-erased): the certificate is within its validity
 * period at now; iss = sub = client_id; aud is the endpoint URL or the
 * issuer, as a string or as an array holding one of them; exp is present,
 * later than now and at most LK_ASSERTION_MAX_AHEAD + LK_ASSERTION_SKEW
 * seconds ahead; nbf and iat, when present, are numbers no more than
 * LK_ASSERTION_SKEW seconds in the future; jti is a non-empty string of at
 * most LK_ASSERTION_JTI_MAX characters. On success fills *out. Otherwise
 * LK_EDENIED, with the reason in why (for the debug log: it never quotes a
 * claim), and *out untouched.
 */
enum lk_err lk_assertion_check(const void *claims, const struct lk_assertion_expect *x,
			       struct lk_assertion *out, char *why, size_t whylen);

/*
 * Reads the iss claim of a compact JWT without verifying anything, to find
 * the application whose certificate must then verify it (RFC 7523 §3 makes
 * client_id optional). Writes it into out (cap bytes). LK_EPARSE for a token
 * that is not three parts with a base64url JSON object payload or has no
 * string iss; LK_ETOOBIG past LK_JWT_MAX or when iss does not fit.
 */
enum lk_err lk_assertion_peek_issuer(const char *token, size_t len, char *out, size_t cap);

#endif
