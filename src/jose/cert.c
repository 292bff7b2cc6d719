/*
 * Client certificates: parsing the X.509 certificate of a client-certificate
 * application, checking its key and validity, and describing its public key
 * as a JWK so that the application's RFC 7523 assertions can be verified.
 */
#include "jose/cert.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/secure.h"
#include "jose/jose_int.h"
#include "jose/keyring.h"

#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"

#define RSA_MIN_BITS 2048
/*
 * Larger RSA keys are refused: they make every verification slower and no
 * deployment needs them (OpenSSL itself stops at 16384 bits).
 */
#define RSA_MAX_BITS 8192
/* The largest RSA modulus or exponent in bytes. */
#define RSA_MAX_BYTES (RSA_MAX_BITS / 8)
/* RFC 7518 §6.2.1.2: x and y are the full 32-byte coordinates of P-256. */
#define P256_COORD_LEN 32
#define P256_GROUP "prime256v1"

/* The longest RFC 2253 subject kept. */
#define SUBJECT_MAX 1024

#define MSG_NOT_CERT "not an X.509 certificate (PEM or DER)"

/* Room for the unpadded base64url of n bytes and a NUL. */
#define B64URL_SIZE(n) (4 * (((n) + 2) / 3) + 1)

static void say(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * A certificate is never encrypted. Refusing to supply a passphrase keeps
 * OpenSSL from prompting on the terminal when a PEM block claims it is.
 */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Reads the first PEM certificate in data, or the DER certificate that is all of data. */
static X509 *read_cert(const unsigned char *data, size_t len)
{
	const unsigned char *p = data;
	X509 *x = NULL;
	BIO *bio;

	if (memmem(data, len, PEM_CERT_BEGIN, strlen(PEM_CERT_BEGIN))) {
		bio = BIO_new_mem_buf(data, (int)len);
		if (bio)
			x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
		return x;
	}
	x = d2i_X509(NULL, &p, (long)len);
	/* Bytes after the certificate mean this is not a DER certificate file. */
	if (x && p != data + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* A newly allocated base64url text of n bytes. */
static char *b64url_dup(const unsigned char *in, size_t n)
{
	char *out = malloc(B64URL_SIZE(n));

	if (out)
		lk_b64url_encode(in, n, out);
	return out;
}

/*
 * Sets member name of jwk to the base64url of the big-endian unsigned integer
 * parameter param of pkey, left-padded with zeros to pad bytes when pad is not
 * zero, as RFC 7518 §6.2.1.2 wants for EC coordinates, or minimal as §6.3.1.1
 * wants for RSA.
 */
static enum lk_err set_bn_member(const EVP_PKEY *pkey, const char *param, size_t pad, json_t *jwk,
				 const char *name)
{
	unsigned char raw[RSA_MAX_BYTES];
	BIGNUM *bn = NULL;
	char *text = NULL;
	size_t n;
	enum lk_err err = LK_ECRYPTO;

	if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
		goto out;
	n = pad ? pad : (size_t)BN_num_bytes(bn);
	if (n == 0 || n > sizeof(raw) || BN_bn2binpad(bn, raw, (int)n) < 0)
		goto out;
	err = LK_ENOMEM;
	text = b64url_dup(raw, n);
	if (!text || json_object_set_new(jwk, name, json_string(text)) != 0)
		goto out;
	err = LK_OK;
out:
	free(text);
	BN_free(bn);
	return err;
}

/*
 * Checks that the key is one latchkey verifies with and writes its name
 * ("RSA-2048", "EC-P256") into type. A refusal is LK_EINVAL with the reason.
 */
static enum lk_err check_key(const EVP_PKEY *pkey, char *type, size_t typelen, char *err,
			     size_t errlen)
{
	char group[64];
	size_t glen = 0;
	int bits = EVP_PKEY_get_bits(pkey);

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		if (bits < RSA_MIN_BITS) {
			say(err, errlen, "RSA keys must have at least %d bits", RSA_MIN_BITS);
			return LK_EINVAL;
		}
		if (bits > RSA_MAX_BITS) {
			say(err, errlen, "RSA keys must have at most %d bits", RSA_MAX_BITS);
			return LK_EINVAL;
		}
		snprintf(type, typelen, "RSA-%d", bits);
		return LK_OK;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), &glen) ||
		    strcmp(group, P256_GROUP) != 0) {
			say(err, errlen, "only EC P-256 keys are accepted");
			return LK_EINVAL;
		}
		snprintf(type, typelen, "EC-P256");
		return LK_OK;
	default:
		say(err, errlen, "unsupported key type");
		return LK_EINVAL;
	}
}

/* RFC 7518 §6.3.1: the modulus and the exponent, each without leading zeros. */
static enum lk_err rsa_members(const EVP_PKEY *pkey, json_t *jwk)
{
	enum lk_err err;

	if (json_object_set_new(jwk, JWK_KTY, json_string(JWK_KTY_RSA)) != 0)
		return LK_ENOMEM;
	err = set_bn_member(pkey, OSSL_PKEY_PARAM_RSA_N, 0, jwk, JWK_N);
	if (!err)
		err = set_bn_member(pkey, OSSL_PKEY_PARAM_RSA_E, 0, jwk, JWK_E);
	return err;
}

/*
 * RFC 7518 §6.2.1: the curve and the coordinates. They are read as numbers
 * rather than split from the encoded point, so that a certificate carrying a
 * compressed point works as well.
 */
static enum lk_err ec_members(const EVP_PKEY *pkey, json_t *jwk)
{
	enum lk_err err;

	if (json_object_set_new(jwk, JWK_KTY, json_string(JWK_KTY_EC)) != 0 ||
	    json_object_set_new(jwk, JWK_CRV, json_string(JWK_CRV_P256)) != 0)
		return LK_ENOMEM;
	err = set_bn_member(pkey, OSSL_PKEY_PARAM_EC_PUB_X, P256_COORD_LEN, jwk, JWK_X);
	if (!err)
		err = set_bn_member(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, P256_COORD_LEN, jwk, JWK_Y);
	return err;
}

/*
 * Builds the public JWK of a checked key with its RFC 7638 thumbprint as kid,
 * and returns both as text.
 */
static enum lk_err describe_key(const EVP_PKEY *pkey, char **jwk_text, char **kid_text)
{
	json_t *jwk = json_object();
	char kid[LK_KID_MAX];
	enum lk_err err = LK_ENOMEM;

	if (!jwk)
		goto out;
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA)
		err = rsa_members(pkey, jwk);
	else
		err = ec_members(pkey, jwk);
	if (err)
		goto out;
	err = lk_jwk_thumbprint_obj(jwk, kid);
	if (err)
		goto out;
	err = LK_ENOMEM;
	if (json_object_set_new(jwk, JWK_KID, json_string(kid)) != 0)
		goto out;
	*jwk_text = json_dumps(jwk, JSON_COMPACT);
	*kid_text = strdup(kid);
	if (!*jwk_text || !*kid_text)
		goto out;
	err = LK_OK;
out:
	json_decref(jwk);
	return err;
}

/* Seconds since the epoch of a certificate time (UTCTime or GeneralizedTime). */
static bool unix_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	*out = (int64_t)timegm(&tm);
	return true;
}

/* The subject as an RFC 2253 string, e.g. "CN=billing,O=Example". */
static enum lk_err subject_of(X509 *x, char **out, char *err, size_t errlen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *mem = NULL;
	long n;
	enum lk_err rc = LK_ENOMEM;

	if (!bio)
		goto out;
	/* RFC 2253 escaping turns control and non-ASCII bytes into \XX. */
	rc = LK_EINVAL;
	if (X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) < 0) {
		say(err, errlen, "the certificate subject cannot be read");
		goto out;
	}
	n = BIO_get_mem_data(bio, &mem);
	if (n < 0 || n > SUBJECT_MAX) {
		say(err, errlen, "the certificate subject is longer than %d characters",
		    SUBJECT_MAX);
		goto out;
	}
	rc = LK_ENOMEM;
	*out = strndup(n > 0 ? mem : "", (size_t)n);
	if (*out)
		rc = LK_OK;
out:
	if (rc == LK_ENOMEM)
		say(err, errlen, "out of memory");
	BIO_free(bio);
	return rc;
}

/* Copies the DER encoding into c->der (freed with free()) and sets c->x5t_s256. */
static enum lk_err der_of(X509 *x, struct lk_cert_info *c)
{
	uint8_t digest[LK_SHA256_LEN];
	unsigned char *p;
	int n = i2d_X509(x, NULL);

	if (n <= 0)
		return LK_ECRYPTO;
	c->der = malloc((size_t)n);
	if (!c->der)
		return LK_ENOMEM;
	p = c->der;
	if (i2d_X509(x, &p) != n)
		return LK_ECRYPTO;
	c->der_len = (size_t)n;
	/* RFC 7515 §4.1.8: the base64url SHA-256 thumbprint of the DER encoding. */
	lk_sha256(c->der, c->der_len, digest);
	c->x5t_s256 = b64url_dup(digest, sizeof(digest));
	return c->x5t_s256 ? LK_OK : LK_ENOMEM;
}

/*
 * Fills the descriptive members of c from a certificate whose key and validity
 * passed. A key whose parameters cannot be read is refused like any other
 * unusable certificate (LK_EINVAL); LK_ENOMEM stays what it is.
 */
static enum lk_err fill(X509 *x, const EVP_PKEY *pkey, const char *type, struct lk_cert_info *c,
			char *err, size_t errlen)
{
	enum lk_err rc;

	rc = subject_of(x, &c->subject, err, errlen);
	if (rc)
		return rc;
	rc = LK_ENOMEM;
	c->key_type = strdup(type);
	if (!c->key_type)
		goto out;
	rc = describe_key(pkey, &c->public_jwk, &c->kid);
	if (rc)
		goto out;
	rc = der_of(x, c);
out:
	if (rc == LK_ENOMEM) {
		say(err, errlen, "out of memory");
	} else if (rc) {
		say(err, errlen, "the certificate's public key cannot be read");
		rc = LK_EINVAL;
	}
	return rc;
}

enum lk_err lk_cert_parse(const unsigned char *data, size_t len, int64_t now,
			  struct lk_cert_info *out, char *err, size_t errlen)
{
	struct lk_cert_info c = {0};
	char type[32], day[16];
	X509 *x = NULL;
	EVP_PKEY *pkey;
	struct tm tm;
	time_t t;
	enum lk_err rc = LK_EINVAL;

	if (!out) {
		say(err, errlen, "no output given");
		goto out;
	}
	if (len > LK_CERT_MAX_SIZE) {
		say(err, errlen, "the certificate is larger than %d bytes", LK_CERT_MAX_SIZE);
		goto out;
	}
	x = data && len ? read_cert(data, len) : NULL;
	if (!x) {
		say(err, errlen, MSG_NOT_CERT);
		goto out;
	}
	pkey = X509_get0_pubkey(x);
	if (!pkey) {
		say(err, errlen, "the certificate's public key cannot be read");
		goto out;
	}
	rc = check_key(pkey, type, sizeof(type), err, errlen);
	if (rc)
		goto out;
	rc = LK_EINVAL;
	if (!unix_time(X509_get0_notBefore(x), &c.not_before) ||
	    !unix_time(X509_get0_notAfter(x), &c.not_after)) {
		say(err, errlen, "the certificate's validity period cannot be read");
		goto out;
	}
	/*
	 * Only an expired certificate is refused here; one that is not valid
	 * yet is registered and checked when the application authenticates.
	 */
	if (c.not_after <= now) {
		t = (time_t)c.not_after;
		if (!gmtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d", &tm))
			snprintf(day, sizeof(day), "an earlier date");
		say(err, errlen, "the certificate expired on %s", day);
		goto out;
	}
	rc = fill(x, pkey, type, &c, err, errlen);
	if (rc)
		goto out;
	*out = c;
	memset(&c, 0, sizeof(c));
out:
	lk_cert_info_release(&c);
	X509_free(x);
	/* Failures above leave entries in OpenSSL's error queue that nobody reads. */
	ERR_clear_error();
	return rc;
}

void lk_cert_info_release(struct lk_cert_info *c)
{
	if (!c)
		return;
	free(c->der);
	free(c->subject);
	free(c->key_type);
	free(c->public_jwk);
	free(c->kid);
	free(c->x5t_s256);
	memset(c, 0, sizeof(*c));
}
