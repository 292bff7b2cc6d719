/*
 * Password hashing with Argon2id (RFC 9106) through libargon2, stored in the
 * PHC string format, and the generator of initial passwords.
 */
#include "core/password.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>

#include "core/secure.h"

/* RFC 9106 §3.1: a 16-byte salt is recommended for password hashing. */
#define SALT_LEN 16
/* RFC 9106 §4: a 256-bit tag. */
#define HASH_LEN 32
/* Its unpadded base64 length. */
#define HASH_B64_LEN ((HASH_LEN * 4 + 2) / 3)
/* The longest encoded hash accepted; ours are about 100 characters. */
#define ENCODED_MAX 512

#define ARGON2ID_PREFIX "$argon2id$"
/* The version latchkey writes: 0x13, "v=19" in the PHC string. */
#define ARGON2_V19 19

/*
 * Upper bounds on the cost parameters read from a stored hash, so a corrupt or
 * planted hash cannot make one verification allocate gigabytes or run for
 * minutes. lk_password_hash refuses the same values, so every hash it writes
 * can be verified.
 */
#define MEMORY_MAX_KIB (1024u * 1024u)
#define ITERATIONS_MAX 64u
#define PARALLELISM_MAX 64u

/*
 * The generator's alphabet: letters and digits without the characters that
 * are easily confused when read aloud or copied by hand (0 O o 1 l I).
 */
static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ"
			       "abcdefghijkmnpqrstuvwxyz"
			       "23456789";
#define ALPHABET_LEN (sizeof(alphabet) - 1)
/*
 * Random bytes at or above this bound are discarded, so every character of the
 * alphabet is equally likely (a plain modulo would favour the first ones).
 */
#define ACCEPT_BOUND (256 - 256 % ALPHABET_LEN)

#define GENERATE_MIN 12
#define GENERATE_MAX 128

/* The parameters of a parsed PHC string. */
struct phc_params {
	uint32_t version;
	uint32_t memory_kib;
	uint32_t iterations;
	uint32_t parallelism;
};

void lk_argon2_defaults(struct lk_argon2_params *p)
{
	p->memory_kib = 19456;
	p->iterations = 2;
	p->parallelism = 1;
}

static bool params_in_bounds(uint32_t m, uint32_t t, uint32_t par)
{
	return m <= MEMORY_MAX_KIB && t <= ITERATIONS_MAX && par <= PARALLELISM_MAX;
}

static enum lk_err from_argon2(int rc)
{
	switch (rc) {
	case ARGON2_OK:
		return LK_OK;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
		return LK_ENOMEM;
	case ARGON2_THREAD_FAIL:
		return LK_EINTERNAL;
	default:
		return LK_EINVAL;
	}
}

enum lk_err lk_password_hash(const char *password, const struct lk_argon2_params *p, char **encoded)
{
	unsigned char salt[SALT_LEN];
	char *buf = NULL;
	size_t pwlen, buflen;
	enum lk_err err = LK_EINVAL;
	int rc;

	if (!password || !p || !encoded)
		goto out;
	pwlen = strnlen(password, LK_PASSWORD_INPUT_MAX + 1);
	err = LK_ETOOBIG;
	if (pwlen > LK_PASSWORD_INPUT_MAX)
		goto out;
	err = LK_EINVAL;
	if (!params_in_bounds(p->memory_kib, p->iterations, p->parallelism))
		goto out;
	buflen = argon2_encodedlen(p->iterations, p->memory_kib, p->parallelism, SALT_LEN, HASH_LEN,
				   Argon2_id);
	err = LK_ENOMEM;
	buf = malloc(buflen);
	if (!buf)
		goto out;
	err = lk_random_bytes(salt, sizeof(salt));
	if (err)
		goto out;
	rc = argon2id_hash_encoded(p->iterations, p->memory_kib, p->parallelism, password, pwlen,
				   salt, sizeof(salt), HASH_LEN, buf, buflen);
	err = from_argon2(rc);
	if (err)
		goto out;
	*encoded = buf;
	buf = NULL;
out:
	lk_wipe(salt, sizeof(salt));
	free(buf);
	return err;
}

/*
 * Reads an unsigned decimal number that ends at the character stop, as
 * written by libargon2: digits only (no sign, no blanks), no leading zero,
 * within 32 bits. Advances *s past the stop character.
 */
static bool parse_u32(const char **s, char stop, uint32_t *out)
{
	const char *p = *s;
	char *end;
	unsigned long v;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return false;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno != 0 || end == p || *end != stop || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	*s = end + 1;
	return true;
}

static bool expect(const char **s, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*s, lit, n) != 0)
		return false;
	*s += n;
	return true;
}

/*
 * Parses an Argon2id PHC string, "$argon2id$v=19$m=19456,t=2,p=1$SALT$TAG".
 * A missing "v=" means version 0x10, as libargon2 reads it. The base64 of the
 * salt and the tag is left to libargon2.
 */
static bool parse_phc(const char *s, struct phc_params *out)
{
	struct phc_params ph = {.version = 0x10};

	if (!expect(&s, ARGON2ID_PREFIX))
		return false;
	if (expect(&s, "v=") && !parse_u32(&s, '$', &ph.version))
		return false;
	if (!expect(&s, "m=") || !parse_u32(&s, ',', &ph.memory_kib))
		return false;
	if (!expect(&s, "t=") || !parse_u32(&s, ',', &ph.iterations))
		return false;
	if (!expect(&s, "p=") || !parse_u32(&s, '$', &ph.parallelism))
		return false;
	/*
	 * After the salt comes the tag. libargon2 would take a shortened tag
	 * for a tag of another length and report a mere mismatch; latchkey
	 * writes 256-bit tags (RFC 9106 §4), so a shorter one is a damaged hash.
	 */
	s = strchr(s, '$');
	if (!s || strchr(s + 1, '$') || strlen(s + 1) < HASH_B64_LEN)
		return false;
	*out = ph;
	return true;
}

/*
 * True when a hash should be replaced: an older version or cost parameters
 * other than the configured ones (lower or higher, so that lowering the cost
 * also takes effect). Other variants than Argon2id never get here: they are
 * refused as malformed, since latchkey has never written them.
 */
static bool stale(const struct phc_params *ph, const struct lk_argon2_params *p)
{
	return ph->version != ARGON2_V19 || ph->memory_kib != p->memory_kib ||
	       ph->iterations != p->iterations || ph->parallelism != p->parallelism;
}

/*
 * The outcome of argon2id_verify: a mismatch is a denial; allocation and
 * thread failures are ours; every other error is about the encoded string
 * (bad base64, a salt or tag of the wrong length, parameters out of range).
 */
static enum lk_err verify_result(int rc)
{
	switch (rc) {
	case ARGON2_VERIFY_MISMATCH:
		return LK_EDENIED;
	case ARGON2_OK:
	case ARGON2_MEMORY_ALLOCATION_ERROR:
	case ARGON2_THREAD_FAIL:
		return from_argon2(rc);
	default:
		return LK_EPARSE;
	}
}

enum lk_err lk_password_verify(const char *encoded, const char *password,
			       const struct lk_argon2_params *p, bool *needs_rehash)
{
	struct phc_params ph;
	size_t pwlen;
	enum lk_err err = LK_EINVAL;
	int rc;

	if (!encoded || !password || !p)
		goto out;
	err = LK_EPARSE;
	if (strnlen(encoded, ENCODED_MAX + 1) > ENCODED_MAX || !parse_phc(encoded, &ph))
		goto out;
	if (!params_in_bounds(ph.memory_kib, ph.iterations, ph.parallelism))
		goto out;
	/* No stored hash can match a password that lk_password_hash refuses. */
	pwlen = strnlen(password, LK_PASSWORD_INPUT_MAX + 1);
	err = LK_EDENIED;
	if (pwlen > LK_PASSWORD_INPUT_MAX)
		goto out;
	/* libargon2 recomputes the tag and compares it in constant time. */
	rc = argon2id_verify(encoded, password, pwlen);
	err = verify_result(rc);
	if (err == LK_OK && needs_rehash)
		*needs_rehash = stale(&ph, p);
out:
	return err;
}

enum lk_err lk_password_generate(char *out, size_t len)
{
	unsigned char rnd[GENERATE_MAX];
	char pw[GENERATE_MAX + 1];
	size_t n = 0, want, i;
	enum lk_err err = LK_EINVAL;

	if (!out || len < GENERATE_MIN || len > GENERATE_MAX)
		goto out;
	/* Each round draws one byte per missing character and keeps the unbiased ones. */
	while (n < len) {
		want = len - n;
		err = lk_random_bytes(rnd, want);
		if (err)
			goto out;
		for (i = 0; i < want; i++) {
			if (rnd[i] < ACCEPT_BOUND)
				pw[n++] = alphabet[rnd[i] % ALPHABET_LEN];
		}
	}
	pw[len] = '\0';
	memcpy(out, pw, len + 1);
	err = LK_OK;
out:
	lk_wipe(rnd, sizeof(rnd));
	lk_wipe(pw, sizeof(pw));
	return err;
}
