/*
 * Fuzz target for JWT verification: every input goes through
 * lk_jwt_peek_header, lk_jwt_verify_jwk with a fixed EC P-256 key, and
 * lk_jwt_verify_keyring with a small keyring built once. Whatever the input,
 * a result is one of the documented errors, a failure writes nothing, and a
 * success names a key and algorithm that really verify: the seeds signed with
 * these keys must keep verifying.
 *
 * The keys are published test keys with no private half here: the keyring
 * holds both as retired keys, which are published but never opened.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jose/jwt_verify.h"
#include "jose/keyring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ec_jwk[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
			     "\"x\":\"a4VJFxH1KS2GM_QbeekLxkyO-14sZ6jvcYYmlYkRXyc\","
			     "\"y\":\"Gb9VN_1KZ_k_caUyr7reVfoe3ABssmXcX9gP3MI-u08\"}";

static const char rsa_jwk[] =
	"{\"kty\":\"RSA\",\"n\":\"xKXTiaRjGXZX4UHymxP_2KfFuDSXgLA7RFWIpTvHSMttChI-L-"
	"B5w4axq3Ni0jMHLSp"
	"KEAfpz6OG_woKLkLj4iEmGHpc7AHR9BHli7kifRO4HNXqjGXOm8tjYUioyywYDdJxtO9dkvmX75jkG2MnXVLrD3bYY"
	"OpnRFo0DiVA29p-cqX9J4NaE818ZXG1sSgsdimrupHGS5MXahLyF2-twActMw4fSKj2R8BogkGN7sfhlPHHJ-bon4n"
	"5UmpAitV0FG8LeRCzqD36Mo_f5Mh0Ad_mshvE76royuCBRW3bmMu23ISX1NBI5p_jy0YKWYARNnTbINwAiVPZ1U0Tx"
	"76UsQ\",\"e\":\"AQAB\"}";

/* Retired keys are never unsealed, so a placeholder stands for the private key. */
static unsigned char no_private[28];

static struct lk_keyring *kr;
static char ec_kid[LK_KID_MAX], rsa_kid[LK_KID_MAX];

static void build_keyring(void)
{
	struct lk_master_key mk;
	struct lk_key_record rows[2];

	memset(&mk, 0, sizeof(mk));
	memset(rows, 0, sizeof(rows));
	if (lk_jwk_thumbprint(ec_jwk, ec_kid) != LK_OK ||
	    lk_jwk_thumbprint(rsa_jwk, rsa_kid) != LK_OK)
		abort();
	rows[0].kid = ec_kid;
	rows[0].alg = (char *)"ES256";
	rows[0].public_jwk = (char *)ec_jwk;
	rows[1].kid = rsa_kid;
	rows[1].alg = (char *)"RS256";
	rows[1].public_jwk = (char *)rsa_jwk;
	for (int i = 0; i < 2; i++) {
		rows[i].private_sealed = no_private;
		rows[i].private_sealed_len = sizeof(no_private);
		rows[i].activate_at = 10;
		rows[i].retire_at = 20;
	}
	if (lk_keyring_build(rows, 2, &mk, 100, &kr) != LK_OK)
		abort();
}

/* A failure must be one of the documented errors and leave the outputs alone. */
static void check_failure(enum lk_err err, const struct lk_jwt_header *h, const void *claims)
{
	const unsigned char *b = (const unsigned char *)h;

	if (err != LK_EPARSE && err != LK_ETOOBIG && err != LK_EDENIED && err != LK_ENOMEM)
		abort();
	if (claims != h)
		abort();
	for (size_t i = 0; i < sizeof(*h); i++) {
		if (b[i] != 0x5a)
			abort();
	}
}

/* The header fields are NUL-terminated and agree with lk_jwt_peek_header. */
static void check_header(const struct lk_jwt_header *h, const struct lk_jwt_header *peeked)
{
	if (memchr(h->alg, '\0', sizeof(h->alg)) == NULL ||
	    memchr(h->kid, '\0', sizeof(h->kid)) == NULL ||
	    memchr(h->typ, '\0', sizeof(h->typ)) == NULL ||
	    memchr(h->x5t_s256, '\0', sizeof(h->x5t_s256)) == NULL)
		abort();
	if (strcmp(h->alg, peeked->alg) != 0 || strcmp(h->kid, peeked->kid) != 0 ||
	    strcmp(h->typ, peeked->typ) != 0 || strcmp(h->x5t_s256, peeked->x5t_s256) != 0)
		abort();
}

/* Returns the error; on success checks the claims and header, then frees them. */
static enum lk_err run(bool keyring, const char *token, size_t size,
		       const struct lk_jwt_header *peeked, bool peek_ok)
{
	struct lk_jwt_header h;
	void *claims = &h;
	enum lk_err err;

	memset(&h, 0x5a, sizeof(h));
	if (keyring)
		err = lk_jwt_verify_keyring(kr, token, size, &h, &claims);
	else
		err = lk_jwt_verify_jwk(ec_jwk, token, size, &h, &claims);
	if (err != LK_OK) {
		check_failure(err, &h, claims);
		return err;
	}
	if (!peek_ok || !json_is_object((json_t *)claims))
		abort();
	check_header(&h, peeked);
	if (keyring && !(strcmp(h.alg, "ES256") == 0 && strcmp(h.kid, ec_kid) == 0) &&
	    !(strcmp(h.alg, "RS256") == 0 && strcmp(h.kid, rsa_kid) == 0))
		abort();
	if (!keyring && strcmp(h.alg, "ES256") != 0)
		abort();
	json_decref(claims);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *token = (const char *)data;
	struct lk_jwt_header peeked;
	enum lk_err perr, kerr, jerr;

	if (!kr)
		build_keyring();
	memset(&peeked, 0x5a, sizeof(peeked));
	perr = lk_jwt_peek_header(token, size, &peeked);
	/* Peeking judges the shape only: it never denies. */
	if (perr == LK_EDENIED)
		abort();
	if (perr != LK_OK)
		check_failure(perr, &peeked, &peeked);
	kerr = run(true, token, size, &peeked, perr == LK_OK);
	jerr = run(false, token, size, &peeked, perr == LK_OK);
	/* The EC key is both the JWK and a keyring key: a token of its kid verifies with both. */
	if (kerr == LK_OK && strcmp(peeked.kid, ec_kid) == 0 && jerr != LK_OK)
		abort();
	/* Size is checked before anything else, whichever key is offered. */
	if ((perr == LK_ETOOBIG) != (kerr == LK_ETOOBIG) ||
	    (kerr == LK_ETOOBIG) != (jerr == LK_ETOOBIG))
		abort();
	return 0;
}
