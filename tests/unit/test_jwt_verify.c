/*
 * Tests of src/jose/jwt_verify.c: tokens of the keyring and of one JWK, the
 * algorithm confusion attacks, strict parsing, and concurrent verification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/base64.h>
#include <cjose/header.h>
#include <cjose/jwk.h>
#include <cjose/jws.h>
#include <cjose/util.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "core/log.h"
#include "core/secure.h"
#include "jose/jose_int.h"
#include "jose/jwt_verify.h"
#include "jose/verified.h"
#include "jose/keyring.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Rows of the keyrings. The first four come from lk_key_generate, so that
 * lk_jwt_sign signs with them; the last two are keys made here with OpenSSL
 * (whose PEM the HMAC attack needs), published as retired keys.
 */
enum { K_ES_A, K_ES_B, K_RS, K_PS, K_XRS, K_XEC, K__COUNT };

/* A key pair made with OpenSSL, as a private and a public JWK. */
struct made_key {
	EVP_PKEY *pkey;
	char *priv;
	char *pub;
};

static const char claims_text[] = "{\"iss\":\"https://i.example\",\"sub\":\"alice\",\"exp\":9}";

static struct lk_master_key mk;
static struct lk_key_record keys[K__COUNT];
static struct made_key xrs, xec, other_ec;
/*
 * kr150: ES_B signs ES256, ES_A is next. kr300: ES_A signs, ES_B is retired.
 * kr2000: ES_B has expired. RS and PS sign RS256 and PS256 throughout.
 */
static struct lk_keyring *kr150, *kr300, *kr2000;

static char *b64u(const void *data, size_t n)
{
	char *enc = NULL, *copy;
	size_t len = 0;

	assert_true(cjose_base64url_encode(data, n, &enc, &len, NULL));
	copy = strndup(enc, len);
	assert_non_null(copy);
	cjose_get_dealloc()(enc);
	return copy;
}

static char *join3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 3;
	char *s = malloc(n);

	assert_non_null(s);
	snprintf(s, n, "%s.%s.%s", a, b, c);
	return s;
}

/* A token from header and payload JSON and a signature already encoded. */
static char *token_of(const char *hdr, const char *payload, const char *sig)
{
	char *h = b64u(hdr, strlen(hdr)), *p = b64u(payload, strlen(payload));
	char *t = join3(h, p, sig);

	free(h);
	free(p);
	return t;
}

/* Part i (0, 1, 2) of a compact token. */
static char *part(const char *token, int i)
{
	size_t off = 0;

	while (i-- > 0)
		off += strcspn(token + off, ".") + 1;
	return strndup(token + off, strcspn(token + off, "."));
}

/* The token with its header replaced by hdr and the rest kept. */
static char *with_header(const char *token, const char *hdr)
{
	char *h = b64u(hdr, strlen(hdr)), *p = part(token, 1), *s = part(token, 2);
	char *t = join3(h, p, s);

	free(h);
	free(p);
	free(s);
	return t;
}

static char *hdr_json(const char *alg, const char *kid)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "{\"alg\":\"%s\",\"kid\":\"%s\"}", alg, kid);
	return buf;
}

/* Signs any header and payload (JSON text) with a private JWK (JSON text). */
static char *sign_text(const char *priv, const char *hdr, const char *payload)
{
	cjose_jwk_t *jwk = cjose_jwk_import(priv, strlen(priv), NULL);
	json_t *h = json_loads(hdr, 0, NULL);
	const char *compact = NULL;
	cjose_jws_t *jws;
	char *out;

	assert_non_null(jwk);
	assert_non_null(h);
	jws = cjose_jws_sign(jwk, (cjose_header_t *)h, (const uint8_t *)payload, strlen(payload),
			     NULL);
	assert_non_null(jws);
	assert_true(cjose_jws_export(jws, &compact, NULL));
	out = strdup(compact);
	cjose_jws_release(jws);
	json_decref(h);
	cjose_jwk_release(jwk);
	return out;
}

/* Signs with the sealed private key of a row. */
static char *sign_row(int k, const char *hdr, const char *payload)
{
	unsigned char *plain = NULL;
	size_t plen = 0;
	char *t;

	assert_int_equal(lk_unseal(&mk, keys[k].kid, keys[k].private_sealed,
				   keys[k].private_sealed_len, &plain, &plen),
			 LK_OK);
	t = sign_text((char *)plain, hdr, payload);
	lk_wipe(plain, plen);
	free(plain);
	return t;
}

static char *sign_kr(const struct lk_keyring *kr, const char *alg, const char *typ)
{
	char *jwt = NULL;

	assert_int_equal(lk_jwt_sign(kr, alg, typ, claims_text, strlen(claims_text), &jwt), LK_OK);
	return jwt;
}

/*
 * Verifies with kr, or with the JWK text jwk when kr is NULL, and checks that
 * a failure wrote nothing.
 */
static enum lk_err verify(const struct lk_keyring *kr, const char *jwk, const char *token,
			  size_t len)
{
	struct lk_jwt_header h;
	unsigned char *b = (unsigned char *)&h;
	void *claims = &h;
	enum lk_err err;
	size_t i;

	memset(&h, 0x5a, sizeof(h));
	if (kr)
		err = lk_jwt_verify_keyring(kr, token, len, &h, &claims);
	else
		err = lk_jwt_verify_jwk(jwk, token, len, &h, &claims);
	if (err == LK_OK) {
		assert_true(json_is_object((json_t *)claims));
		json_decref(claims);
		return err;
	}
	assert_ptr_equal(claims, &h);
	for (i = 0; i < sizeof(h); i++)
		assert_int_equal(b[i], 0x5a);
	return err;
}

#define vks(kr, t) verify((kr), NULL, (t), strlen(t))
#define vj(jwk, t) verify(NULL, (jwk), (t), strlen(t))

/* Checks the verdict on a token made for the purpose, then frees the token. */
static void expect(const struct lk_keyring *kr, const char *jwk, char *token, enum lk_err want)
{
	assert_int_equal(verify(kr, jwk, token, strlen(token)), want);
	free(token);
}

/* Sets member name of obj to the base64url of a BIGNUM parameter of pkey. */
static void set_bn(json_t *obj, const char *name, EVP_PKEY *pkey, const char *param, int pad)
{
	unsigned char buf[1024];
	BIGNUM *bn = NULL;
	char *s;
	int n;

	assert_int_equal(EVP_PKEY_get_bn_param(pkey, param, &bn), 1);
	n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
	assert_true(n > 0);
	s = b64u(buf, (size_t)n);
	json_object_set_new(obj, name, json_string(s));
	free(s);
	BN_clear_free(bn);
}

/* A fresh key pair: RSA of bits bits, or EC on curve ("P-256", "P-384"). */
static void make_key(const char *curve, int bits, struct made_key *out)
{
	static const char *const rsa[][2] = {
		{"n", OSSL_PKEY_PARAM_RSA_N},	       {"e", OSSL_PKEY_PARAM_RSA_E},
		{"d", OSSL_PKEY_PARAM_RSA_D},	       {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
		{"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
		{"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
	json_t *j = json_object();
	size_t i;

	if (!curve) {
		out->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
		assert_non_null(out->pkey);
		json_object_set_new(j, "kty", json_string("RSA"));
		for (i = 0; i < N_OF(rsa); i++) {
			if (i == 2)
				out->pub = json_dumps(j, JSON_COMPACT);
			set_bn(j, rsa[i][0], out->pkey, rsa[i][1], 0);
		}
	} else {
		out->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
		assert_non_null(out->pkey);
		json_object_set_new(j, "kty", json_string("EC"));
		json_object_set_new(j, "crv", json_string(curve));
		set_bn(j, "x", out->pkey, OSSL_PKEY_PARAM_EC_PUB_X, bits / 8);
		set_bn(j, "y", out->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, bits / 8);
		out->pub = json_dumps(j, JSON_COMPACT);
		set_bn(j, "d", out->pkey, OSSL_PKEY_PARAM_PRIV_KEY, bits / 8);
	}
	out->priv = json_dumps(j, JSON_COMPACT);
	json_decref(j);
}

static void made_key_free(struct made_key *k)
{
	EVP_PKEY_free(k->pkey);
	free(k->priv);
	free(k->pub);
}

/* A key row for a key made here, as the store would hold it. */
static void row_of(const struct made_key *k, const char *alg, struct lk_key_record *r)
{
	char kid[LK_KID_MAX];

	assert_int_equal(lk_jwk_thumbprint(k->pub, kid), LK_OK);
	r->kid = strdup(kid);
	r->alg = strdup(alg);
	r->public_jwk = strdup(k->pub);
	assert_int_equal(lk_seal(&mk, kid, k->priv, strlen(k->priv), &r->private_sealed,
				 &r->private_sealed_len),
			 LK_OK);
}

static struct lk_key_record row_times(int k, int64_t act, int64_t ret, int64_t exp)
{
	struct lk_key_record r = keys[k];

	r.activate_at = act;
	r.retire_at = ret;
	r.expire_at = exp;
	return r;
}

static int group_setup(void **state)
{
	static const char *const alg_of[] = {"ES256", "ES256", "RS256", "PS256"};
	struct lk_key_record rows[K__COUNT];
	int i;

	(void)state;
	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	if (lk_random_bytes(mk.k, sizeof(mk.k)) != LK_OK)
		return -1;
	for (i = 0; i < K_XRS; i++) {
		if (lk_key_generate(alg_of[i], &mk, 10, 10, &keys[i]) != LK_OK)
			return -1;
	}
	make_key(NULL, 2048, &xrs);
	make_key("P-256", 256, &xec);
	make_key("P-256", 256, &other_ec);
	row_of(&xrs, "RS256", &keys[K_XRS]);
	row_of(&xec, "ES256", &keys[K_XEC]);
	rows[K_ES_A] = row_times(K_ES_A, 250, 0, 0);
	rows[K_ES_B] = row_times(K_ES_B, 50, 200, 1000);
	rows[K_RS] = row_times(K_RS, 50, 0, 0);
	rows[K_PS] = row_times(K_PS, 50, 0, 0);
	rows[K_XRS] = row_times(K_XRS, 20, 40, 0);
	rows[K_XEC] = row_times(K_XEC, 20, 40, 0);
	if (lk_keyring_build(rows, K__COUNT, &mk, 150, &kr150) != LK_OK ||
	    lk_keyring_build(rows, K__COUNT, &mk, 300, &kr300) != LK_OK ||
	    lk_keyring_build(rows, K__COUNT, &mk, 2000, &kr2000) != LK_OK)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	int i;

	(void)state;
	lk_keyring_unref(kr150);
	lk_keyring_unref(kr300);
	lk_keyring_unref(kr2000);
	for (i = 0; i < K__COUNT; i++)
		lk_key_record_release(&keys[i]);
	made_key_free(&xrs);
	made_key_free(&xec);
	made_key_free(&other_ec);
	lk_master_key_wipe(&mk);
	return 0;
}

/* --- the keyring ------------------------------------------------------ */

static void expect_valid(const struct lk_keyring *kr, const char *token, const char *alg,
			 const char *kid, const char *typ)
{
	struct lk_jwt_header h;
	void *claims = NULL;
	json_t *c;

	assert_int_equal(lk_jwt_verify_keyring(kr, token, strlen(token), &h, &claims), LK_OK);
	c = claims;
	assert_true(json_is_object(c));
	assert_string_equal(json_string_value(json_object_get(c, "sub")), "alice");
	assert_int_equal(json_integer_value(json_object_get(c, "exp")), 9);
	assert_string_equal(h.alg, alg);
	assert_string_equal(h.kid, kid);
	assert_string_equal(h.typ, typ);
	assert_string_equal(h.x5t_s256, "");
	json_decref(c);
}

static void test_keyring_valid(void **state)
{
	static const char *const algs[] = {"ES256", "RS256", "PS256"};
	static const int signer[] = {K_ES_A, K_RS, K_PS};
	char *jwt;
	size_t i;

	(void)state;
	for (i = 0; i < N_OF(algs); i++) {
		jwt = sign_kr(kr300, algs[i], "at+jwt");
		expect_valid(kr300, jwt, algs[i], keys[signer[i]].kid, "at+jwt");
		free(jwt);
		jwt = sign_kr(kr300, algs[i], NULL);
		expect_valid(kr300, jwt, algs[i], keys[signer[i]].kid, "");
		/* Another snapshot of the same rows verifies it as well. */
		assert_int_equal(vks(kr2000, jwt), LK_OK);
		free(jwt);
	}
	/* Keys made elsewhere and published as retired verify too. */
	jwt = sign_text(xrs.priv, hdr_json("RS256", keys[K_XRS].kid), claims_text);
	expect_valid(kr300, jwt, "RS256", keys[K_XRS].kid, "");
	free(jwt);
	jwt = sign_text(xec.priv, hdr_json("ES256", keys[K_XEC].kid), claims_text);
	expect_valid(kr300, jwt, "ES256", keys[K_XEC].kid, "");
	free(jwt);
}

static void test_keyring_rotation(void **state)
{
	char *jwt, kid[LK_KID_MAX];

	(void)state;
	/* Signed by ES_B while it was active; it stays published while retired. */
	jwt = sign_kr(kr150, "ES256", "at+jwt");
	expect_valid(kr150, jwt, "ES256", keys[K_ES_B].kid, "at+jwt");
	expect_valid(kr300, jwt, "ES256", keys[K_ES_B].kid, "at+jwt");
	/* Once it has expired, its tokens are refused. */
	assert_int_equal(vks(kr2000, jwt), LK_EDENIED);
	free(jwt);

	/* A key that is only next is already published, so it verifies too. */
	expect(kr150, NULL, sign_row(K_ES_A, hdr_json("ES256", keys[K_ES_A].kid), claims_text),
	       LK_OK);
	/* A key the keyring never had does not, even with a valid signature. */
	assert_int_equal(lk_jwk_thumbprint(other_ec.pub, kid), LK_OK);
	jwt = sign_text(other_ec.priv, hdr_json("ES256", kid), claims_text);
	assert_int_equal(vks(kr300, jwt), LK_EDENIED);
	assert_int_equal(vj(other_ec.pub, jwt), LK_OK);
	free(jwt);
}

static void test_keyring_tampered(void **state)
{
	static const char mallory[] = "{\"iss\":\"https://i.example\",\"sub\":\"mallory\"}";
	char *jwt = sign_kr(kr300, "ES256", "at+jwt");
	char *h = part(jwt, 0), *p = b64u(mallory, strlen(mallory)), *s = part(jwt, 2);
	char *bad, hdr[256];
	size_t i;

	(void)state;
	/*
	 * Verified first, so the keyring remembers it: what follows must be
	 * caught all the same, since the remembered digest covers every byte.
	 */
	assert_int_equal(vks(kr300, jwt), LK_OK);
	/* Another payload under the same header and signature. */
	expect(kr300, NULL, join3(h, p, s), LK_EDENIED);
	free(p);
	p = part(jwt, 1);
	/* One character changed anywhere (the last one may make it non-canonical). */
	for (i = 0; i < strlen(jwt); i += 5) {
		if (jwt[i] == '.')
			continue;
		bad = strdup(jwt);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_not_equal(vks(kr300, bad), LK_OK);
		free(bad);
	}
	/* A header rewritten with the same alg and kid but another typ. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
		 keys[K_ES_A].kid);
	expect(kr300, NULL, with_header(jwt, hdr), LK_EDENIED);
	/* A signature cut short (by whole groups, so still canonical) or lengthened. */
	expect(kr300, NULL, join3(h, p, s + 4), LK_EDENIED);
	snprintf(hdr, sizeof(hdr), "AAAA%s", s);
	expect(kr300, NULL, join3(h, p, hdr), LK_EDENIED);
	/* The token read with a shorter length is not the token. */
	assert_int_not_equal(verify(kr300, NULL, jwt, strlen(jwt) - 2), LK_OK);
	assert_int_equal(vks(kr300, jwt), LK_OK);
	free(h);
	free(p);
	free(s);
	free(jwt);
}

/* The digests of verified tokens: found once added, in constant-size memory. */
static void test_verified_set(void **state)
{
	struct lk_verified *v = lk_verified_new();
	uint8_t a[LK_SHA256_LEN], b[LK_SHA256_LEN];

	(void)state;
	assert_non_null(v);
	lk_sha256("token a", 7, a);
	memcpy(b, a, sizeof(b));
	b[LK_SHA256_LEN - 1] ^= 1; /* the same slot, another digest */
	assert_false(lk_verified_has(v, a));
	lk_verified_add(v, a);
	assert_true(lk_verified_has(v, a));
	assert_false(lk_verified_has(v, b));
	/* A newer digest takes the slot; the older one must be verified again. */
	lk_verified_add(v, b);
	assert_true(lk_verified_has(v, b));
	assert_false(lk_verified_has(v, a));
	lk_verified_free(v);
	assert_false(lk_verified_has(NULL, a));
	lk_verified_add(NULL, a);
	lk_verified_free(NULL);
}

/* A token verified again gives the same claims, from the remembered digest. */
static void test_keyring_remembers(void **state)
{
	char *jwt = sign_kr(kr300, "ES256", "at+jwt");

	(void)state;
	for (int i = 0; i < 3; i++)
		expect_valid(kr300, jwt, "ES256", keys[K_ES_A].kid, "at+jwt");
	free(jwt);
}

static void test_keyring_alg_confusion(void **state)
{
	static const char *const refused[] = {"none",
					      "None",
					      "HS256",
					      "HS384",
					      "HS512",
					      "ES384",
					      "RS512",
					      "EdDSA",
					      "es256",
					      "",
					      "ES256ES256ES256ES256"};
	char *es = sign_kr(kr300, "ES256", NULL), *rs = sign_kr(kr300, "RS256", NULL);
	char *bad;
	size_t i;

	(void)state;
	/* The ES256 kid with alg RS256, and the RS256 kid with PS256 or ES256. */
	expect(kr300, NULL, with_header(es, hdr_json("RS256", keys[K_ES_A].kid)), LK_EDENIED);
	expect(kr300, NULL, with_header(rs, hdr_json("PS256", keys[K_RS].kid)), LK_EDENIED);
	expect(kr300, NULL, with_header(rs, hdr_json("ES256", keys[K_RS].kid)), LK_EDENIED);
	/* Every other alg, with a real signature or with none at all. */
	for (i = 0; i < N_OF(refused); i++) {
		bad = with_header(es, hdr_json(refused[i], keys[K_ES_A].kid));
		assert_int_equal(vks(kr300, bad), LK_EDENIED);
		assert_int_equal(vj(keys[K_ES_A].public_jwk, bad), LK_EDENIED);
		/* Refused before the key is looked at: even a broken JWK. */
		assert_int_equal(vj("not a jwk", bad), LK_EDENIED);
		free(bad);
		bad = token_of(hdr_json(refused[i], keys[K_ES_A].kid), claims_text, "");
		assert_int_equal(vks(kr300, bad), LK_EDENIED);
		assert_int_equal(vj(keys[K_ES_A].public_jwk, bad), LK_EDENIED);
		free(bad);
	}
	expect(kr300, NULL, token_of("{\"alg\":\"none\"}", claims_text, ""), LK_EDENIED);
	free(es);
	free(rs);
}

/* True when cjose, given secret as an HMAC key, accepts the token: the attack is real. */
static bool hmac_accepts(const char *token, const char *secret)
{
	cjose_jwk_t *k = cjose_jwk_create_oct_spec((const uint8_t *)secret, strlen(secret), NULL);
	cjose_jws_t *jws = cjose_jws_import(token, strlen(token), NULL);
	bool ok;

	assert_non_null(k);
	assert_non_null(jws);
	ok = cjose_jws_verify(jws, k, NULL);
	cjose_jws_release(jws);
	cjose_jwk_release(k);
	return ok;
}

/* An HS256 token whose HMAC key is secret: what a confused verifier would accept. */
static char *hs256_token(const char *kid, const char *secret)
{
	char hdr[160], *input, *sig, *t;
	unsigned char mac[32];
	unsigned int maclen = 0;

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
	/* "header.payload." : the signing input and the dot before the signature. */
	input = token_of(hdr, claims_text, "");
	assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)input,
			     strlen(input) - 1, mac, &maclen));
	sig = b64u(mac, maclen);
	t = malloc(strlen(input) + strlen(sig) + 1);
	memcpy(t, input, strlen(input));
	memcpy(t + strlen(input), sig, strlen(sig) + 1);
	free(input);
	free(sig);
	return t;
}

static char *pem_of(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *mem, *pem;
	long len;

	assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
	len = BIO_get_mem_data(bio, &mem);
	pem = strndup(mem, (size_t)len);
	BIO_free(bio);
	assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
	return pem;
}

static void test_hmac_with_public_key(void **state)
{
	static const int ks[] = {K_XRS, K_XEC};
	struct made_key *made[] = {&xrs, &xec};
	json_t *jwks = json_loads(lk_keyring_jwks(kr300), 0, NULL), *k;
	char *secrets[3], *t;
	size_t i, j, s;

	(void)state;
	for (j = 0; j < N_OF(ks); j++) {
		const struct lk_key_record *r = &keys[ks[j]];

		/* The PEM, the row's JWK, and the JWK as the JWKS publishes it. */
		secrets[0] = pem_of(made[j]->pkey);
		secrets[1] = strdup(r->public_jwk);
		secrets[2] = NULL;
		json_array_foreach(json_object_get(jwks, "keys"), i, k)
		{
			if (strcmp(json_string_value(json_object_get(k, "kid")), r->kid) == 0)
				secrets[2] = json_dumps(k, JSON_COMPACT);
		}
		assert_non_null(secrets[2]);
		for (s = 0; s < N_OF(secrets); s++) {
			t = hs256_token(r->kid, secrets[s]);
			assert_true(hmac_accepts(t, secrets[s]));
			assert_int_equal(vks(kr300, t), LK_EDENIED);
			assert_int_equal(vj(r->public_jwk, t), LK_EDENIED);
			assert_int_equal(vj(secrets[2], t), LK_EDENIED);
			free(t);
			free(secrets[s]);
		}
	}
	json_decref(jwks);
}

static void test_keyring_kid(void **state)
{
	char *jwt = sign_kr(kr300, "ES256", NULL);
	char *bad, hdr[256];

	(void)state;
	expect(kr300, NULL, with_header(jwt, hdr_json("ES256", "nowhere")), LK_EDENIED);
	expect(kr300, NULL, with_header(jwt, hdr_json("ES256", "")), LK_EDENIED);
	/* Without a kid nothing is tried, even with a valid signature. */
	bad = sign_row(K_ES_A, "{\"alg\":\"ES256\"}", claims_text);
	assert_int_equal(vks(kr300, bad), LK_EDENIED);
	assert_int_equal(vj(keys[K_ES_A].public_jwk, bad), LK_OK);
	free(bad);
	/* A crit header is refused even when the signature holds. */
	snprintf(hdr, sizeof(hdr),
		 "{\"alg\":\"ES256\",\"kid\":\"%s\",\"crit\":[\"exp\"],\"exp\":1}",
		 keys[K_ES_A].kid);
	bad = sign_row(K_ES_A, hdr, claims_text);
	assert_int_equal(vks(kr300, bad), LK_EPARSE);
	assert_int_equal(vj(keys[K_ES_A].public_jwk, bad), LK_EPARSE);
	free(bad);
	free(jwt);
}

static void test_payload_not_object(void **state)
{
	static const char *const payloads[] = {"[1,2]",	      "\"text\"", "42", "{\"a\":1,\"a\":2}",
					       "{\"a\":1} x", "{"};
	char *t, *s;
	size_t i;

	(void)state;
	for (i = 0; i < N_OF(payloads); i++) {
		t = sign_row(K_RS, hdr_json("RS256", keys[K_RS].kid), payloads[i]);
		assert_int_equal(vks(kr300, t), LK_EPARSE);
		/* Unsigned, the payload is never parsed: the signature fails first. */
		s = part(t, 2);
		s[10] = s[10] == 'A' ? 'B' : 'A';
		expect(kr300, NULL, token_of(hdr_json("RS256", keys[K_RS].kid), payloads[i], s),
		       LK_EDENIED);
		free(s);
		free(t);
	}
}

/* --- strict parsing --------------------------------------------------- */

static void test_shape(void **state)
{
	/* {"alg":"ES256"} . {} . three zero bytes, spoiled one way or another. */
	static const char *const bad[] = {
		"", ".", "..", "...", "abc", "eyJhbGciOiJFUzI1NiJ9.e30",
		"eyJhbGciOiJFUzI1NiJ9.e30.AAAA.AAAA", "eyJhbGciOiJFUzI1NiJ9..AAAA", ".e30.AAAA",
		"eyJhbGciOiJFUzI1NiJ9=.e30.AAAA", "eyJhbGciOiJFUzI1NiJ9.e30=.AAAA",
		"eyJhbGciOiJFUzI1NiJ9.e30.AAA=", " eyJhbGciOiJFUzI1NiJ9.e30.AAAA",
		"eyJhbGciOiJFUzI1NiJ9.e30.AAAA ", "eyJhbGciOiJFUzI1NiJ9 .e30.AAAA",
		"eyJhbGciOiJFUzI1NiJ9.e30.AAAA\n", "eyJhbGciOiJFUzI1NiJ9.e3+.AAAA",
		"eyJhbGciOiJFUzI1NiJ9.e30.AA/A", "eyJhbGciOiJFUzI1NiJ9.e30.AAAAA",
		/* Not canonical: the last character carries bits past the data. */
		"eyJhbGciOiJFUzI1NiJ9.e31.AAAA", "eyJhbGciOiJFUzI1NiJ9.e30.AAB"};
	/* Headers that are not an object with a string alg and string members. */
	static const char *const bad_hdr[] = {
		"[\"alg\"]",
		"{\"kid\":\"x\"}",
		"{\"alg\":256}",
		"{\"alg\":\"ES256\",\"alg\":\"none\"}",
		"{\"alg\":\"ES256\"",
		"{\"alg\":\"ES256\",\"kid\":7}",
		"{\"alg\":\"ES256\",\"typ\":null}",
		"{\"alg\":\"ES256\",\"x5t#S256\":[]}",
		"{\"alg\":\"ES256\",\"crit\":[\"b64\"],\"b64\":false}"};
	struct lk_jwt_header h;
	char *big, *t;
	size_t i;

	(void)state;
	for (i = 0; i < N_OF(bad); i++) {
		assert_int_equal(vks(kr300, bad[i]), LK_EPARSE);
		assert_int_equal(vj(keys[K_ES_A].public_jwk, bad[i]), LK_EPARSE);
		assert_int_equal(lk_jwt_peek_header(bad[i], strlen(bad[i]), &h), LK_EPARSE);
	}
	for (i = 0; i < N_OF(bad_hdr); i++) {
		t = token_of(bad_hdr[i], claims_text, "AAAA");
		assert_int_equal(vks(kr300, t), LK_EPARSE);
		assert_int_equal(lk_jwt_peek_header(t, strlen(t), &h), LK_EPARSE);
		free(t);
	}
	/* A NUL inside the given length. */
	assert_int_equal(verify(kr300, NULL, "eyJhbGciOiJFUzI1NiJ9.e30.AA\0A", 29), LK_EPARSE);

	/* Oversize tokens are refused before anything is decoded. */
	big = malloc(LK_JWT_MAX + 2);
	memset(big, 'A', LK_JWT_MAX + 1);
	big[LK_JWT_MAX + 1] = '\0';
	big[100] = '.';
	big[200] = '.';
	assert_int_equal(verify(kr300, NULL, big, LK_JWT_MAX + 1), LK_ETOOBIG);
	assert_int_equal(lk_jwt_peek_header(big, LK_JWT_MAX + 1, &h), LK_ETOOBIG);
	assert_int_equal(verify(kr300, NULL, big, LK_JWT_MAX), LK_EPARSE);
	free(big);

	assert_int_equal(lk_jwt_verify_keyring(NULL, "a.b.c", 5, &h, (void **)&t), LK_EINVAL);
	assert_int_equal(lk_jwt_verify_keyring(kr300, NULL, 0, &h, (void **)&t), LK_EINVAL);
	assert_int_equal(lk_jwt_verify_jwk(NULL, "a.b.c", 5, &h, (void **)&t), LK_EINVAL);
	assert_int_equal(lk_jwt_peek_header(NULL, 0, &h), LK_EINVAL);
}

static void test_peek_header(void **state)
{
	static const char *const members[] = {"kid", "typ", "x5t#S256", "alg"};
	struct lk_jwt_header h, before;
	char hdr[512], longs[80];
	char *t;
	size_t i;

	(void)state;
	t = token_of("{\"alg\":\"RS256\",\"kid\":\"cert-1\",\"typ\":\"JWT\","
		     "\"x5t#S256\":\"n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg\"}",
		     claims_text, "");
	assert_int_equal(lk_jwt_peek_header(t, strlen(t), &h), LK_OK);
	assert_string_equal(h.alg, "RS256");
	assert_string_equal(h.kid, "cert-1");
	assert_string_equal(h.typ, "JWT");
	assert_string_equal(h.x5t_s256, "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg");
	free(t);
	/* Nothing is judged but the shape: any alg, any payload, no signature. */
	t = token_of("{\"alg\":\"HS256\"}", "[]", "");
	assert_int_equal(lk_jwt_peek_header(t, strlen(t), &h), LK_OK);
	assert_string_equal(h.alg, "HS256");
	assert_string_equal(h.kid, "");
	assert_string_equal(h.x5t_s256, "");
	free(t);

	/* A member too long for the header struct is malformed, not truncated. */
	memset(longs, 'k', 64);
	longs[64] = '\0';
	memset(&before, 0x77, sizeof(before));
	h = before;
	for (i = 0; i < N_OF(members); i++) {
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"%s\":\"%s\"}", members[i], longs);
		t = token_of(hdr, claims_text, "");
		assert_int_equal(lk_jwt_peek_header(t, strlen(t), &h), LK_EPARSE);
		free(t);
	}
	assert_memory_equal(&h, &before, sizeof(h));
	/* 63 characters still fit. */
	longs[63] = '\0';
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}", longs);
	t = token_of(hdr, claims_text, "");
	assert_int_equal(lk_jwt_peek_header(t, strlen(t), &h), LK_OK);
	assert_string_equal(h.kid, longs);
	free(t);
}

/* --- one JWK ---------------------------------------------------------- */

/* pub with extra members spliced in before its closing brace. */
static char *jwk_plus(const char *pub, const char *extra)
{
	size_t n = strlen(pub) + strlen(extra) + 2;
	char *s = malloc(n);

	snprintf(s, n, "%.*s,%s}", (int)strlen(pub) - 1, pub, extra);
	return s;
}

static void test_jwk_rsa(void **state)
{
	char *rs = sign_text(xrs.priv, "{\"alg\":\"RS256\",\"kid\":\"cert-1\"}", claims_text);
	char *ps = sign_text(xrs.priv, "{\"alg\":\"PS256\",\"x5t#S256\":\"abc\"}", claims_text);
	struct lk_jwt_header h;
	void *claims = NULL;
	struct lk_key_record row = {0};
	struct lk_keyring *kr = NULL;
	struct made_key small;
	char *j;

	(void)state;
	assert_int_equal(lk_jwt_verify_jwk(xrs.pub, rs, strlen(rs), &h, &claims), LK_OK);
	assert_string_equal(h.alg, "RS256");
	assert_string_equal(h.kid, "cert-1");
	assert_string_equal(json_string_value(json_object_get(claims, "sub")), "alice");
	json_decref(claims);
	assert_int_equal(vj(xrs.pub, ps), LK_OK);
	/* A private JWK is used as its public half. */
	assert_int_equal(vj(xrs.priv, rs), LK_OK);

	/* The JWK's own alg, use and kid must allow the token. */
	j = jwk_plus(xrs.pub, "\"alg\":\"RS256\",\"use\":\"sig\",\"kid\":\"cert-1\"");
	assert_int_equal(vj(j, rs), LK_OK);
	assert_int_equal(vj(j, ps), LK_EDENIED);
	free(j);
	j = jwk_plus(xrs.pub, "\"use\":\"enc\"");
	assert_int_equal(vj(j, rs), LK_EDENIED);
	free(j);
	j = jwk_plus(xrs.pub, "\"kid\":\"cert-2\"");
	assert_int_equal(vj(j, rs), LK_EDENIED);
	assert_int_equal(vj(j, ps), LK_OK);
	free(j);
	j = jwk_plus(xrs.pub, "\"alg\":7");
	assert_int_equal(vj(j, rs), LK_EDENIED);
	free(j);

	/* Relabelled, or checked with another key or key type. */
	expect(NULL, xrs.pub, with_header(rs, "{\"alg\":\"PS256\",\"kid\":\"cert-1\"}"),
	       LK_EDENIED);
	expect(NULL, xrs.pub, with_header(rs, "{\"alg\":\"ES256\",\"kid\":\"cert-1\"}"),
	       LK_EDENIED);
	assert_int_equal(vj(xec.pub, rs), LK_EDENIED);
	assert_int_equal(vj(keys[K_RS].public_jwk, rs), LK_EDENIED);

	/* RSA keys below 2048 bits are refused even with a valid signature. */
	make_key(NULL, 1024, &small);
	expect(NULL, small.pub, sign_text(small.priv, "{\"alg\":\"RS256\"}", claims_text),
	       LK_EDENIED);
	/* ... and a keyring does not publish one. */
	row_of(&small, "RS256", &row);
	assert_int_equal(lk_keyring_build(&row, 1, &mk, 100, &kr), LK_EPARSE);
	lk_key_record_release(&row);
	made_key_free(&small);
	free(rs);
	free(ps);
}

static void test_jwk_ec(void **state)
{
	char *t = sign_text(xec.priv, "{\"alg\":\"ES256\",\"typ\":\"JWT\"}", claims_text);
	struct made_key p384;
	char *j, *t384;
	json_t *o;

	(void)state;
	assert_int_equal(vj(xec.pub, t), LK_OK);
	assert_int_equal(vj(other_ec.pub, t), LK_EDENIED);

	/* A point off the curve is not imported. */
	o = json_loads(xec.pub, 0, NULL);
	json_object_set_new(o, "x", json_string(json_string_value(json_object_get(o, "y"))));
	j = json_dumps(o, JSON_COMPACT);
	assert_int_equal(vj(j, t), LK_EDENIED);
	free(j);
	/* Nor a key without y, or of another curve. */
	json_object_del(o, "y");
	j = json_dumps(o, JSON_COMPACT);
	assert_int_equal(vj(j, t), LK_EDENIED);
	free(j);
	json_decref(o);
	make_key("P-384", 384, &p384);
	t384 = sign_text(p384.priv, "{\"alg\":\"ES384\"}", claims_text);
	assert_int_equal(vj(p384.pub, t384), LK_EDENIED);
	assert_int_equal(vj(p384.pub, t), LK_EDENIED);
	free(t384);
	made_key_free(&p384);
	free(t);
}

static void test_jwk_refused(void **state)
{
	static const char oct[] =
		"{\"kty\":\"oct\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ\"}";
	char *es = sign_text(xec.priv, "{\"alg\":\"ES256\"}", claims_text);
	char *hs = sign_text(oct, "{\"alg\":\"HS256\"}", claims_text);
	char *big;

	(void)state;
	/* A symmetric key verifies nothing: neither its own HMAC nor anything else. */
	assert_int_equal(vj(oct, hs), LK_EDENIED);
	assert_int_equal(vj(oct, es), LK_EDENIED);
	assert_int_equal(vj("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}", es),
			 LK_EDENIED);
	assert_int_equal(vj("{\"crv\":\"P-256\"}", es), LK_EDENIED);
	/* Text that is not a JWK at all is the caller's mistake. */
	assert_int_equal(vj("not json", es), LK_EINVAL);
	assert_int_equal(vj("[1,2]", es), LK_EINVAL);
	assert_int_equal(vj("{\"kty\":\"EC\",\"kty\":\"EC\"}", es), LK_EINVAL);
	big = malloc(LK_JWK_MAX + 2);
	memset(big, ' ', LK_JWK_MAX + 1);
	big[LK_JWK_MAX + 1] = '\0';
	assert_int_equal(vj(big, es), LK_ETOOBIG);
	free(big);
	assert_int_equal(vj(xec.pub, es), LK_OK);
	free(hs);
	free(es);
}

/* --- concurrency ------------------------------------------------------ */

static char *shared_tokens[4];

static void *verifier_thread(void *arg)
{
	struct lk_keyring *kr = arg;
	struct lk_jwt_header h;
	void *claims;
	long bad = 0;
	int i, which;

	for (i = 0; i < 2000; i++) {
		which = i % 4;
		claims = NULL;
		if (lk_jwt_verify_keyring(kr, shared_tokens[which], strlen(shared_tokens[which]),
					  &h, &claims) != (which == 3 ? LK_EDENIED : LK_OK))
			bad++;
		json_decref(claims);
	}
	lk_keyring_unref(kr);
	return (void *)bad;
}

static void test_threads(void **state)
{
	pthread_t t[4];
	void *res;
	int i;

	(void)state;
	shared_tokens[0] = sign_kr(kr300, "ES256", "at+jwt");
	shared_tokens[1] = sign_kr(kr300, "RS256", "at+jwt");
	shared_tokens[2] = sign_kr(kr300, "PS256", "at+jwt");
	shared_tokens[3] = with_header(shared_tokens[0], hdr_json("ES256", keys[K_RS].kid));
	for (i = 0; i < 4; i++)
		assert_int_equal(
			pthread_create(&t[i], NULL, verifier_thread, lk_keyring_ref(kr300)), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
	for (i = 0; i < 4; i++)
		free(shared_tokens[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyring_valid),
		cmocka_unit_test(test_keyring_rotation),
		cmocka_unit_test(test_keyring_tampered),
		cmocka_unit_test(test_verified_set),
		cmocka_unit_test(test_keyring_remembers),
		cmocka_unit_test(test_keyring_alg_confusion),
		cmocka_unit_test(test_hmac_with_public_key),
		cmocka_unit_test(test_keyring_kid),
		cmocka_unit_test(test_payload_not_object),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_peek_header),
		cmocka_unit_test(test_jwk_rsa),
		cmocka_unit_test(test_jwk_ec),
		cmocka_unit_test(test_jwk_refused),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
