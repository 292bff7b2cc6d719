/*
 * Signing JWTs with the keyring: the token endpoint calls this for every
 * access and ID token, so it does only what each token needs. The private
 * keys were parsed once when the keyring was built; a call builds a small
 * protected header, signs, and copies the compact serialisation out.
 */
#include "jose/keyring.h"

#include <stdlib.h>
#include <string.h>

#include <cjose/header.h>
#include <cjose/jws.h>

#include "jose/jose_int.h"

/* Claims are a few hundred bytes; the cap keeps a caller's bug from signing megabytes. */
#define JWT_CLAIMS_MAX 65536
/* typ values are short media type names (RFC 7515 §4.1.9). */
#define JWT_TYP_MAX 64

/*
 * The protected header (RFC 7515 §4.1): alg, typ when given, and kid so that
 * verifiers pick the right key from the JWKS during a rotation.
 */
static cjose_header_t *make_header(const char *alg, const char *typ, const char *kid)
{
	cjose_header_t *hdr = cjose_header_new(NULL);

	if (!hdr)
		return NULL;
	if (!cjose_header_set(hdr, CJOSE_HDR_ALG, alg, NULL) ||
	    (typ && !cjose_header_set(hdr, JOSE_HDR_TYP, typ, NULL)) ||
	    !cjose_header_set(hdr, CJOSE_HDR_KID, kid, NULL)) {
		cjose_header_release(hdr);
		return NULL;
	}
	return hdr;
}

enum lk_err lk_jwt_sign(const struct lk_keyring *kr, const char *alg, const char *typ,
			const char *claims, size_t claims_len, char **out)
{
	const struct lk_signer *signer;
	cjose_header_t *hdr = NULL;
	cjose_jws_t *jws = NULL;
	const char *compact = NULL;
	char *copy;
	enum lk_err err = LK_EINVAL;
	int idx = lk_alg_index(alg);

	if (!kr || !alg || !claims || !out)
		goto out;
	if (typ && (typ[0] == '\0' || strnlen(typ, JWT_TYP_MAX + 1) > JWT_TYP_MAX))
		goto out;
	err = LK_ETOOBIG;
	if (claims_len > JWT_CLAIMS_MAX)
		goto out;
	/* A JWT Claims Set is a JSON object (RFC 7519 §7.2 step 10). */
	err = LK_EINVAL;
	if (claims_len < 2 || claims[0] != '{' || claims[claims_len - 1] != '}')
		goto out;
	err = LK_ENOTFOUND;
	if (idx < 0 || !kr->signers[idx].jwk)
		goto out;
	signer = &kr->signers[idx];
	err = LK_ENOMEM;
	hdr = make_header(lk_alg_name(idx), typ, signer->kid);
	if (!hdr)
		goto out;
	err = LK_ECRYPTO;
	jws = cjose_jws_sign(signer->jwk, hdr, (const uint8_t *)claims, claims_len, NULL);
	if (!jws || !cjose_jws_export(jws, &compact, NULL))
		goto out;
	err = LK_ENOMEM;
	copy = strdup(compact);
	if (!copy)
		goto out;
	*out = copy;
	err = LK_OK;
out:
	cjose_jws_release(jws);
	cjose_header_release(hdr);
	return err;
}
