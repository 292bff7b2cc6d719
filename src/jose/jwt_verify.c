/*
 * Verifying compact JWS tokens (RFC 7515 §5.2, RFC 7519 §7.2): the access
 * tokens latchkey issued and the assertions applications sign.
 *
 * The order of the checks is the defence. The token's shape is checked
 * first, without decoding anything but the header; the header's alg is then
 * checked against the three algorithms latchkey accepts, and against the key
 * chosen, before any key material is touched; only then is the signature
 * checked, and only a payload whose signature holds is parsed. cjose does
 * the base64url, the key import and the signature, but the decision which
 * algorithm and key are acceptable is taken here, so a library that would
 * accept HMAC with a public key, or "none", never gets the chance.
 *
 * Nothing here logs: a token is a credential and failures are the caller's
 * to report.
 */
#include "jose/jwt_verify.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/base64.h>
#include <cjose/header.h>
#include <cjose/jws.h>
#include <cjose/util.h>
#include <jansson.h>

#include "jose/jose_int.h"
#include "jose/verified.h"

/* RFC 7518 §3.4: an ES256 signature is r || s, 32 bytes each. */
#define ES256_SIG_LEN 64

/* The length of the unpadded base64url encoding of n bytes. */
#define B64URL_LEN(n) (((n)*4 + 2) / 3)

/* The three parts of a compact serialisation, pointing into the token. */
struct parts {
	const char *hdr;
	size_t hdr_len;
	const char *payload;
	size_t payload_len;
	const char *sig;
	size_t sig_len;
};

/* A decoded header, and whether its alg was too long to be one we know. */
struct parsed_header {
	struct lk_jwt_header h;
	bool alg_unknown;
};

/* The value of a base64url character (RFC 4648 §5), or -1. */
static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * True for canonical unpadded base64url (RFC 7515 §2): only the 64 letters,
 * no '=', no whitespace, no length that leaves a lone character, and zero
 * bits where the last character overhangs the data (RFC 4648 §3.5), so that
 * every byte string has exactly one accepted spelling.
 */
static bool b64url_canonical(const char *s, size_t n)
{
	static const int spare_mask[4] = {0, 0, 0x0f, 0x03};
	size_t i;
	int v = 0;

	if (n % 4 == 1)
		return false;
	for (i = 0; i < n; i++) {
		v = b64url_value(s[i]);
		if (v < 0)
			return false;
	}
	return n == 0 || (v & spare_mask[n % 4]) == 0;
}

/*
 * Splits a compact JWS into exactly three parts (RFC 7515 §7.1). The header
 * and payload must not be empty (a claims set is a JSON object); the
 * signature may be, so that "alg":"none" is refused by its alg, not by its
 * shape.
 */
static enum lk_err split(const char *token, size_t len, struct parts *p)
{
	const char *end = token + len;
	const char *d1, *d2;

	if (len > LK_JWT_MAX)
		return LK_ETOOBIG;
	d1 = memchr(token, '.', len);
	if (!d1)
		return LK_EPARSE;
	d2 = memchr(d1 + 1, '.', (size_t)(end - (d1 + 1)));
	if (!d2 || memchr(d2 + 1, '.', (size_t)(end - (d2 + 1))))
		return LK_EPARSE;
	p->hdr = token;
	p->hdr_len = (size_t)(d1 - token);
	p->payload = d1 + 1;
	p->payload_len = (size_t)(d2 - p->payload);
	p->sig = d2 + 1;
	p->sig_len = (size_t)(end - p->sig);
	if (p->hdr_len == 0 || p->payload_len == 0)
		return LK_EPARSE;
	if (!b64url_canonical(p->hdr, p->hdr_len) ||
	    !b64url_canonical(p->payload, p->payload_len) || !b64url_canonical(p->sig, p->sig_len))
		return LK_EPARSE;
	return LK_OK;
}

/*
 * Copies an optional string member into dst ("" when absent). A member that
 * is not a string, or does not fit, is LK_EPARSE: it would be truncated into
 * a different value.
 */
static enum lk_err copy_member(const json_t *obj, const char *name, char *dst, size_t cap)
{
	const json_t *v = json_object_get(obj, name);
	size_t n;

	if (!v) {
		dst[0] = '\0';
		return LK_OK;
	}
	if (!json_is_string(v))
		return LK_EPARSE;
	n = json_string_length(v);
	if (n >= cap || strlen(json_string_value(v)) != n)
		return LK_EPARSE;
	memcpy(dst, json_string_value(v), n + 1);
	return LK_OK;
}

/*
 * Reads the members of a decoded header. A "crit" member is refused: it
 * lists extensions the recipient must understand, and latchkey understands
 * none (RFC 7515 §4.1.11).
 */
static enum lk_err read_header(const json_t *obj, struct parsed_header *out)
{
	const json_t *alg = json_object_get(obj, JOSE_HDR_ALG);
	enum lk_err err;

	if (!json_is_object(obj) || json_object_get(obj, JOSE_HDR_CRIT) || !json_is_string(alg))
		return LK_EPARSE;
	/* No accepted alg is that long: remember it is unknown rather than truncate it. */
	out->alg_unknown = json_string_length(alg) >= sizeof(out->h.alg);
	out->h.alg[0] = '\0';
	err = LK_OK;
	if (!out->alg_unknown)
		err = copy_member(obj, JOSE_HDR_ALG, out->h.alg, sizeof(out->h.alg));
	if (!err)
		err = copy_member(obj, JOSE_HDR_KID, out->h.kid, sizeof(out->h.kid));
	if (!err)
		err = copy_member(obj, JOSE_HDR_TYP, out->h.typ, sizeof(out->h.typ));
	if (!err)
		err = copy_member(obj, JOSE_HDR_X5T_S256, out->h.x5t_s256, sizeof(out->h.x5t_s256));
	return err;
}

/*
 * Splits the token and decodes its header: a JSON object (duplicate members
 * refused, so no two parsers can read it differently) with a string alg.
 */
static enum lk_err parse_token(const char *token, size_t len, struct parts *p,
			       struct parsed_header *out)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	json_t *obj = NULL;
	enum lk_err err;

	/* Zeroed, so that no byte of the caller's copy comes from the stack. */
	memset(out, 0, sizeof(*out));
	err = split(token, len, p);
	if (err)
		goto out;
	err = LK_EPARSE;
	if (!cjose_base64url_decode(p->hdr, p->hdr_len, &raw, &raw_len, NULL))
		goto out;
	obj = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
	if (!obj)
		goto out;
	err = read_header(obj, out);
out:
	json_decref(obj);
	cjose_get_dealloc()(raw);
	return err;
}

/*
 * The index of an algorithm latchkey accepts, or -1. The accepted set is the
 * set latchkey signs with (ES256, RS256, PS256); names are case-sensitive
 * (RFC 7515 §4.1.1).
 */
static int accepted_alg(const struct parsed_header *ph)
{
	return ph->alg_unknown ? -1 : lk_alg_index(ph->h.alg);
}

/*
 * RFC 7519 §7.2 step 10: the claims set is a JSON object, without repeated
 * members. *claims (json_decref it) only on LK_OK; LK_EPARSE otherwise.
 */
static enum lk_err claims_of(const uint8_t *payload, size_t len, json_t **claims)
{
	json_t *obj = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(obj)) {
		json_decref(obj);
		return LK_EPARSE;
	}
	*claims = obj;
	return LK_OK;
}

/*
 * Checks the signature of the token with jwk, then parses the payload. The
 * signature must have the exact length the key gives (cjose is not trusted
 * to check it), and cjose must have read the same alg from the header as
 * parse_token did. Writes *claims only on success.
 */
static enum lk_err check_signature(const char *token, size_t len, const struct parts *p,
				   const struct parsed_header *ph, const cjose_jwk_t *jwk,
				   size_t sig_len, json_t **claims)
{
	cjose_jws_t *jws = NULL;
	const char *alg;
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	enum lk_err err = LK_EDENIED;

	if (p->sig_len != B64URL_LEN(sig_len))
		goto out;
	err = LK_EPARSE;
	jws = cjose_jws_import(token, len, NULL);
	if (!jws)
		goto out;
	err = LK_EDENIED;
	alg = cjose_header_get(cjose_jws_get_protected(jws), CJOSE_HDR_ALG, NULL);
	if (!alg || strcmp(alg, ph->h.alg) != 0)
		goto out;
	if (!cjose_jws_verify(jws, jwk, NULL))
		goto out;
	err = LK_EPARSE;
	if (!cjose_jws_get_plaintext(jws, &plain, &plain_len, NULL) || !plain)
		goto out;
	err = claims_of(plain, plain_len, claims);
out:
	cjose_jws_release(jws);
	return err;
}

/*
 * The size in bits of a JWK's RSA modulus (RFC 7518 §6.3.1.1), or 0 when n
 * is not canonical base64url or is out of bounds.
 */
static size_t modulus_bits(const json_t *n_member)
{
	const char *n = json_string_value(n_member);
	size_t n_len = json_string_length(n_member);
	uint8_t *raw = NULL;
	size_t raw_len = 0, i = 0, bits = 0;
	unsigned top;

	if (!n || n_len > B64URL_LEN(LK_RSA_MAX_BITS / 8) || !b64url_canonical(n, n_len))
		return 0;
	if (!cjose_base64url_decode(n, n_len, &raw, &raw_len, NULL))
		return 0;
	while (i < raw_len && raw[i] == 0)
		i++;
	if (i < raw_len) {
		bits = (raw_len - i - 1) * 8;
		for (top = raw[i]; top; top >>= 1)
			bits++;
	}
	cjose_get_dealloc()(raw);
	return bits;
}

enum lk_err lk_jwk_verify_params(const json_t *jwk, int idx, size_t *sig_len)
{
	const char *kty = json_string_value(json_object_get(jwk, JWK_KTY));
	const char *crv = json_string_value(json_object_get(jwk, JWK_CRV));
	size_t bits;

	if (idx < 0 || idx >= LK_ALG__COUNT || !kty || strcmp(kty, lk_alg_kty(idx)) != 0)
		return LK_EDENIED;
	if (idx == LK_ALG_ES256) {
		if (!crv || strcmp(crv, JWK_CRV_P256) != 0 ||
		    !json_is_string(json_object_get(jwk, JWK_X)) ||
		    !json_is_string(json_object_get(jwk, JWK_Y)))
			return LK_EDENIED;
		*sig_len = ES256_SIG_LEN;
		return LK_OK;
	}
	if (!json_is_string(json_object_get(jwk, JWK_E)))
		return LK_EDENIED;
	bits = modulus_bits(json_object_get(jwk, JWK_N));
	if (bits < LK_RSA_MIN_BITS || bits > LK_RSA_MAX_BITS)
		return LK_EDENIED;
	*sig_len = (bits + 7) / 8;
	return LK_OK;
}

/*
 * The members of a JWK that restrict its use must allow verifying alg: "alg"
 * equal to it (RFC 7517 §4.4), "use" "sig" (§4.2), and a "kid" equal to the
 * token's when both name one.
 */
static bool jwk_allows(const json_t *jwk, const struct parsed_header *ph)
{
	const json_t *alg = json_object_get(jwk, JWK_ALG);
	const json_t *use = json_object_get(jwk, JWK_USE);
	const json_t *kid = json_object_get(jwk, JWK_KID);

	if (alg && (!json_is_string(alg) || strcmp(json_string_value(alg), ph->h.alg) != 0))
		return false;
	if (use && (!json_is_string(use) || strcmp(json_string_value(use), JWK_USE_SIG) != 0))
		return false;
	if (kid && !json_is_string(kid))
		return false;
	return !kid || ph->h.kid[0] == '\0' || strcmp(json_string_value(kid), ph->h.kid) == 0;
}

/*
 * Imports the public part of a JWK for algorithm idx. Only the public
 * members are handed to cjose, so a private JWK passed by mistake is used as
 * the public key it contains. LK_EINVAL for text that is not a JSON object,
 * LK_ETOOBIG past LK_JWK_MAX, LK_EDENIED for a key that may not verify the
 * token (an "oct" key among them).
 */
static enum lk_err import_jwk(const char *text, int idx, const struct parsed_header *ph,
			      cjose_jwk_t **out, size_t *sig_len)
{
	size_t len = strnlen(text, LK_JWK_MAX + 1);
	json_t *parsed = NULL, *pub = NULL;
	cjose_jwk_t *jwk;
	enum lk_err err = LK_ETOOBIG;

	if (len > LK_JWK_MAX)
		goto out;
	err = LK_EINVAL;
	parsed = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(parsed))
		goto out;
	err = lk_jwk_verify_params(parsed, idx, sig_len);
	if (err)
		goto out;
	err = LK_EDENIED;
	if (!jwk_allows(parsed, ph))
		goto out;
	err = lk_jwk_public_obj(parsed, "", lk_alg_name(idx), &pub);
	if (err)
		goto out;
	/* cjose checks that an EC point is on the curve. */
	err = LK_EDENIED;
	jwk = cjose_jwk_import_json((cjose_header_t *)pub, NULL);
	if (!jwk)
		goto out;
	*out = jwk;
	err = LK_OK;
out:
	json_decref(pub);
	json_decref(parsed);
	return err;
}

enum lk_err lk_jwt_peek_header(const char *token, size_t len, struct lk_jwt_header *out)
{
	struct parsed_header ph;
	struct parts p;
	enum lk_err err = LK_EINVAL;

	if (!token || !out)
		goto out;
	err = parse_token(token, len, &p, &ph);
	if (err)
		goto out;
	/* An alg too long for the header struct cannot be described. */
	err = LK_EPARSE;
	if (ph.alg_unknown)
		goto out;
	*out = ph.h;
	err = LK_OK;
out:
	return err;
}

/*
 * The claims of a token whose exact bytes were verified before: its payload
 * decoded and parsed as check_signature does.
 */
static enum lk_err payload_claims(const struct parts *p, json_t **claims)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	enum lk_err err = LK_EPARSE;

	if (cjose_base64url_decode(p->payload, p->payload_len, &raw, &raw_len, NULL))
		err = claims_of(raw, raw_len, claims);
	cjose_get_dealloc()(raw);
	return err;
}

enum lk_err lk_jwt_verify_keyring(const struct lk_keyring *kr, const char *token, size_t len,
				  struct lk_jwt_header *hdr, void **claims)
{
	const struct lk_verifier *v;
	struct parsed_header ph;
	struct parts p;
	json_t *obj = NULL;
	uint8_t digest[LK_SHA256_LEN];
	enum lk_err err = LK_EINVAL;
	int idx;

	if (!kr || !token || !hdr || !claims)
		goto out;
	err = parse_token(token, len, &p, &ph);
	if (err)
		goto out;
	/* The algorithm, then the key it must belong to; no key is touched before. */
	err = LK_EDENIED;
	idx = accepted_alg(&ph);
	if (idx < 0 || ph.h.kid[0] == '\0')
		goto out;
	v = lk_keyring_verifier(kr, ph.h.kid, idx);
	if (!v)
		goto out;
	/* The same bytes verified under this keyring before: only the payload is read. */
	lk_sha256(token, len, digest);
	if (lk_verified_has(kr->verified, digest)) {
		err = payload_claims(&p, &obj);
	} else {
		err = check_signature(token, len, &p, &ph, v->jwk, v->sig_len, &obj);
		if (!err)
			lk_verified_add(kr->verified, digest);
	}
	if (err)
		goto out;
	*hdr = ph.h;
	*claims = obj;
out:
	return err;
}

enum lk_err lk_jwt_verify_jwk(const char *jwk_json, const char *token, size_t len,
			      struct lk_jwt_header *hdr, void **claims)
{
	struct parsed_header ph;
	struct parts p;
	cjose_jwk_t *jwk = NULL;
	json_t *obj = NULL;
	size_t sig_len = 0;
	enum lk_err err = LK_EINVAL;
	int idx;

	if (!jwk_json || !token || !hdr || !claims)
		goto out;
	err = parse_token(token, len, &p, &ph);
	if (err)
		goto out;
	/* Refused algorithms are refused before the JWK is even parsed. */
	err = LK_EDENIED;
	idx = accepted_alg(&ph);
	if (idx < 0)
		goto out;
	err = import_jwk(jwk_json, idx, &ph, &jwk, &sig_len);
	if (err)
		goto out;
	err = check_signature(token, len, &p, &ph, jwk, sig_len, &obj);
	if (err)
		goto out;
	*hdr = ph.h;
	*claims = obj;
out:
	cjose_jwk_release(jwk);
	return err;
}
