/*
 * Tests of src/jose/cert.c: client certificates in PEM and DER made at test
 * time with OpenSSL, the keys and validity periods accepted and refused,
 * malformed input, and a check that the JWK taken from a certificate verifies
 * signatures made with the certificate's private key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/jwk.h>
#include <cjose/jws.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/secure.h"
#include "jose/cert.h"
#include "jose/keyring.h"

/* 2023-11-14T22:13:20Z: every test parses at this fixed time. */
#define NOW INT64_C(1700000000)
#define DAY INT64_C(86400)
/* 2060-01-01T00:00:00Z, written as GeneralizedTime (RFC 5280 §4.1.2.5). */
#define Y2060 INT64_C(2840140800)

#define MSG_NOT_CERT "not an X.509 certificate (PEM or DER)"

enum { K_RSA, K_RSA1024, K_P256, K_P384, K_ED25519, K__COUNT };

static EVP_PKEY *keys[K__COUNT];

static int group_setup(void **state)
{
	(void)state;
	keys[K_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	keys[K_RSA1024] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	keys[K_P256] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	keys[K_P384] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	keys[K_ED25519] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	for (int i = 0; i < K__COUNT; i++) {
		if (!keys[i])
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < K__COUNT; i++)
		EVP_PKEY_free(keys[i]);
	return 0;
}

/* A self-signed certificate for key k, subject O=Example,CN=cn, valid nb..na. */
static X509 *make_cert(EVP_PKEY *k, const char *cn, int64_t nb, int64_t na)
{
	X509 *x = X509_new();
	X509_NAME *name;
	bool edwards = EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 4242), 1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
						    (const unsigned char *)"Example", -1, -1, 0),
			 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)cn, -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na));
	assert_int_equal(X509_set_pubkey(x, k), 1);
	/* EdDSA signs the message itself and takes no digest. */
	assert_true(X509_sign(x, k, edwards ? NULL : EVP_sha256()) > 0);
	return x;
}

static unsigned char *to_der(X509 *x, size_t *len)
{
	int n = i2d_X509(x, NULL);
	unsigned char *der, *p;

	assert_true(n > 0);
	der = malloc((size_t)n);
	assert_non_null(der);
	p = der;
	assert_int_equal(i2d_X509(x, &p), n);
	*len = (size_t)n;
	return der;
}

static char *to_pem(X509 *x, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *mem, *pem;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &mem);
	assert_true(n > 0);
	pem = malloc((size_t)n + 1);
	assert_non_null(pem);
	memcpy(pem, mem, (size_t)n);
	pem[n] = '\0';
	*len = (size_t)n;
	BIO_free(bio);
	return pem;
}

/* The PEM text of a new certificate (free it). */
static char *pem_cert(int key, int64_t nb, int64_t na, size_t *len)
{
	X509 *x = make_cert(keys[key], "billing", nb, na);
	char *pem = to_pem(x, len);

	X509_free(x);
	return pem;
}

/* Parses input that must be refused; the reason must contain want. */
static void assert_refused(const void *data, size_t len, const char *want)
{
	struct lk_cert_info c, before;
	char err[200] = "";

	memset(&c, 0x5a, sizeof(c));
	before = c;
	assert_int_equal(lk_cert_parse(data, len, NOW, &c, err, sizeof(err)), LK_EINVAL);
	if (!strstr(err, want))
		fail_msg("reason '%s' does not contain '%s'", err, want);
	/* Nothing is written on failure. */
	assert_memory_equal(&c, &before, sizeof(c));
}

/* The checks that hold for every accepted certificate. */
static void assert_consistent(const struct lk_cert_info *c)
{
	uint8_t digest[LK_SHA256_LEN];
	char x5t[64], kid[LK_KID_MAX];
	json_t *jwk = json_loads(c->public_jwk, 0, NULL);

	assert_non_null(jwk);
	assert_int_equal(lk_jwk_thumbprint(c->public_jwk, kid), LK_OK);
	assert_string_equal(kid, c->kid);
	assert_int_equal(strlen(c->kid), 43);
	assert_string_equal(json_string_value(json_object_get(jwk, "kid")), c->kid);
	assert_int_equal(strlen(c->x5t_s256), 43);
	lk_sha256(c->der, c->der_len, digest);
	lk_b64url_encode(digest, sizeof(digest), x5t);
	assert_string_equal(x5t, c->x5t_s256);
	/* No private member ever comes from a certificate. */
	assert_null(json_object_get(jwk, "d"));
	json_decref(jwk);
}

static void test_rsa_pem(void **state)
{
	X509 *x = make_cert(keys[K_RSA], "billing", NOW - DAY, NOW + 365 * DAY);
	struct lk_cert_info c = {0};
	size_t pem_len, der_len;
	char *pem = to_pem(x, &pem_len);
	unsigned char *der = to_der(x, &der_len);
	char err[200] = "";
	json_t *jwk;

	(void)state;
	assert_int_equal(lk_cert_parse((unsigned char *)pem, pem_len, NOW, &c, err, sizeof(err)),
			 LK_OK);
	assert_string_equal(c.key_type, "RSA-2048");
	assert_string_equal(c.subject, "CN=billing,O=Example");
	assert_int_equal(c.not_before, NOW - DAY);
	assert_int_equal(c.not_after, NOW + 365 * DAY);
	assert_int_equal(c.der_len, der_len);
	assert_memory_equal(c.der, der, der_len);
	assert_consistent(&c);
	jwk = json_loads(c.public_jwk, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "RSA");
	assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
	/* 256 bytes of modulus without a leading zero: 342 characters. */
	assert_int_equal(strlen(json_string_value(json_object_get(jwk, "n"))), 342);
	json_decref(jwk);
	lk_cert_info_release(&c);
	/* Released members are reset, and releasing again is harmless. */
	assert_null(c.der);
	assert_null(c.kid);
	assert_int_equal(c.der_len, 0);
	lk_cert_info_release(&c);
	lk_cert_info_release(NULL);
	free(pem);
	free(der);
	X509_free(x);
}

static void test_rsa_der(void **state)
{
	X509 *x = make_cert(keys[K_RSA], "billing", NOW - DAY, NOW + 365 * DAY);
	struct lk_cert_info a = {0}, b = {0};
	size_t pem_len, der_len;
	char *pem = to_pem(x, &pem_len);
	unsigned char *der = to_der(x, &der_len);

	(void)state;
	assert_int_equal(lk_cert_parse(der, der_len, NOW, &a, NULL, 0), LK_OK);
	assert_string_equal(a.key_type, "RSA-2048");
	assert_string_equal(a.subject, "CN=billing,O=Example");
	assert_int_equal(a.not_after, NOW + 365 * DAY);
	assert_int_equal(a.der_len, der_len);
	assert_memory_equal(a.der, der, der_len);
	assert_consistent(&a);
	/* The same certificate as PEM gives the same description. */
	assert_int_equal(lk_cert_parse((unsigned char *)pem, pem_len, NOW, &b, NULL, 0), LK_OK);
	assert_string_equal(a.kid, b.kid);
	assert_string_equal(a.x5t_s256, b.x5t_s256);
	assert_string_equal(a.public_jwk, b.public_jwk);
	lk_cert_info_release(&a);
	lk_cert_info_release(&b);
	free(pem);
	free(der);
	X509_free(x);
}

static void test_ec_p256(void **state)
{
	struct lk_cert_info c = {0};
	size_t len;
	char *pem = pem_cert(K_P256, NOW - DAY, NOW + DAY, &len);
	json_t *jwk;

	(void)state;
	assert_int_equal(lk_cert_parse((unsigned char *)pem, len, NOW, &c, NULL, 0), LK_OK);
	assert_string_equal(c.key_type, "EC-P256");
	assert_consistent(&c);
	jwk = json_loads(c.public_jwk, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
	assert_int_equal(strlen(json_string_value(json_object_get(jwk, "x"))), 43);
	assert_int_equal(strlen(json_string_value(json_object_get(jwk, "y"))), 43);
	json_decref(jwk);
	lk_cert_info_release(&c);
	free(pem);
}

/* A certificate may carry a compressed point; the JWK is the same. */
static void test_ec_compressed_point(void **state)
{
	EVP_PKEY *k = EVP_PKEY_dup(keys[K_P256]);
	struct lk_cert_info a = {0}, b = {0};
	size_t len, der_len;
	char *pem = pem_cert(K_P256, NOW - DAY, NOW + DAY, &len);
	unsigned char *der;
	X509 *x;

	(void)state;
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(
				 k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"),
			 1);
	x = make_cert(k, "billing", NOW - DAY, NOW + DAY);
	der = to_der(x, &der_len);
	/* The SubjectPublicKeyInfo of P-256 is 59 bytes with a compressed point, 91 without. */
	assert_int_equal(i2d_PUBKEY(X509_get0_pubkey(x), NULL), 59);
	assert_int_equal(lk_cert_parse(der, der_len, NOW, &a, NULL, 0), LK_OK);
	assert_int_equal(lk_cert_parse((unsigned char *)pem, len, NOW, &b, NULL, 0), LK_OK);
	assert_string_equal(a.public_jwk, b.public_jwk);
	assert_string_equal(a.kid, b.kid);
	lk_cert_info_release(&a);
	lk_cert_info_release(&b);
	free(der);
	free(pem);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void test_refused_keys(void **state)
{
	static const struct {
		int key;
		const char *why;
	} cases[] = {
		{K_RSA1024, "RSA keys must have at least 2048 bits"},
		{K_P384, "only EC P-256 keys are accepted"},
		{K_ED25519, "unsupported key type"},
	};
	size_t i, len;
	char *pem;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pem = pem_cert(cases[i].key, NOW - DAY, NOW + DAY, &len);
		assert_refused(pem, len, cases[i].why);
		free(pem);
	}
}

static void test_validity(void **state)
{
	struct lk_cert_info c = {0};
	size_t len;
	char *pem;

	(void)state;
	pem = pem_cert(K_P256, NOW - 30 * DAY, NOW - DAY, &len);
	assert_refused(pem, len, "the certificate expired on 2023-11-13");
	free(pem);
	/* Expiring at this very second is expired already. */
	pem = pem_cert(K_P256, NOW - 30 * DAY, NOW, &len);
	assert_refused(pem, len, "the certificate expired on 2023-11-14");
	free(pem);

	pem = pem_cert(K_P256, NOW - 30 * DAY, NOW + 1, &len);
	assert_int_equal(lk_cert_parse((unsigned char *)pem, len, NOW, &c, NULL, 0), LK_OK);
	assert_int_equal(c.not_after, NOW + 1);
	lk_cert_info_release(&c);
	free(pem);

	/* Not valid yet: registered, and checked when the application authenticates. */
	pem = pem_cert(K_P256, NOW + 10 * DAY, Y2060, &len);
	assert_int_equal(lk_cert_parse((unsigned char *)pem, len, NOW, &c, NULL, 0), LK_OK);
	assert_int_equal(c.not_before, NOW + 10 * DAY);
	assert_int_equal(c.not_after, Y2060);
	lk_cert_info_release(&c);
	free(pem);
}

static void test_malformed(void **state)
{
	X509 *x = make_cert(keys[K_RSA], "billing", NOW - DAY, NOW + DAY);
	size_t pem_len, der_len;
	char *pem = to_pem(x, &pem_len);
	unsigned char *der = to_der(x, &der_len), *buf;
	unsigned char noise[300];
	struct lk_cert_info c = {0};
	static const char fake[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	static const char key[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";

	(void)state;
	assert_refused("hello", 5, MSG_NOT_CERT);
	assert_refused("", 0, MSG_NOT_CERT);
	assert_refused(NULL, 0, MSG_NOT_CERT);
	assert_refused(fake, strlen(fake), MSG_NOT_CERT);
	assert_refused(key, strlen(key), MSG_NOT_CERT);
	assert_int_equal(lk_random_bytes(noise, sizeof(noise)), LK_OK);
	noise[0] = 0x30; /* a DER SEQUENCE tag, to get past the first byte */
	assert_refused(noise, sizeof(noise), MSG_NOT_CERT);
	/* Truncated PEM: the END line is missing, or the base64 is cut short. */
	assert_refused(pem, pem_len / 2, MSG_NOT_CERT);
	assert_refused(pem, pem_len - 30, MSG_NOT_CERT);
	/* Truncated DER, and DER followed by stray bytes. */
	assert_refused(der, der_len - 1, MSG_NOT_CERT);
	assert_refused(der, der_len / 2, MSG_NOT_CERT);
	assert_refused(der, 1, MSG_NOT_CERT);
	buf = malloc(LK_CERT_MAX_SIZE + 1);
	assert_non_null(buf);
	memcpy(buf, der, der_len);
	buf[der_len] = 0;
	assert_refused(buf, der_len + 1, MSG_NOT_CERT);
	/* A PEM file may carry text around the block, up to the size limit. */
	memset(buf, '\n', LK_CERT_MAX_SIZE + 1);
	memcpy(buf, "Subject: billing\n", 17);
	memcpy(buf + 17, pem, pem_len);
	assert_int_equal(lk_cert_parse(buf, LK_CERT_MAX_SIZE, NOW, &c, NULL, 0), LK_OK);
	assert_string_equal(c.key_type, "RSA-2048");
	lk_cert_info_release(&c);
	assert_refused(buf, LK_CERT_MAX_SIZE + 1, "larger than 65536 bytes");
	free(buf);
	free(pem);
	free(der);
	X509_free(x);
}

static void test_error_buffer(void **state)
{
	struct lk_cert_info c = {0};
	char small[8];

	(void)state;
	/* A short buffer gets a truncated, terminated reason; none is fine too. */
	memset(small, '#', sizeof(small));
	assert_int_equal(
		lk_cert_parse((const unsigned char *)"x", 1, NOW, &c, small, sizeof(small)),
		LK_EINVAL);
	assert_string_equal(small, "not an ");
	assert_int_equal(lk_cert_parse((const unsigned char *)"x", 1, NOW, &c, NULL, 0), LK_EINVAL);
	assert_int_equal(
		lk_cert_parse((const unsigned char *)"x", 1, NOW, NULL, small, sizeof(small)),
		LK_EINVAL);
}

/* Appends the base64url of n bytes to the string at out. */
static void append_b64url(char *out, const void *in, size_t n)
{
	lk_b64url_encode(in, n, out + strlen(out));
}

static void append_dot(char *out)
{
	size_t n = strlen(out);

	out[n] = '.';
	out[n + 1] = '\0';
}

/*
 * A compact JWS (RFC 7515 §7.1) over a fixed payload, signed with signer by
 * OpenSSL directly: RS256 (RFC 7518 §3.3) or ES256 (§3.4, whose signature
 * is R || S, not the DER that OpenSSL returns).
 */
static char *openssl_jws(EVP_PKEY *signer, const char *alg)
{
	static const char payload[] = "{\"iss\":\"billing\",\"sub\":\"billing\"}";
	char header[64], *jws = malloc(2048);
	unsigned char sig[512], raw[64];
	const unsigned char *p = sig;
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *ec;

	assert_non_null(jws);
	assert_non_null(md);
	snprintf(header, sizeof(header), "{\"alg\":\"%s\"}", alg);
	jws[0] = '\0';
	append_b64url(jws, header, strlen(header));
	append_dot(jws);
	append_b64url(jws, payload, strlen(payload));
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, signer), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &siglen, (unsigned char *)jws, strlen(jws)), 1);
	EVP_MD_CTX_free(md);
	append_dot(jws);
	if (strcmp(alg, "ES256") != 0) {
		append_b64url(jws, sig, siglen);
		return jws;
	}
	ec = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
	assert_non_null(ec);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(ec), raw, 32), 32);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(ec), raw + 32, 32), 32);
	ECDSA_SIG_free(ec);
	append_b64url(jws, raw, sizeof(raw));
	return jws;
}

/* True when the JWK of a certificate of key verifies a JWS signed by signer. */
static bool cert_jwk_verifies(int key, EVP_PKEY *signer, const char *alg)
{
	struct lk_cert_info c = {0};
	size_t len;
	char *pem = pem_cert(key, NOW - DAY, NOW + DAY, &len);
	char *compact = openssl_jws(signer, alg);
	cjose_jwk_t *jwk;
	cjose_jws_t *jws;
	bool ok;

	assert_int_equal(lk_cert_parse((unsigned char *)pem, len, NOW, &c, NULL, 0), LK_OK);
	jwk = cjose_jwk_import(c.public_jwk, strlen(c.public_jwk), NULL);
	assert_non_null(jwk);
	jws = cjose_jws_import(compact, strlen(compact), NULL);
	assert_non_null(jws);
	ok = cjose_jws_verify(jws, jwk, NULL);
	cjose_jws_release(jws);
	cjose_jwk_release(jwk);
	lk_cert_info_release(&c);
	free(compact);
	free(pem);
	return ok;
}

static void test_jwk_verifies_cert_key_signatures(void **state)
{
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	(void)state;
	assert_non_null(other);
	assert_true(cert_jwk_verifies(K_RSA, keys[K_RSA], "RS256"));
	assert_true(cert_jwk_verifies(K_P256, keys[K_P256], "ES256"));
	/* A signature by another key of the same type does not verify. */
	assert_false(cert_jwk_verifies(K_RSA, keys[K_RSA1024], "RS256"));
	assert_false(cert_jwk_verifies(K_P256, other, "ES256"));
	EVP_PKEY_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_pem),
		cmocka_unit_test(test_rsa_der),
		cmocka_unit_test(test_ec_p256),
		cmocka_unit_test(test_ec_compressed_point),
		cmocka_unit_test(test_refused_keys),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_jwk_verifies_cert_key_signatures),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
