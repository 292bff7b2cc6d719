/*
 * Internals shared by the files of src/jose/: the table of signing
 * algorithms, the JWK helpers that decide what is published, and the layout
 * of a keyring. Nothing outside src/jose/ includes this header.
 */
#ifndef LK_JOSE_JOSE_INT_H
#define LK_JOSE_JOSE_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include <cjose/jwk.h>
#include <jansson.h>

#include "core/err.h"
#include "jose/keyring.h"

/* JWK member names (RFC 7517 §4, RFC 7518 §6). */
#define JWK_KTY "kty"
#define JWK_CRV "crv"
#define JWK_X "x"
#define JWK_Y "y"
#define JWK_N "n"
#define JWK_E "e"
#define JWK_KID "kid"
#define JWK_USE "use"
#define JWK_ALG "alg"
#define JWK_USE_SIG "sig"
#define JWK_KTY_EC "EC"
#define JWK_KTY_RSA "RSA"
#define JWK_CRV_P256 "P-256"
#define JWKS_KEYS "keys"

/* JOSE header parameter names (RFC 7515 §4.1). */
#define JOSE_HDR_ALG "alg"
#define JOSE_HDR_KID "kid"
#define JOSE_HDR_TYP "typ"
#define JOSE_HDR_CRIT "crit"
#define JOSE_HDR_X5T_S256 "x5t#S256"

/* The largest JWK text (public or private) accepted anywhere in src/jose/. */
#define LK_JWK_MAX 16384

/*
 * The RSA moduli a signature is verified with: RFC 7518 §3.3 asks for at
 * least 2048 bits; larger than 8192 only makes every verification slower.
 */
#define LK_RSA_MIN_BITS 2048
#define LK_RSA_MAX_BITS 8192

/* The algorithms latchkey signs with, in the order the JWKS lists them. */
enum lk_alg_id { LK_ALG_ES256, LK_ALG_RS256, LK_ALG_PS256, LK_ALG__COUNT };

/* The index of alg in the table, or -1 when latchkey does not sign with it. */
int lk_alg_index(const char *alg);

/* The name ("ES256") and the JWK key type ("EC") of an algorithm index. */
const char *lk_alg_name(int idx);
const char *lk_alg_kty(int idx);

/*
 * The RFC 7638 thumbprint of a parsed JWK (public or private: only the
 * required public members are hashed) into out. LK_EINVAL for a key type
 * other than EC or RSA, LK_EPARSE when a required member is missing or not a
 * string.
 */
enum lk_err lk_jwk_thumbprint_obj(const json_t *jwk, char out[LK_KID_MAX]);

/*
 * Builds the published form of a JWK: the public members of its key type
 * (kty, crv, x, y or kty, n, e) copied from jwk, then kid, "use":"sig" and
 * alg. Private members are never copied, whatever jwk holds. *out is a new
 * reference. LK_EPARSE when a member is missing, LK_ENOMEM.
 */
enum lk_err lk_jwk_public_obj(const json_t *jwk, const char *kid, const char *alg, json_t **out);

/*
 * Checks that a parsed public JWK may verify signatures of the algorithm
 * index idx: kty EC with crv P-256 and string x and y for ES256; kty RSA with
 * string e and an n of LK_RSA_MIN_BITS to LK_RSA_MAX_BITS for RS256 and
 * PS256. On success *sig_len is the length in bytes every signature by this
 * key has (RFC 7518 §3.3, §3.4); LK_EDENIED otherwise. Only the key members
 * are looked at (alg, use and kid are the caller's to check).
 */
enum lk_err lk_jwk_verify_params(const json_t *jwk, int idx, size_t *sig_len);

/*
 * A public key a keyring verifies with: one per published key (next, active
 * and retired), imported once when the keyring is built.
 */
struct lk_verifier {
	char kid[LK_KID_MAX];
	int alg;	/* enum lk_alg_id */
	size_t sig_len; /* the length of its signatures in bytes */
	cjose_jwk_t *jwk;
};

/*
 * The published key of a keyring with this kid and algorithm index, or NULL.
 * Allocates nothing and takes no lock: the keyring is immutable. The result
 * lives as long as the keyring.
 */
const struct lk_verifier *lk_keyring_verifier(const struct lk_keyring *kr, const char *kid,
					      int alg);

/* The key of one algorithm that signs in a keyring snapshot. */
struct lk_signer {
	cjose_jwk_t *jwk; /* NULL when no active key has this algorithm */
	char kid[LK_KID_MAX];
};

/* Immutable after lk_keyring_build, apart from the reference count. */
struct lk_verified;

struct lk_keyring {
	atomic_uint refs;
	int64_t next_change;
	char *jwks;
	size_t jwks_len;
	struct lk_signer signers[LK_ALG__COUNT];
	struct lk_verifier *verifiers; /* sorted by kid, then alg */
	size_t n_verifiers;
	struct lk_verified *verified; /* tokens already verified here; may be NULL */
};

#endif
