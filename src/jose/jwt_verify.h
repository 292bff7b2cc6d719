/*
 * Verifying JWTs: the access tokens latchkey issued (against its own
 * keyring) and the assertions applications sign with their certificate's key
 * (RFC 7523). Signature and algorithm only: what the claims must say is
 * protocol logic and lives in src/oauth/.
 *
 * Allowed algorithms are RS256, PS256 and ES256, each only with a key of its
 * type (RSA for RS256/PS256, EC P-256 for ES256). "none", HS256/384/512 and
 * anything else are refused, whatever key is offered (no algorithm
 * confusion: a public key is never used as an HMAC secret).
 */
#ifndef LK_JOSE_JWT_VERIFY_H
#define LK_JOSE_JWT_VERIFY_H

#include <stddef.h>

#include "core/err.h"
#include "jose/keyring.h"

/* The longest compact JWT accepted. */
#define LK_JWT_MAX (16 * 1024)

struct lk_jwt_header {
	char alg[16];
	char kid[LK_KID_MAX];
	char typ[64];
	char x5t_s256[64]; /* "x5t#S256", "" when absent */
};

/*
 * Decodes the header of a compact JWS without verifying anything (to choose
 * the key). LK_EPARSE for anything that is not three base64url parts with a
 * JSON object header; LK_ETOOBIG past LK_JWT_MAX.
 */
enum lk_err lk_jwt_peek_header(const char *token, size_t len, struct lk_jwt_header *out);

/*
 * Verifies a JWT issued by this server: the header's kid must name a key the
 * keyring publishes (next, active or retired) whose algorithm equals the
 * header's alg. On success *claims (a json_t * object, type-erased; the
 * caller json_decref()s it) holds the payload and *hdr the header.
 * LK_EDENIED for a bad signature, unknown kid or refused algorithm;
 * LK_EPARSE for a malformed token or a payload that is not a JSON object.
 */
enum lk_err lk_jwt_verify_keyring(const struct lk_keyring *kr, const char *token, size_t len,
				  struct lk_jwt_header *hdr, void **claims);

/*
 * Verifies a JWT with one public JWK (JSON text), as lk_jwt_verify_keyring
 * does, for an application's certificate key.
 */
enum lk_err lk_jwt_verify_jwk(const char *jwk_json, const char *token, size_t len,
			      struct lk_jwt_header *hdr, void **claims);

#endif
