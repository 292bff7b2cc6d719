/*
 * Signing keys: generation, sealing under the master key, the in-memory
 * keyring that signs tokens, and the JWKS it publishes. Only src/jose/ calls
 * cjose.
 *
 * A keyring is an immutable snapshot built from the key rows of the store. The
 * server swaps in a new snapshot when the rows change or a key's state changes
 * with time; readers hold a reference (lk_keyring_ref / lk_keyring_unref) so a
 * swap never frees a keyring in use.
 */
#ifndef LK_JOSE_KEYRING_H
#define LK_JOSE_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define LK_MASTER_KEY_LEN 32

/* Room for a kid: an RFC 7638 SHA-256 thumbprint is 43 characters. */
#define LK_KID_MAX 64

/* The key that seals private signing keys (AES-256-GCM). */
struct lk_master_key {
	unsigned char k[LK_MASTER_KEY_LEN];
};

/*
 * Loads the master key: from env_b64 when it is not NULL (base64 of exactly
 * 32 bytes), otherwise from the file at path (base64 text). When the file does
 * not exist and create is true, 32 random bytes are written to it with mode
 * 0600 (created exclusively, so two processes never write two keys).
 * LK_EKEY for a malformed key; LK_ENOTFOUND when there is none and create is
 * false; LK_EIO when the file cannot be read or written.
 */
enum lk_err lk_master_key_load(const char *env_b64, const char *path, bool create,
			       struct lk_master_key *out);

/* Zeroes the key. */
void lk_master_key_wipe(struct lk_master_key *mk);

/*
 * Seals n bytes with AES-256-GCM under mk, binding aad (e.g. the kid) so a
 * sealed blob cannot be moved to another row. *out (free it) is
 * nonce (12) || ciphertext (n) || tag (16).
 */
enum lk_err lk_seal(const struct lk_master_key *mk, const char *aad, const void *in, size_t n,
		    unsigned char **out, size_t *outlen);

/*
 * Opens a sealed blob. LK_EKEY when authentication fails (wrong master key or
 * tampered data). *out is NUL-terminated for convenience; free it with
 * lk_wipe + free (its length is *outlen).
 */
enum lk_err lk_unseal(const struct lk_master_key *mk, const char *aad, const unsigned char *in,
		      size_t n, unsigned char **out, size_t *outlen);

/* True for an algorithm latchkey signs with: ES256, RS256, PS256. */
bool lk_alg_supported(const char *alg);

/*
 * Generates a new key pair for alg (ES256: P-256; RS256 and PS256: RSA 2048)
 * and fills rec: kid = RFC 7638 thumbprint, the public JWK, the private JWK
 * sealed under mk with the kid as aad, created_at = now, activate_at as given,
 * retire_at = expire_at = 0. Release rec with lk_key_record_release.
 */
enum lk_err lk_key_generate(const char *alg, const struct lk_master_key *mk, int64_t now,
			    int64_t activate_at, struct lk_key_record *rec);

/*
 * The RFC 7638 JWK thumbprint (SHA-256, base64url without padding) of the JWK
 * in public_jwk_json (public or private: only the required public members,
 * crv/kty/x/y for EC and e/kty/n for RSA, are hashed). Writes 43 characters
 * and a NUL into out. LK_ETOOBIG above 16 KiB, LK_EPARSE for malformed JSON
 * or a missing member, LK_EINVAL for a key type other than EC or RSA.
 */
enum lk_err lk_jwk_thumbprint(const char *public_jwk_json, char out[LK_KID_MAX]);

enum lk_key_state { LK_KEY_NEXT, LK_KEY_ACTIVE, LK_KEY_RETIRED, LK_KEY_EXPIRED };

/*
 * The state of a key at time now, given every row (a key of the same alg that
 * activated later retires an active key only through retire_at; see
 * store/store.h for the rules).
 */
enum lk_key_state lk_key_state(const struct lk_key_record *r, int64_t now);

/* "next", "active", "retired", "expired". */
const char *lk_key_state_name(enum lk_key_state s);

struct lk_keyring;

/*
 * Builds a snapshot from n rows at time now: unseals the private keys of the
 * keys that may sign, picks the signing key of each algorithm (the active key
 * with the latest activate_at), and serialises the JWKS of every published
 * key (next, active, retired). Rows whose private key cannot be unsealed are
 * LK_EKEY (wrong master key). *out has one reference.
 */
enum lk_err lk_keyring_build(const struct lk_key_record *rows, size_t n,
			     const struct lk_master_key *mk, int64_t now,
			     struct lk_keyring **out);

/* Reference counting; unref frees (zeroing private keys) at zero. */
struct lk_keyring *lk_keyring_ref(struct lk_keyring *kr);
void lk_keyring_unref(struct lk_keyring *kr);

/* The JWKS document, {"keys":[...]}. Owned by the keyring. */
const char *lk_keyring_jwks(const struct lk_keyring *kr);

/* True when the keyring has a signing key for alg. */
bool lk_keyring_can_sign(const struct lk_keyring *kr, const char *alg);

/*
 * The earliest time after the snapshot's `now` at which some key changes state
 * (activates, retires, expires), or 0 if none will: the server rebuilds then.
 */
int64_t lk_keyring_next_change(const struct lk_keyring *kr);

/*
 * Signs a JWT: header {alg, typ, kid} and the given claims (JSON object text
 * of claims_len bytes) with the signing key of alg. typ may be NULL ("JWT" is
 * then not written either; RFC 9068 access tokens pass "at+jwt"). *out is the
 * compact serialisation (free it). LK_ENOTFOUND when no key signs with alg.
 */
enum lk_err lk_jwt_sign(const struct lk_keyring *kr, const char *alg, const char *typ,
			const char *claims, size_t claims_len, char **out);

#endif
