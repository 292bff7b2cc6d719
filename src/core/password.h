/*
 * User passwords: Argon2id (RFC 9106) through libargon2, in the PHC string
 * format ("$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH"), so that parameters
 * travel with each hash and can be raised later. Client secrets are NOT
 * hashed here: they are 256-bit random values and take SHA-256.
 */
#ifndef LK_CORE_PASSWORD_H
#define LK_CORE_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct lk_argon2_params {
	uint32_t memory_kib;  /* OWASP: 19456 (19 MiB) */
	uint32_t iterations;  /* OWASP: 2 */
	uint32_t parallelism; /* OWASP: 1 */
};

/* The OWASP recommendation quoted above. */
void lk_argon2_defaults(struct lk_argon2_params *p);

/* The longest password hashed; longer input is LK_ETOOBIG. */
#define LK_PASSWORD_INPUT_MAX 1024

/*
 * Hashes a password with a fresh 16-byte random salt; *encoded (free it) is
 * the PHC string. LK_ETOOBIG past LK_PASSWORD_INPUT_MAX, LK_EINVAL for
 * parameters libargon2 refuses.
 */
enum lk_err lk_password_hash(const char *password, const struct lk_argon2_params *p,
			     char **encoded);

/*
 * Checks a password against an encoded hash in constant time. LK_OK when it
 * matches, LK_EDENIED when it does not, LK_EPARSE for a malformed hash.
 * *needs_rehash (may be NULL) is set on a match when the hash was made with
 * parameters other than p, so the caller can store a new hash.
 */
enum lk_err lk_password_verify(const char *encoded, const char *password,
			       const struct lk_argon2_params *p, bool *needs_rehash);

/*
 * Writes a random password of len characters (letters and digits, no
 * look-alikes) and a NUL into out (len + 1 bytes). len must be 12..128.
 */
enum lk_err lk_password_generate(char *out, size_t len);

#endif
