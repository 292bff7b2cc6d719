/*
 * Tests of src/jose/: the master key, sealing, key generation, key states,
 * the keyring snapshot and its JWKS, and JWT signing (verified with cjose).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjose/header.h>
#include <cjose/jwk.h>
#include <cjose/jws.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "core/log.h"
#include "core/secure.h"
#include "jose/jose_int.h"
#include "jose/keyring.h"

/* Keys generated once for the whole file: RSA generation is slow. */
enum { K_ES_A, K_ES_B, K_ES_C, K_ES_D, K_ES_E, K_RS, K_PS, K__COUNT };

static struct lk_master_key mk;
static struct lk_key_record keys[K__COUNT];
static char tmpdir[256];

static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

static void b64_of(const unsigned char *raw, int n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, raw, n);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void path_in_tmp(char *out, size_t n, const char *name)
{
	int len = snprintf(out, n, "%s/%s", tmpdir, name);

	assert_true(len > 0 && (size_t)len < n);
}

static void assert_no_private_members(const json_t *jwk)
{
	size_t i;

	for (i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
		assert_null(json_object_get(jwk, private_members[i]));
}

/* A copy of a row with its own allocations, so a test may alter it. */
static struct lk_key_record row_copy(const struct lk_key_record *r)
{
	struct lk_key_record c = *r;

	c.kid = strdup(r->kid);
	c.alg = strdup(r->alg);
	c.public_jwk = strdup(r->public_jwk);
	c.private_sealed = malloc(r->private_sealed_len);
	assert_non_null(c.kid);
	assert_non_null(c.alg);
	assert_non_null(c.public_jwk);
	assert_non_null(c.private_sealed);
	memcpy(c.private_sealed, r->private_sealed, r->private_sealed_len);
	return c;
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
	static const char *const alg_of[K__COUNT] = {"ES256", "ES256", "ES256", "ES256",
						     "ES256", "RS256", "PS256"};
	int i;

	(void)state;
	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	if (lk_random_bytes(mk.k, sizeof(mk.k)) != LK_OK)
		return -1;
	for (i = 0; i < K__COUNT; i++) {
		if (lk_key_generate(alg_of[i], &mk, 1000 + i, 1000, &keys[i]) != LK_OK)
			return -1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/lk-keyring-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[300];
	int i;

	(void)state;
	for (i = 0; i < K__COUNT; i++)
		lk_key_record_release(&keys[i]);
	lk_master_key_wipe(&mk);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* --- master key ------------------------------------------------------- */

static void test_master_env(void **state)
{
	unsigned char raw[33];
	char b64[64], text[80];
	struct lk_master_key out, same;

	(void)state;
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7 + 3);
	b64_of(raw, 32, b64);
	assert_int_equal(strlen(b64), 44);
	assert_int_equal(lk_master_key_load(b64, NULL, false, &out), LK_OK);
	assert_memory_equal(out.k, raw, 32);

	/* A trailing newline and a missing '=' are tolerated. */
	snprintf(text, sizeof(text), "%s\n", b64);
	assert_int_equal(lk_master_key_load(text, NULL, false, &same), LK_OK);
	assert_memory_equal(same.k, raw, 32);
	memset(&same, 0, sizeof(same));
	b64[43] = '\0';
	assert_int_equal(lk_master_key_load(b64, NULL, false, &same), LK_OK);
	assert_memory_equal(same.k, raw, 32);

	/* Wrong lengths and garbage leave the output untouched. */
	memset(&out, 0xab, sizeof(out));
	same = out;
	b64_of(raw, 31, b64);
	assert_int_equal(lk_master_key_load(b64, NULL, false, &out), LK_EKEY);
	b64_of(raw, 33, b64);
	assert_int_equal(lk_master_key_load(b64, NULL, false, &out), LK_EKEY);
	assert_int_equal(lk_master_key_load("", NULL, false, &out), LK_EKEY);
	assert_int_equal(lk_master_key_load("not base64 at all, this is garbage!!!!!!!!!=", NULL,
					    false, &out),
			 LK_EKEY);
	b64_of(raw, 32, b64);
	b64[10] = '*';
	assert_int_equal(lk_master_key_load(b64, NULL, false, &out), LK_EKEY);
	b64_of(raw, 32, b64);
	snprintf(text, sizeof(text), " %s", b64);
	assert_int_equal(lk_master_key_load(text, NULL, false, &out), LK_EKEY);
	assert_memory_equal(&out, &same, sizeof(out));

	assert_int_equal(lk_master_key_load(NULL, NULL, false, &out), LK_EINVAL);
	lk_master_key_wipe(&same);
	for (size_t i = 0; i < sizeof(same.k); i++)
		assert_int_equal(same.k[i], 0);
}

static void test_master_file(void **state)
{
	char path[512], text[128];
	struct lk_master_key a, b;
	struct stat st;
	int fd;
	ssize_t n;

	(void)state;
	path_in_tmp(path, sizeof(path), "master.key");
	assert_int_equal(lk_master_key_load(NULL, path, false, &a), LK_ENOTFOUND);
	assert_int_equal(stat(path, &st), -1);

	assert_int_equal(lk_master_key_load(NULL, path, true, &a), LK_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 45);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	assert_int_equal(n, 45);
	assert_int_equal(text[44], '\n');

	/* Reading it again, with or without create, gives the same key. */
	assert_int_equal(lk_master_key_load(NULL, path, false, &b), LK_OK);
	assert_memory_equal(a.k, b.k, LK_MASTER_KEY_LEN);
	memset(&b, 0, sizeof(b));
	assert_int_equal(lk_master_key_load(NULL, path, true, &b), LK_OK);
	assert_memory_equal(a.k, b.k, LK_MASTER_KEY_LEN);

	/* The environment wins over the file. */
	text[44] = '\0';
	text[0] = text[0] == 'A' ? 'B' : 'A';
	assert_int_equal(lk_master_key_load(text, path, false, &b), LK_OK);
	assert_memory_not_equal(a.k, b.k, LK_MASTER_KEY_LEN);

	/* A second file gets a different random key. */
	path_in_tmp(path, sizeof(path), "other.key");
	assert_int_equal(lk_master_key_load(NULL, path, true, &b), LK_OK);
	assert_memory_not_equal(a.k, b.k, LK_MASTER_KEY_LEN);
}

static void test_master_file_errors(void **state)
{
	char path[512], big[2048];
	struct lk_master_key out, before;
	unsigned char raw[32] = {1, 2, 3};
	char b64[64];

	(void)state;
	memset(&out, 0x5a, sizeof(out));
	before = out;
	path_in_tmp(path, sizeof(path), "bad.key");
	write_file(path, "this is not a key\n", 0600);
	assert_int_equal(lk_master_key_load(NULL, path, true, &out), LK_EKEY);
	write_file(path, "", 0600);
	assert_int_equal(lk_master_key_load(NULL, path, false, &out), LK_EKEY);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file(path, big, 0600);
	assert_int_equal(lk_master_key_load(NULL, path, false, &out), LK_EKEY);
	b64_of(raw, 16, b64);
	write_file(path, b64, 0600);
	assert_int_equal(lk_master_key_load(NULL, path, false, &out), LK_EKEY);
	assert_memory_equal(&out, &before, sizeof(out));

	/* A directory is not a key file; a missing directory cannot be created in. */
	assert_int_equal(lk_master_key_load(NULL, tmpdir, true, &out), LK_EIO);
	path_in_tmp(path, sizeof(path), "no/such/dir/x.key");
	assert_int_equal(lk_master_key_load(NULL, path, true, &out), LK_EIO);
	assert_memory_equal(&out, &before, sizeof(out));

	/* A key readable by others is still loaded (with a warning). */
	path_in_tmp(path, sizeof(path), "open.key");
	b64_of(raw, 32, b64);
	write_file(path, b64, 0644);
	assert_int_equal(lk_master_key_load(NULL, path, false, &out), LK_OK);
	assert_memory_equal(out.k, raw, 32);
}

/* --- sealing ---------------------------------------------------------- */

static void test_seal_roundtrip(void **state)
{
	const char msg[] = "{\"kty\":\"EC\",\"d\":\"secret\"}";
	unsigned char *sealed = NULL, *sealed2 = NULL, *plain = NULL;
	size_t slen = 0, slen2 = 0, plen = 0;

	(void)state;
	assert_int_equal(lk_seal(&mk, "kid-1", msg, strlen(msg), &sealed, &slen), LK_OK);
	assert_int_equal(slen, 12 + strlen(msg) + 16);
	assert_null(memmem(sealed, slen, "secret", 6));
	assert_int_equal(lk_unseal(&mk, "kid-1", sealed, slen, &plain, &plen), LK_OK);
	assert_int_equal(plen, strlen(msg));
	assert_string_equal((char *)plain, msg);
	free(plain);

	/* A fresh nonce every time: sealing twice gives different blobs. */
	assert_int_equal(lk_seal(&mk, "kid-1", msg, strlen(msg), &sealed2, &slen2), LK_OK);
	assert_int_equal(slen, slen2);
	assert_memory_not_equal(sealed, sealed2, slen);
	free(sealed2);
	free(sealed);

	/* No aad and an empty message work too; NULL and "" aad are the same. */
	assert_int_equal(lk_seal(&mk, NULL, "", 0, &sealed, &slen), LK_OK);
	assert_int_equal(slen, 28);
	assert_int_equal(lk_unseal(&mk, "", sealed, slen, &plain, &plen), LK_OK);
	assert_int_equal(plen, 0);
	assert_int_equal(plain[0], '\0');
	free(plain);
	free(sealed);

	assert_int_equal(lk_seal(&mk, NULL, NULL, 5, &sealed, &slen), LK_EINVAL);
	assert_int_equal(lk_seal(&mk, NULL, msg, ((size_t)1 << 20) + 1, &sealed, &slen),
			 LK_ETOOBIG);
}

static void test_seal_tamper(void **state)
{
	const char msg[] = "a private key that must stay private";
	struct lk_master_key other = mk;
	unsigned char *sealed = NULL, *plain = (unsigned char *)"untouched";
	size_t slen = 0, plen = 7, i;
	size_t spots[] = {0, 11, 12, 20, 0, 0};

	(void)state;
	assert_int_equal(lk_seal(&mk, "kid", msg, strlen(msg), &sealed, &slen), LK_OK);
	spots[4] = slen - 16; /* first byte of the tag */
	spots[5] = slen - 1;  /* last byte of the tag */
	for (i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		sealed[spots[i]] ^= 0x01;
		assert_int_equal(lk_unseal(&mk, "kid", sealed, slen, &plain, &plen), LK_EKEY);
		sealed[spots[i]] ^= 0x01;
	}
	assert_int_equal(lk_unseal(&mk, "kie", sealed, slen, &plain, &plen), LK_EKEY);
	assert_int_equal(lk_unseal(&mk, NULL, sealed, slen, &plain, &plen), LK_EKEY);
	other.k[31] ^= 0x80;
	assert_int_equal(lk_unseal(&other, "kid", sealed, slen, &plain, &plen), LK_EKEY);
	assert_int_equal(lk_unseal(&mk, "kid", sealed, slen - 1, &plain, &plen), LK_EKEY);
	assert_int_equal(lk_unseal(&mk, "kid", sealed, 27, &plain, &plen), LK_EKEY);
	assert_int_equal(lk_unseal(&mk, "kid", sealed, 0, &plain, &plen), LK_EKEY);
	/* Out-parameters were never written. */
	assert_string_equal((char *)plain, "untouched");
	assert_int_equal(plen, 7);
	assert_int_equal(lk_unseal(&mk, "kid", sealed, slen, &plain, &plen), LK_OK);
	assert_string_equal((char *)plain, msg);
	lk_wipe(plain, plen);
	free(plain);
	free(sealed);
}

/* --- thumbprints and generation --------------------------------------- */

static void test_thumbprint_rfc7638(void **state)
{
	/* RFC 7638 §3.1: the example RSA key and its thumbprint. */
	static const char jwk[] =
		"{\"kty\":\"RSA\","
		"\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7"
		"aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93"
		"lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu"
		"6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINH"
		"aQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\","
		"\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";
	char out[LK_KID_MAX];

	(void)state;
	assert_int_equal(lk_jwk_thumbprint(jwk, out), LK_OK);
	assert_string_equal(out, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

static void test_thumbprint_errors(void **state)
{
	char out[LK_KID_MAX] = "unchanged";
	char *big;

	(void)state;
	assert_int_equal(lk_jwk_thumbprint("not json", out), LK_EPARSE);
	assert_int_equal(lk_jwk_thumbprint("[1,2]", out), LK_EPARSE);
	assert_int_equal(lk_jwk_thumbprint("{\"kty\":\"oct\",\"k\":\"AAAA\"}", out), LK_EINVAL);
	assert_int_equal(lk_jwk_thumbprint("{\"kty\":\"RSA\",\"e\":\"AQAB\"}", out), LK_EPARSE);
	assert_int_equal(lk_jwk_thumbprint("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\","
					   "\"y\":5}",
					   out),
			 LK_EPARSE);
	assert_int_equal(lk_jwk_thumbprint("{\"kty\":\"EC\",\"kty\":\"RSA\"}", out), LK_EPARSE);
	assert_int_equal(lk_jwk_thumbprint(NULL, out), LK_EINVAL);
	big = malloc(20000);
	assert_non_null(big);
	memset(big, ' ', 19999);
	big[19999] = '\0';
	assert_int_equal(lk_jwk_thumbprint(big, out), LK_ETOOBIG);
	free(big);
	assert_string_equal(out, "unchanged");
}

static void check_generated(const struct lk_key_record *r, const char *alg, const char *kty)
{
	char tp[LK_KID_MAX];
	json_t *pub, *priv;
	unsigned char *plain = NULL;
	size_t plen = 0;

	assert_string_equal(r->alg, alg);
	assert_int_equal(lk_jwk_thumbprint(r->public_jwk, tp), LK_OK);
	assert_string_equal(r->kid, tp);
	assert_int_equal(strlen(r->kid), 43);
	pub = json_loads(r->public_jwk, 0, NULL);
	assert_non_null(pub);
	assert_string_equal(json_string_value(json_object_get(pub, "kty")), kty);
	assert_string_equal(json_string_value(json_object_get(pub, "kid")), r->kid);
	assert_string_equal(json_string_value(json_object_get(pub, "use")), "sig");
	assert_string_equal(json_string_value(json_object_get(pub, "alg")), alg);
	assert_no_private_members(pub);
	json_decref(pub);

	/* The sealed private key opens with the kid as aad, and only so. */
	assert_int_equal(
		lk_unseal(&mk, "wrong", r->private_sealed, r->private_sealed_len, &plain, &plen),
		LK_EKEY);
	assert_int_equal(
		lk_unseal(&mk, r->kid, r->private_sealed, r->private_sealed_len, &plain, &plen),
		LK_OK);
	priv = json_loads((char *)plain, 0, NULL);
	assert_non_null(priv);
	assert_true(json_is_string(json_object_get(priv, "d")));
	assert_int_equal(lk_jwk_thumbprint((char *)plain, tp), LK_OK);
	assert_string_equal(tp, r->kid);
	json_decref(priv);
	lk_wipe(plain, plen);
	free(plain);
}

static void test_generate(void **state)
{
	struct lk_key_record r;

	(void)state;
	check_generated(&keys[K_ES_A], "ES256", "EC");
	check_generated(&keys[K_RS], "RS256", "RSA");
	check_generated(&keys[K_PS], "PS256", "RSA");
	assert_string_not_equal(keys[K_ES_A].kid, keys[K_ES_B].kid);

	assert_int_equal(lk_key_generate("ES256", &mk, 500, 700, &r), LK_OK);
	assert_int_equal(r.created_at, 500);
	assert_int_equal(r.activate_at, 700);
	assert_int_equal(r.retire_at, 0);
	assert_int_equal(r.expire_at, 0);
	lk_key_record_release(&r);

	memset(&r, 0, sizeof(r));
	assert_int_equal(lk_key_generate("HS256", &mk, 0, 0, &r), LK_EINVAL);
	assert_int_equal(lk_key_generate("none", &mk, 0, 0, &r), LK_EINVAL);
	assert_int_equal(lk_key_generate(NULL, &mk, 0, 0, &r), LK_EINVAL);
	assert_null(r.kid);
	assert_true(lk_alg_supported("PS256"));
	assert_false(lk_alg_supported("RS384"));
	assert_false(lk_alg_supported(NULL));
}

/* --- states ----------------------------------------------------------- */

static void test_states(void **state)
{
	struct lk_key_record r = {0};

	(void)state;
	r.activate_at = 100;
	assert_int_equal(lk_key_state(&r, 99), LK_KEY_NEXT);
	assert_int_equal(lk_key_state(&r, 100), LK_KEY_ACTIVE);
	assert_int_equal(lk_key_state(&r, 1000000), LK_KEY_ACTIVE);
	r.retire_at = 200;
	assert_int_equal(lk_key_state(&r, 199), LK_KEY_ACTIVE);
	assert_int_equal(lk_key_state(&r, 200), LK_KEY_RETIRED);
	r.expire_at = 300;
	assert_int_equal(lk_key_state(&r, 299), LK_KEY_RETIRED);
	assert_int_equal(lk_key_state(&r, 300), LK_KEY_EXPIRED);
	assert_int_equal(lk_key_state(&r, 50), LK_KEY_NEXT);
	/* Withdrawn before it ever activated: gone, never published as next. */
	r.activate_at = 1000;
	assert_int_equal(lk_key_state(&r, 400), LK_KEY_EXPIRED);

	assert_string_equal(lk_key_state_name(LK_KEY_NEXT), "next");
	assert_string_equal(lk_key_state_name(LK_KEY_ACTIVE), "active");
	assert_string_equal(lk_key_state_name(LK_KEY_RETIRED), "retired");
	assert_string_equal(lk_key_state_name(LK_KEY_EXPIRED), "expired");
	assert_string_equal(lk_key_state_name((enum lk_key_state)42), "unknown");
}

/* --- keyring ---------------------------------------------------------- */

static json_t *jwks_keys(const struct lk_keyring *kr)
{
	json_t *root = json_loads(lk_keyring_jwks(kr), 0, NULL);

	assert_non_null(root);
	assert_int_equal(json_object_size(root), 1);
	assert_true(json_is_array(json_object_get(root, "keys")));
	return root;
}

static const char *key_kid(json_t *root, size_t i)
{
	return json_string_value(
		json_object_get(json_array_get(json_object_get(root, "keys"), i), "kid"));
}

static void test_keyring_states(void **state)
{
	struct lk_key_record rows[4];
	struct lk_keyring *kr = NULL;
	json_t *root, *k;
	size_t i;

	(void)state;
	/* At 300: expired, active, retired, next (row order is not JWKS order). */
	rows[0] = row_times(K_ES_D, 10, 20, 250);
	rows[1] = row_times(K_ES_C, 900, 0, 0);
	rows[2] = row_times(K_ES_B, 50, 200, 800);
	rows[3] = row_times(K_ES_A, 100, 0, 0);
	assert_int_equal(lk_keyring_build(rows, 4, &mk, 300, &kr), LK_OK);
	assert_true(lk_keyring_can_sign(kr, "ES256"));
	assert_false(lk_keyring_can_sign(kr, "RS256"));
	assert_false(lk_keyring_can_sign(kr, "HS256"));
	assert_int_equal(lk_keyring_next_change(kr), 800);

	root = jwks_keys(kr);
	assert_int_equal(json_array_size(json_object_get(root, "keys")), 3);
	assert_string_equal(key_kid(root, 0), keys[K_ES_A].kid); /* signing */
	assert_string_equal(key_kid(root, 1), keys[K_ES_C].kid); /* next */
	assert_string_equal(key_kid(root, 2), keys[K_ES_B].kid); /* retired */
	for (i = 0; i < json_array_size(json_object_get(root, "keys")); i++) {
		k = json_array_get(json_object_get(root, "keys"), i);
		assert_string_equal(json_string_value(json_object_get(k, "kty")), "EC");
		assert_string_equal(json_string_value(json_object_get(k, "crv")), "P-256");
		assert_string_equal(json_string_value(json_object_get(k, "use")), "sig");
		assert_string_equal(json_string_value(json_object_get(k, "alg")), "ES256");
		assert_int_equal(json_object_size(k), 7);
		assert_no_private_members(k);
	}
	json_decref(root);
	assert_null(strstr(lk_keyring_jwks(kr), "\"d\""));
	assert_null(strchr(lk_keyring_jwks(kr), ' '));
	lk_keyring_unref(kr);

	/* Earlier, the next key activates first. */
	assert_int_equal(lk_keyring_build(rows, 4, &mk, 150, &kr), LK_OK);
	assert_int_equal(lk_keyring_next_change(kr), 200);
	root = jwks_keys(kr);
	assert_int_equal(json_array_size(json_object_get(root, "keys")), 4);
	json_decref(root);
	lk_keyring_unref(kr);

	/* A change at exactly now has happened: the next one is later. */
	assert_int_equal(lk_keyring_build(rows, 4, &mk, 800, &kr), LK_OK);
	assert_int_equal(lk_keyring_next_change(kr), 900);
	root = jwks_keys(kr);
	assert_int_equal(json_array_size(json_object_get(root, "keys")), 2);
	json_decref(root);
	lk_keyring_unref(kr);

	/* Long after everything: only the last key is left and nothing changes. */
	assert_int_equal(lk_keyring_build(rows, 4, &mk, 5000, &kr), LK_OK);
	assert_int_equal(lk_keyring_next_change(kr), 0);
	root = jwks_keys(kr);
	assert_int_equal(json_array_size(json_object_get(root, "keys")), 2);
	/* Two active keys: the later activation signs and is listed first. */
	assert_string_equal(key_kid(root, 0), keys[K_ES_C].kid);
	assert_string_equal(key_kid(root, 1), keys[K_ES_A].kid);
	json_decref(root);
	lk_keyring_unref(kr);
}

static void test_keyring_empty(void **state)
{
	struct lk_keyring *kr = NULL;
	char *jwt = NULL;

	(void)state;
	assert_int_equal(lk_keyring_build(NULL, 0, &mk, 100, &kr), LK_OK);
	assert_string_equal(lk_keyring_jwks(kr), "{\"keys\":[]}");
	assert_false(lk_keyring_can_sign(kr, "ES256"));
	assert_int_equal(lk_keyring_next_change(kr), 0);
	assert_int_equal(lk_jwt_sign(kr, "ES256", NULL, "{}", 2, &jwt), LK_ENOTFOUND);
	assert_null(jwt);
	lk_keyring_unref(kr);
	lk_keyring_unref(NULL);
	assert_null(lk_keyring_ref(NULL));
	assert_int_equal(lk_keyring_build(NULL, 1, &mk, 100, &kr), LK_EINVAL);
}

static void test_keyring_bad_rows(void **state)
{
	struct lk_master_key wrong = mk;
	struct lk_key_record rows[2];
	struct lk_keyring *kr = (struct lk_keyring *)&wrong; /* must stay untouched */
	struct lk_key_record c;

	(void)state;
	rows[0] = row_times(K_ES_A, 100, 0, 0);
	rows[1] = row_times(K_RS, 100, 0, 0);
	wrong.k[0] ^= 1;
	assert_int_equal(lk_keyring_build(rows, 2, &wrong, 300, &kr), LK_EKEY);
	assert_ptr_equal(kr, (struct lk_keyring *)&wrong);

	/* A next key will sign later, so it is checked now too. */
	rows[0].retire_at = 200;
	rows[1].activate_at = 400;
	assert_int_equal(lk_keyring_build(rows, 2, &wrong, 300, &kr), LK_EKEY);
	/* So is an active key that another key of its algorithm outranks. */
	rows[0] = row_times(K_ES_A, 100, 0, 0);
	rows[1] = row_times(K_ES_B, 150, 0, 0);
	rows[0].private_sealed = keys[K_ES_B].private_sealed;
	rows[0].private_sealed_len = keys[K_ES_B].private_sealed_len;
	assert_int_equal(lk_keyring_build(rows, 2, &mk, 300, &kr), LK_EKEY);
	/* A retired key never signs again: it is published but not opened. */
	rows[0].retire_at = 200;
	assert_int_equal(lk_keyring_build(rows, 2, &mk, 300, &kr), LK_OK);
	assert_true(lk_keyring_can_sign(kr, "ES256"));
	assert_non_null(strstr(lk_keyring_jwks(kr), keys[K_ES_A].kid));
	lk_keyring_unref(kr);

	/* A sealed key moved to another row does not open (aad = kid). */
	c = row_copy(&keys[K_ES_A]);
	free(c.private_sealed);
	c.private_sealed = malloc(keys[K_ES_B].private_sealed_len);
	assert_non_null(c.private_sealed);
	memcpy(c.private_sealed, keys[K_ES_B].private_sealed, keys[K_ES_B].private_sealed_len);
	c.private_sealed_len = keys[K_ES_B].private_sealed_len;
	c.activate_at = 100;
	assert_int_equal(lk_keyring_build(&c, 1, &mk, 300, &kr), LK_EKEY);
	lk_key_record_release(&c);

	/* A sealed blob that authenticates but holds no private key is refused. */
	c = row_copy(&keys[K_ES_A]);
	c.activate_at = 100;
	free(c.private_sealed);
	c.private_sealed = NULL;
	assert_int_equal(lk_seal(&mk, c.kid, c.public_jwk, strlen(c.public_jwk), &c.private_sealed,
				 &c.private_sealed_len),
			 LK_OK);
	assert_int_equal(lk_keyring_build(&c, 1, &mk, 300, &kr), LK_ECRYPTO);
	lk_key_record_release(&c);

	/* A public key that is not the kid's is refused. */
	c = row_copy(&keys[K_ES_A]);
	free(c.public_jwk);
	c.public_jwk = strdup(keys[K_ES_B].public_jwk);
	assert_int_equal(lk_keyring_build(&c, 1, &mk, 300, &kr), LK_EPARSE);
	lk_key_record_release(&c);

	/* An ES256 row holding an RSA key is refused. */
	c = row_copy(&keys[K_RS]);
	free(c.alg);
	c.alg = strdup("ES256");
	assert_int_equal(lk_keyring_build(&c, 1, &mk, 300, &kr), LK_EPARSE);
	free(c.alg);
	c.alg = strdup("HS256");
	assert_int_equal(lk_keyring_build(&c, 1, &mk, 300, &kr), LK_EINVAL);
	/* ... unless it has expired: expired rows are not looked at. */
	c.expire_at = 200;
	assert_int_equal(lk_keyring_build(&c, 1, &mk, 300, &kr), LK_OK);
	assert_string_equal(lk_keyring_jwks(kr), "{\"keys\":[]}");
	lk_keyring_unref(kr);
	lk_key_record_release(&c);
}

/* --- JWT signing -------------------------------------------------------- */

/* Verifies jwt with the key of the JWKS that its kid names; returns the header. */
static cjose_header_t *verify_with_jwks(const struct lk_keyring *kr, const char *jwt,
					const char *claims)
{
	json_t *root = jwks_keys(kr);
	cjose_header_t *hdr;
	cjose_jws_t *jws;
	cjose_jwk_t *jwk = NULL;
	const char *kid;
	uint8_t *payload = NULL;
	size_t plen = 0, i;
	json_t *k;
	char *text;

	jws = cjose_jws_import(jwt, strlen(jwt), NULL);
	assert_non_null(jws);
	hdr = cjose_jws_get_protected(jws);
	kid = cjose_header_get(hdr, CJOSE_HDR_KID, NULL);
	assert_non_null(kid);
	for (i = 0; i < json_array_size(json_object_get(root, "keys")); i++) {
		k = json_array_get(json_object_get(root, "keys"), i);
		if (strcmp(json_string_value(json_object_get(k, "kid")), kid) != 0)
			continue;
		text = json_dumps(k, 0);
		jwk = cjose_jwk_import(text, strlen(text), NULL);
		free(text);
	}
	assert_non_null(jwk);
	assert_true(cjose_jws_verify(jws, jwk, NULL));
	assert_true(cjose_jws_get_plaintext(jws, &payload, &plen, NULL));
	assert_int_equal(plen, strlen(claims));
	assert_memory_equal(payload, claims, plen);
	cjose_header_retain(hdr);
	cjose_jwk_release(jwk);
	cjose_jws_release(jws);
	json_decref(root);
	return hdr;
}

static void sign_and_verify(const struct lk_keyring *kr, const char *alg, const char *typ,
			    const char *kid)
{
	const char claims[] = "{\"iss\":\"https://issuer.example\",\"sub\":\"alice\",\"exp\":9}";
	cjose_header_t *hdr;
	char *jwt = NULL;
	json_t *h;

	assert_int_equal(lk_jwt_sign(kr, alg, typ, claims, strlen(claims), &jwt), LK_OK);
	hdr = verify_with_jwks(kr, jwt, claims);
	assert_string_equal(cjose_header_get(hdr, CJOSE_HDR_ALG, NULL), alg);
	assert_string_equal(cjose_header_get(hdr, CJOSE_HDR_KID, NULL), kid);
	h = (json_t *)hdr;
	if (typ) {
		assert_string_equal(cjose_header_get(hdr, "typ", NULL), typ);
		assert_int_equal(json_object_size(h), 3);
	} else {
		assert_null(cjose_header_get(hdr, "typ", NULL));
		assert_int_equal(json_object_size(h), 2);
	}
	cjose_header_release(hdr);
	free(jwt);
}

static void test_jwt_sign(void **state)
{
	struct lk_key_record rows[5];
	struct lk_keyring *kr = NULL;
	char *jwt = NULL, *big;
	cjose_jws_t *jws;
	cjose_jwk_t *other;
	json_t *pub;
	char *text;

	(void)state;
	rows[0] = row_times(K_ES_A, 100, 0, 0);
	rows[1] = row_times(K_ES_B, 200, 0, 0);
	rows[2] = row_times(K_RS, 100, 0, 0);
	rows[3] = row_times(K_PS, 100, 0, 0);
	rows[4] = row_times(K_ES_C, 900, 0, 0);
	assert_int_equal(lk_keyring_build(rows, 5, &mk, 300, &kr), LK_OK);

	/* ES_B activated later than ES_A, so it signs. */
	sign_and_verify(kr, "ES256", "at+jwt", keys[K_ES_B].kid);
	sign_and_verify(kr, "ES256", NULL, keys[K_ES_B].kid);
	sign_and_verify(kr, "RS256", "JWT", keys[K_RS].kid);
	sign_and_verify(kr, "PS256", "at+jwt", keys[K_PS].kid);

	/* A signature by the ES256 key does not verify under another key. */
	assert_int_equal(lk_jwt_sign(kr, "ES256", NULL, "{\"a\":1}", 7, &jwt), LK_OK);
	jws = cjose_jws_import(jwt, strlen(jwt), NULL);
	assert_non_null(jws);
	pub = json_loads(keys[K_ES_A].public_jwk, 0, NULL);
	text = json_dumps(pub, 0);
	other = cjose_jwk_import(text, strlen(text), NULL);
	assert_non_null(other);
	assert_false(cjose_jws_verify(jws, other, NULL));
	cjose_jwk_release(other);
	free(text);
	json_decref(pub);
	cjose_jws_release(jws);
	free(jwt);
	jwt = NULL;

	assert_int_equal(lk_jwt_sign(kr, "HS256", NULL, "{}", 2, &jwt), LK_ENOTFOUND);
	assert_int_equal(lk_jwt_sign(kr, "none", NULL, "{}", 2, &jwt), LK_ENOTFOUND);
	assert_int_equal(lk_jwt_sign(kr, "ES256", NULL, "[1]", 3, &jwt), LK_EINVAL);
	assert_int_equal(lk_jwt_sign(kr, "ES256", NULL, "", 0, &jwt), LK_EINVAL);
	assert_int_equal(lk_jwt_sign(kr, "ES256", "", "{}", 2, &jwt), LK_EINVAL);
	assert_int_equal(lk_jwt_sign(NULL, "ES256", NULL, "{}", 2, &jwt), LK_EINVAL);
	big = malloc(65537);
	assert_non_null(big);
	memset(big, ' ', 65537);
	big[0] = '{';
	big[65536] = '}';
	assert_int_equal(lk_jwt_sign(kr, "ES256", NULL, big, 65537, &jwt), LK_ETOOBIG);
	assert_int_equal(lk_jwt_sign(kr, "ES256", NULL, big, 65536, &jwt), LK_EINVAL);
	big[65535] = '}';
	assert_int_equal(lk_jwt_sign(kr, "ES256", NULL, big, 65536, &jwt), LK_OK);
	free(jwt);
	free(big);
	lk_keyring_unref(kr);
}

/* ES256 signatures are r || s, 32 bytes each, zero-padded (RFC 7518 §3.4). */
static void test_es256_signature_length(void **state)
{
	struct lk_key_record row = row_times(K_ES_A, 100, 0, 0);
	struct lk_keyring *kr = NULL;
	char *jwt;
	const char *sig;
	int i;

	(void)state;
	assert_int_equal(lk_keyring_build(&row, 1, &mk, 300, &kr), LK_OK);
	for (i = 0; i < 300; i++) {
		jwt = NULL;
		assert_int_equal(lk_jwt_sign(kr, "ES256", NULL, "{}", 2, &jwt), LK_OK);
		sig = strrchr(jwt, '.');
		assert_non_null(sig);
		assert_int_equal(strlen(sig + 1), 86);
		free(jwt);
	}
	lk_keyring_unref(kr);
}

/* --- concurrency ------------------------------------------------------ */

static void *worker(void *arg)
{
	struct lk_keyring *kr = arg;
	struct lk_keyring *mine;
	char *jwt;
	int i;

	for (i = 0; i < 20000; i++) {
		mine = lk_keyring_ref(kr);
		if (i % 100 == 0) {
			jwt = NULL;
			if (lk_jwt_sign(mine, "ES256", "at+jwt", "{\"i\":1}", 7, &jwt) != LK_OK)
				return (void *)1;
			free(jwt);
		}
		lk_keyring_unref(mine);
	}
	/* Each thread leaves with the reference the main thread gave it. */
	lk_keyring_unref(kr);
	return NULL;
}

static void test_ref_threads(void **state)
{
	struct lk_key_record row = row_times(K_ES_A, 100, 0, 0);
	struct lk_keyring *kr = NULL;
	pthread_t t[2];
	void *res[2];
	int i;

	(void)state;
	assert_int_equal(lk_keyring_build(&row, 1, &mk, 300, &kr), LK_OK);
	for (i = 0; i < 2; i++) {
		assert_ptr_equal(lk_keyring_ref(kr), kr);
		assert_int_equal(pthread_create(&t[i], NULL, worker, kr), 0);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], &res[i]), 0);
		assert_null(res[i]);
	}
	assert_int_equal(atomic_load(&kr->refs), 1);
	lk_keyring_unref(kr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_master_env),
		cmocka_unit_test(test_master_file),
		cmocka_unit_test(test_master_file_errors),
		cmocka_unit_test(test_seal_roundtrip),
		cmocka_unit_test(test_seal_tamper),
		cmocka_unit_test(test_thumbprint_rfc7638),
		cmocka_unit_test(test_thumbprint_errors),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_keyring_states),
		cmocka_unit_test(test_keyring_empty),
		cmocka_unit_test(test_keyring_bad_rows),
		cmocka_unit_test(test_jwt_sign),
		cmocka_unit_test(test_es256_signature_length),
		cmocka_unit_test(test_ref_threads),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
