/*
 * Fuzz target for the client certificate parser. Any input must be either
 * refused with a reason or described consistently: when a certificate is
 * accepted, its kid is the thumbprint of its JWK, its x5t#S256 has the length
 * of a SHA-256 in base64url, and its DER encoding parses again to the same
 * description.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jose/cert.h"
#include "jose/keyring.h"

/* A fixed time, so a run replays the same way whenever it happens. */
#define FUZZ_NOW INT64_C(1700000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_again(const struct lk_cert_info *c)
{
	struct lk_cert_info again = {0};
	char err[256];

	if (lk_cert_parse(c->der, c->der_len, FUZZ_NOW, &again, err, sizeof(err)) != LK_OK)
		abort();
	if (again.der_len != c->der_len || memcmp(again.der, c->der, c->der_len) != 0 ||
	    strcmp(again.kid, c->kid) != 0 || strcmp(again.x5t_s256, c->x5t_s256) != 0 ||
	    strcmp(again.public_jwk, c->public_jwk) != 0 ||
	    strcmp(again.subject, c->subject) != 0 || again.not_after != c->not_after)
		abort();
	lk_cert_info_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_cert_info c = {0};
	char err[256], kid[LK_KID_MAX];

	err[0] = '\0';
	if (lk_cert_parse(data, size, FUZZ_NOW, &c, err, sizeof(err)) != LK_OK) {
		/* Every refusal says why. */
		if (err[0] == '\0' || c.der || c.kid)
			abort();
		return 0;
	}
	if (lk_jwk_thumbprint(c.public_jwk, kid) != LK_OK || strcmp(kid, c.kid) != 0)
		abort();
	if (strlen(c.x5t_s256) != 43 || c.not_after <= FUZZ_NOW || !c.subject || !c.key_type)
		abort();
	check_again(&c);
	lk_cert_info_release(&c);
	return 0;
}
