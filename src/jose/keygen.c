/*
 * Signing key generation, RFC 7638 thumbprints, and the public form of a JWK
 * that goes into the JWKS.
 */
#include "jose/keyring.h"

#include <stdlib.h>
#include <string.h>

#include <cjose/jwk.h>
#include <cjose/util.h>

#include "core/secure.h"
#include "jose/jose_int.h"

/* RSA keys are 2048 bits with the public exponent 65537 (RFC 7518 §3.3, §3.5). */
#define RSA_BITS 2048

struct alg_info {
	const char *name;
	const char *kty;
};

static const struct alg_info algs[LK_ALG__COUNT] = {
	[LK_ALG_ES256] = {"ES256", JWK_KTY_EC},
	[LK_ALG_RS256] = {"RS256", JWK_KTY_RSA},
	[LK_ALG_PS256] = {"PS256", JWK_KTY_RSA},
};

/* The members RFC 7638 §3.2 requires, in lexicographic order, per key type. */
static const char *const ec_members[] = {JWK_CRV, JWK_KTY, JWK_X, JWK_Y, NULL};
static const char *const rsa_members[] = {JWK_E, JWK_KTY, JWK_N, NULL};

/* The public members of the published JWK, in the order they are written. */
static const char *const ec_public[] = {JWK_KTY, JWK_CRV, JWK_X, JWK_Y, NULL};
static const char *const rsa_public[] = {JWK_KTY, JWK_N, JWK_E, NULL};

int lk_alg_index(const char *alg)
{
	int i;

	if (!alg)
		return -1;
	for (i = 0; i < LK_ALG__COUNT; i++) {
		if (strcmp(alg, algs[i].name) == 0)
			return i;
	}
	return -1;
}

const char *lk_alg_name(int idx)
{
	return idx >= 0 && idx < LK_ALG__COUNT ? algs[idx].name : "";
}

const char *lk_alg_kty(int idx)
{
	return idx >= 0 && idx < LK_ALG__COUNT ? algs[idx].kty : "";
}

bool lk_alg_supported(const char *alg)
{
	return lk_alg_index(alg) >= 0;
}

/* The member lists of jwk's key type; NULL for a type latchkey does not use. */
static const char *const *members_for(const json_t *jwk, bool published)
{
	const char *kty = json_string_value(json_object_get(jwk, JWK_KTY));

	if (!kty)
		return NULL;
	if (strcmp(kty, JWK_KTY_EC) == 0)
		return published ? ec_public : ec_members;
	if (strcmp(kty, JWK_KTY_RSA) == 0)
		return published ? rsa_public : rsa_members;
	return NULL;
}

/* Copies the named string members of src into a new object, in list order. */
static enum lk_err copy_members(const json_t *src, const char *const *names, json_t **out)
{
	json_t *obj = json_object();
	json_t *v;
	enum lk_err err = LK_ENOMEM;

	if (!obj)
		goto out;
	for (; *names; names++) {
		v = json_object_get(src, *names);
		err = LK_EPARSE;
		if (!json_is_string(v) || json_string_length(v) == 0)
			goto out;
		err = LK_ENOMEM;
		if (json_object_set_new(obj, *names, json_string(json_string_value(v))) != 0)
			goto out;
	}
	*out = obj;
	obj = NULL;
	err = LK_OK;
out:
	json_decref(obj);
	return err;
}

enum lk_err lk_jwk_thumbprint_obj(const json_t *jwk, char out[LK_KID_MAX])
{
	const char *const *names = members_for(jwk, false);
	uint8_t digest[LK_SHA256_LEN];
	json_t *req = NULL;
	char *canon = NULL;
	enum lk_err err = LK_EINVAL;

	if (!json_is_object(jwk))
		return LK_EPARSE;
	if (!names)
		goto out;
	err = copy_members(jwk, names, &req);
	if (err)
		goto out;
	/*
	 * RFC 7638 §3.3: no whitespace, members sorted by name. The values are
	 * base64url or fixed names, which JSON never escapes, so jansson's
	 * compact sorted output is the canonical form.
	 */
	err = LK_ENOMEM;
	canon = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
	if (!canon)
		goto out;
	lk_sha256(canon, strlen(canon), digest);
	lk_b64url_encode(digest, sizeof(digest), out);
	err = LK_OK;
out:
	free(canon);
	json_decref(req);
	return err;
}

enum lk_err lk_jwk_thumbprint(const char *public_jwk_json, char out[LK_KID_MAX])
{
	json_t *jwk = NULL;
	enum lk_err err = LK_EINVAL;
	size_t len;

	if (!public_jwk_json || !out)
		goto out;
	len = strnlen(public_jwk_json, LK_JWK_MAX + 1);
	err = LK_ETOOBIG;
	if (len > LK_JWK_MAX)
		goto out;
	err = LK_EPARSE;
	jwk = json_loadb(public_jwk_json, len, JSON_REJECT_DUPLICATES, NULL);
	if (!jwk)
		goto out;
	err = lk_jwk_thumbprint_obj(jwk, out);
out:
	json_decref(jwk);
	return err;
}

enum lk_err lk_jwk_public_obj(const json_t *jwk, const char *kid, const char *alg, json_t **out)
{
	const char *const *names = members_for(jwk, true);
	json_t *pub = NULL;
	enum lk_err err = LK_EPARSE;

	if (!names)
		goto out;
	err = copy_members(jwk, names, &pub);
	if (err)
		goto out;
	err = LK_ENOMEM;
	if (json_object_set_new(pub, JWK_KID, json_string(kid)) != 0 ||
	    json_object_set_new(pub, JWK_USE, json_string(JWK_USE_SIG)) != 0 ||
	    json_object_set_new(pub, JWK_ALG, json_string(alg)) != 0)
		goto out;
	*out = pub;
	pub = NULL;
	err = LK_OK;
out:
	json_decref(pub);
	return err;
}

static cjose_jwk_t *new_key_pair(int idx)
{
	static const uint8_t e65537[] = {0x01, 0x00, 0x01};

	if (idx == LK_ALG_ES256)
		return cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, NULL);
	return cjose_jwk_create_RSA_random(RSA_BITS, e65537, sizeof(e65537), NULL);
}

/* Fills kid and public_jwk of rec from the public half of jwk. */
static enum lk_err describe_public(const cjose_jwk_t *jwk, const char *alg,
				   struct lk_key_record *rec)
{
	char kid[LK_KID_MAX];
	char *text = NULL;
	json_t *parsed = NULL, *pub = NULL;
	enum lk_err err = LK_ECRYPTO;

	text = cjose_jwk_to_json(jwk, false, NULL);
	if (!text)
		goto out;
	err = LK_EPARSE;
	parsed = json_loads(text, 0, NULL);
	if (!parsed)
		goto out;
	err = lk_jwk_thumbprint_obj(parsed, kid);
	if (err)
		goto out;
	err = lk_jwk_public_obj(parsed, kid, alg, &pub);
	if (err)
		goto out;
	err = LK_ENOMEM;
	rec->public_jwk = json_dumps(pub, JSON_COMPACT);
	rec->kid = strdup(kid);
	if (!rec->public_jwk || !rec->kid)
		goto out;
	err = LK_OK;
out:
	cjose_get_dealloc()(text);
	json_decref(parsed);
	json_decref(pub);
	return err;
}

/* Fills private_sealed of rec: the private JWK sealed with the kid as aad. */
static enum lk_err seal_private(const cjose_jwk_t *jwk, const struct lk_master_key *mk,
				struct lk_key_record *rec)
{
	char *text;
	enum lk_err err;

	text = cjose_jwk_to_json(jwk, true, NULL);
	if (!text)
		return LK_ECRYPTO;
	err = lk_seal(mk, rec->kid, text, strlen(text), &rec->private_sealed,
		      &rec->private_sealed_len);
	lk_wipe(text, strlen(text));
	cjose_get_dealloc()(text);
	return err;
}

static void record_clear(struct lk_key_record *r)
{
	free(r->kid);
	free(r->alg);
	free(r->public_jwk);
	if (r->private_sealed) {
		lk_wipe(r->private_sealed, r->private_sealed_len);
		free(r->private_sealed);
	}
	memset(r, 0, sizeof(*r));
}

enum lk_err lk_key_generate(const char *alg, const struct lk_master_key *mk, int64_t now,
			    int64_t activate_at, struct lk_key_record *rec)
{
	struct lk_key_record r = {0};
	cjose_jwk_t *jwk = NULL;
	int idx = lk_alg_index(alg);
	enum lk_err err = LK_EINVAL;

	if (idx < 0 || !mk || !rec)
		goto out;
	err = LK_ECRYPTO;
	jwk = new_key_pair(idx);
	if (!jwk)
		goto out;
	err = describe_public(jwk, lk_alg_name(idx), &r);
	if (err)
		goto out;
	err = seal_private(jwk, mk, &r);
	if (err)
		goto out;
	err = LK_ENOMEM;
	r.alg = strdup(lk_alg_name(idx));
	if (!r.alg)
		goto out;
	r.created_at = now;
	r.activate_at = activate_at;
	*rec = r;
	memset(&r, 0, sizeof(r));
	err = LK_OK;
out:
	record_clear(&r);
	/* OpenSSL clears the private key material when the key is freed. */
	cjose_jwk_release(jwk);
	return err;
}
