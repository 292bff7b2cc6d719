/*
 * Client certificates (DESIGN §1, grant client_certificate): an X.509
 * certificate in PEM or DER whose public key verifies the application's
 * signed assertions (RFC 7523).
 */
#ifndef LK_JOSE_CERT_H
#define LK_JOSE_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define LK_CERT_MAX_SIZE (64 * 1024)

struct lk_cert_info {
	unsigned char *der;  /* the certificate, DER-encoded */
	size_t der_len;
	char *subject;       /* RFC 2253 string, e.g. "CN=billing,O=Example" */
	char *key_type;      /* "RSA-2048", "RSA-3072", "RSA-4096", "EC-P256" */
	char *public_jwk;    /* JSON text of the public key as a JWK, with kid */
	char *kid;           /* RFC 7638 thumbprint of that key */
	char *x5t_s256;      /* base64url SHA-256 of the DER (RFC 7515 §4.1.8) */
	int64_t not_before;
	int64_t not_after;
};

/*
 * Parses a certificate file's contents (PEM, or DER when not PEM) at time now.
 * Refuses, with LK_EINVAL and a reason in err: more than LK_CERT_MAX_SIZE
 * bytes, not a certificate, a key other than RSA >= 2048 bits or EC P-256, a
 * certificate that has already expired (not_after <= now). *out is written
 * only on success; free it with lk_cert_info_release.
 */
enum lk_err lk_cert_parse(const unsigned char *data, size_t len, int64_t now,
			  struct lk_cert_info *out, char *err, size_t errlen);

/* Frees the members. */
void lk_cert_info_release(struct lk_cert_info *c);

#endif
