/*
 * Key states and the keyring snapshot: which key signs for each algorithm,
 * the JWKS document, the public keys tokens are verified with, and when the
 * snapshot must be rebuilt.
 *
 * Every instance derives the same keyring from the same rows, so the choice
 * of the signing key depends only on the rows, never on their order.
 */
#include "jose/keyring.h"

#include <stdlib.h>
#include <string.h>

#include <cjose/jwk.h>
#include <cjose/util.h>

#include "core/log.h"
#include "core/secure.h"
#include "jose/jose_int.h"
#include "jose/verified.h"

/* Far more rows than rotation ever leaves behind; more means a runaway loop. */
#define KEYRING_MAX_ROWS 1024
/* The JWK member holding the private key (RFC 7518 §6.2.2.1, §6.3.2.1). */
#define JWK_D "d"

/* The order keys are listed in the JWKS. */
enum jwks_group { GROUP_SIGNING, GROUP_ACTIVE, GROUP_NEXT, GROUP_RETIRED, GROUP__COUNT };

static const char *const state_names[] = {
	[LK_KEY_NEXT] = "next",
	[LK_KEY_ACTIVE] = "active",
	[LK_KEY_RETIRED] = "retired",
	[LK_KEY_EXPIRED] = "expired",
};

enum lk_key_state lk_key_state(const struct lk_key_record *r, int64_t now)
{
	/*
	 * Expiry wins over everything, so a key withdrawn before it activated
	 * is never published; retirement wins over activation for the same
	 * reason.
	 */
	if (r->expire_at != 0 && r->expire_at <= now)
		return LK_KEY_EXPIRED;
	if (r->retire_at != 0 && r->retire_at <= now)
		return LK_KEY_RETIRED;
	if (now < r->activate_at)
		return LK_KEY_NEXT;
	return LK_KEY_ACTIVE;
}

const char *lk_key_state_name(enum lk_key_state s)
{
	return (unsigned)s <= LK_KEY_EXPIRED ? state_names[s] : "unknown";
}

static enum lk_err check_row(const struct lk_key_record *r)
{
	if (!r->kid || !r->alg || !r->public_jwk || !r->private_sealed)
		return LK_EINVAL;
	if (strlen(r->kid) >= LK_KID_MAX || !lk_alg_supported(r->alg))
		return LK_EINVAL;
	return LK_OK;
}

/*
 * True when a should sign rather than b: the later activation, then the
 * later creation, then the greater kid, so that ties break the same way on
 * every instance.
 */
static bool signs_before(const struct lk_key_record *a, const struct lk_key_record *b)
{
	if (a->activate_at != b->activate_at)
		return a->activate_at > b->activate_at;
	if (a->created_at != b->created_at)
		return a->created_at > b->created_at;
	return strcmp(a->kid, b->kid) > 0;
}

/* Validates the published rows and picks the signing key of each algorithm. */
static enum lk_err pick_signers(const struct lk_key_record *rows, size_t n, int64_t now,
				const struct lk_key_record *sign[LK_ALG__COUNT])
{
	enum lk_err err;
	size_t i;
	int idx;

	for (i = 0; i < n; i++) {
		if (lk_key_state(&rows[i], now) == LK_KEY_EXPIRED)
			continue;
		err = check_row(&rows[i]);
		if (err)
			return err;
		if (lk_key_state(&rows[i], now) != LK_KEY_ACTIVE)
			continue;
		idx = lk_alg_index(rows[i].alg);
		if (!sign[idx] || signs_before(&rows[i], sign[idx]))
			sign[idx] = &rows[i];
	}
	return LK_OK;
}

static enum jwks_group group_of(const struct lk_key_record *r, int64_t now,
				const struct lk_key_record *const sign[LK_ALG__COUNT])
{
	switch (lk_key_state(r, now)) {
	case LK_KEY_NEXT:
		return GROUP_NEXT;
	case LK_KEY_RETIRED:
		return GROUP_RETIRED;
	case LK_KEY_ACTIVE:
		return sign[lk_alg_index(r->alg)] == r ? GROUP_SIGNING : GROUP_ACTIVE;
	default:
		return GROUP__COUNT;
	}
}

/* True when a parsed JWK has the key type (and curve) that alg signs with. */
static bool jwk_fits_alg(const json_t *jwk, int idx)
{
	const char *kty = json_string_value(json_object_get(jwk, JWK_KTY));
	const char *crv = json_string_value(json_object_get(jwk, JWK_CRV));

	if (!kty || strcmp(kty, lk_alg_kty(idx)) != 0)
		return false;
	return idx != LK_ALG_ES256 || (crv && strcmp(crv, JWK_CRV_P256) == 0);
}

/*
 * Imports the published form of a key once, so that verifying a token costs
 * no parsing of the key. A key latchkey would refuse to verify with (an RSA
 * modulus out of bounds, a point off the curve) is refused here as a row
 * that does not hold the key its alg says.
 */
static enum lk_err make_verifier(const json_t *parsed, json_t *pub, const struct lk_key_record *r,
				 struct lk_verifier *out)
{
	int idx = lk_alg_index(r->alg);
	size_t sig_len;
	cjose_jwk_t *jwk;

	if (lk_jwk_verify_params(parsed, idx, &sig_len) != LK_OK) {
		lk_error("key '%s': not a key %s verifies with", r->kid, r->alg);
		return LK_EPARSE;
	}
	jwk = cjose_jwk_import_json((cjose_header_t *)pub, NULL);
	if (!jwk) {
		lk_error("key '%s': its public key cannot be imported", r->kid);
		return LK_EPARSE;
	}
	memcpy(out->kid, r->kid, strlen(r->kid) + 1);
	out->alg = idx;
	out->sig_len = sig_len;
	out->jwk = jwk;
	return LK_OK;
}

/*
 * Appends the published form of a row's public key to keys and imports it
 * into *slot for verification. The row's kid must be the thumbprint of its
 * key: a JWKS that names a key wrongly would make every token it verifies
 * fail.
 */
static enum lk_err add_public(json_t *keys, const struct lk_key_record *r, struct lk_verifier *slot)
{
	char kid[LK_KID_MAX];
	json_t *parsed = NULL, *pub = NULL;
	size_t len = strnlen(r->public_jwk, LK_JWK_MAX + 1);
	enum lk_err err = LK_ETOOBIG;

	if (len > LK_JWK_MAX)
		goto out;
	err = LK_EPARSE;
	parsed = json_loadb(r->public_jwk, len, JSON_REJECT_DUPLICATES, NULL);
	if (!parsed || !jwk_fits_alg(parsed, lk_alg_index(r->alg)))
		goto out;
	err = lk_jwk_thumbprint_obj(parsed, kid);
	if (!err && strcmp(kid, r->kid) != 0)
		err = LK_EPARSE;
	if (err) {
		lk_error("key '%s': its public key does not match its kid", r->kid);
		goto out;
	}
	err = lk_jwk_public_obj(parsed, r->kid, r->alg, &pub);
	if (err)
		goto out;
	err = make_verifier(parsed, pub, r, slot);
	if (err)
		goto out;
	err = json_array_append_new(keys, pub) == 0 ? LK_OK : LK_ENOMEM;
	pub = NULL;
	if (err) {
		/* The caller counts the slot only on success, so it must be empty. */
		cjose_jwk_release(slot->jwk);
		slot->jwk = NULL;
	}
out:
	json_decref(parsed);
	json_decref(pub);
	return err;
}

static enum lk_err build_jwks(const struct lk_key_record *rows, size_t n, int64_t now,
			      const struct lk_key_record *const sign[LK_ALG__COUNT],
			      struct lk_keyring *kr)
{
	json_t *root = json_object();
	json_t *keys = json_array();
	enum lk_err err = LK_ENOMEM;
	int g;
	size_t i;

	if (!root || !keys || json_object_set(root, JWKS_KEYS, keys) != 0)
		goto out;
	for (g = 0; g < GROUP__COUNT; g++) {
		for (i = 0; i < n; i++) {
			if (group_of(&rows[i], now, sign) != (enum jwks_group)g)
				continue;
			err = add_public(keys, &rows[i], &kr->verifiers[kr->n_verifiers]);
			if (err)
				goto out;
			kr->n_verifiers++;
		}
	}
	err = LK_ENOMEM;
	kr->jwks = json_dumps(root, JSON_COMPACT);
	if (!kr->jwks)
		goto out;
	kr->jwks_len = strlen(kr->jwks);
	err = LK_OK;
out:
	json_decref(keys);
	json_decref(root);
	return err;
}

/* Zeroes the string values of a parsed private JWK before it is freed. */
static void wipe_members(json_t *obj)
{
	void *it;
	json_t *v;

	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		v = json_object_iter_value(it);
		if (json_is_string(v))
			lk_wipe((char *)json_string_value(v), json_string_length(v));
	}
}

/*
 * Opens the sealed private key of a row and checks that it is the key the
 * JWKS publishes under the row's kid. When out is not NULL the key is
 * imported for signing; otherwise it is only checked and wiped.
 */
static enum lk_err open_private(const struct lk_key_record *r, const struct lk_master_key *mk,
				struct lk_signer *out)
{
	unsigned char *plain = NULL;
	size_t plain_len = 0;
	char kid[LK_KID_MAX];
	json_t *parsed = NULL;
	cjose_jwk_t *jwk = NULL;
	enum lk_err err;

	err = lk_unseal(mk, r->kid, r->private_sealed, r->private_sealed_len, &plain, &plain_len);
	if (err) {
		lk_error("key '%s': cannot open its private key (%s)", r->kid, lk_err_str(err));
		goto out;
	}
	err = LK_ECRYPTO;
	parsed = json_loadb((const char *)plain, plain_len, JSON_REJECT_DUPLICATES, NULL);
	if (!parsed || !jwk_fits_alg(parsed, lk_alg_index(r->alg)))
		goto out;
	if (!json_is_string(json_object_get(parsed, JWK_D)))
		goto out;
	if (lk_jwk_thumbprint_obj(parsed, kid) != LK_OK || strcmp(kid, r->kid) != 0)
		goto out;
	if (out) {
		jwk = cjose_jwk_import_json(parsed, NULL);
		if (!jwk)
			goto out;
		out->jwk = jwk;
		memcpy(out->kid, kid, sizeof(kid));
	}
	err = LK_OK;
out:
	if (err == LK_ECRYPTO)
		lk_error("key '%s': its sealed private key is not a valid key for %s", r->kid,
			 r->alg);
	if (parsed) {
		wipe_members(parsed);
		json_decref(parsed);
	}
	if (plain) {
		lk_wipe(plain, plain_len);
		free(plain);
	}
	return err;
}

/*
 * Opens the private keys of every key that signs now or will sign later
 * (active and next), so that a wrong master key or a damaged row shows up
 * at this build rather than when a key activates. Only the signing key of
 * each algorithm stays in memory; retired keys never sign again and are not
 * opened.
 */
static enum lk_err open_keys(const struct lk_key_record *rows, size_t n, int64_t now,
			     const struct lk_key_record *const sign[LK_ALG__COUNT],
			     const struct lk_master_key *mk, struct lk_keyring *kr)
{
	enum lk_key_state st;
	enum lk_err err;
	size_t i;
	int idx;

	for (i = 0; i < n; i++) {
		st = lk_key_state(&rows[i], now);
		if (st != LK_KEY_ACTIVE && st != LK_KEY_NEXT)
			continue;
		idx = lk_alg_index(rows[i].alg);
		err = open_private(&rows[i], mk, sign[idx] == &rows[i] ? &kr->signers[idx] : NULL);
		if (err)
			return err;
	}
	return LK_OK;
}

static int64_t next_change(const struct lk_key_record *rows, size_t n, int64_t now)
{
	int64_t best = 0;
	int64_t t[3];
	size_t i, j;

	for (i = 0; i < n; i++) {
		t[0] = rows[i].activate_at;
		t[1] = rows[i].retire_at;
		t[2] = rows[i].expire_at;
		for (j = 0; j < 3; j++) {
			if (t[j] > now && (best == 0 || t[j] < best))
				best = t[j];
		}
	}
	return best;
}

/* The order of the verifiers, and of a (kid, alg) search key against them. */
struct verifier_key {
	const char *kid;
	int alg;
};

static int order(const char *kid_a, int alg_a, const char *kid_b, int alg_b)
{
	int c = strcmp(kid_a, kid_b);

	if (c != 0)
		return c;
	return (alg_a > alg_b) - (alg_a < alg_b);
}

static int cmp_verifiers(const void *a, const void *b)
{
	const struct lk_verifier *va = a, *vb = b;

	return order(va->kid, va->alg, vb->kid, vb->alg);
}

static int cmp_key_verifier(const void *key, const void *elem)
{
	const struct verifier_key *k = key;
	const struct lk_verifier *v = elem;

	return order(k->kid, k->alg, v->kid, v->alg);
}

const struct lk_verifier *lk_keyring_verifier(const struct lk_keyring *kr, const char *kid, int alg)
{
	struct verifier_key key = {kid, alg};

	if (!kr || !kid || kr->n_verifiers == 0)
		return NULL;
	return bsearch(&key, kr->verifiers, kr->n_verifiers, sizeof(kr->verifiers[0]),
		       cmp_key_verifier);
}

static void keyring_free(struct lk_keyring *kr)
{
	size_t j;
	int i;

	for (i = 0; i < LK_ALG__COUNT; i++)
		cjose_jwk_release(kr->signers[i].jwk);
	for (j = 0; j < kr->n_verifiers; j++)
		cjose_jwk_release(kr->verifiers[j].jwk);
	free(kr->verifiers);
	free(kr->jwks);
	lk_verified_free(kr->verified);
	lk_wipe(kr, sizeof(*kr));
	free(kr);
}

enum lk_err lk_keyring_build(const struct lk_key_record *rows, size_t n,
			     const struct lk_master_key *mk, int64_t now, struct lk_keyring **out)
{
	const struct lk_key_record *sign[LK_ALG__COUNT] = {0};
	struct lk_keyring *kr = NULL;
	enum lk_err err = LK_EINVAL;

	if ((!rows && n > 0) || !mk || !out)
		goto out;
	err = LK_ETOOMANY;
	if (n > KEYRING_MAX_ROWS)
		goto out;
	err = LK_ENOMEM;
	kr = calloc(1, sizeof(*kr));
	if (!kr)
		goto out;
	atomic_init(&kr->refs, 1);
	/* At most one verifier per row; n is bounded above. */
	kr->verifiers = calloc(n > 0 ? n : 1, sizeof(kr->verifiers[0]));
	if (!kr->verifiers)
		goto out;
	err = pick_signers(rows, n, now, sign);
	if (err)
		goto out;
	err = build_jwks(rows, n, now, sign, kr);
	if (err)
		goto out;
	qsort(kr->verifiers, kr->n_verifiers, sizeof(kr->verifiers[0]), cmp_verifiers);
	err = open_keys(rows, n, now, sign, mk, kr);
	if (err)
		goto out;
	kr->next_change = next_change(rows, n, now);
	/* Without memory for it the keyring still verifies, only every time. */
	kr->verified = lk_verified_new();
	*out = kr;
	kr = NULL;
out:
	if (kr)
		keyring_free(kr);
	return err;
}

struct lk_keyring *lk_keyring_ref(struct lk_keyring *kr)
{
	if (kr)
		atomic_fetch_add_explicit(&kr->refs, 1, memory_order_relaxed);
	return kr;
}

void lk_keyring_unref(struct lk_keyring *kr)
{
	if (!kr)
		return;
	/* Release on every drop, acquire on the last, so the free sees all uses. */
	if (atomic_fetch_sub_explicit(&kr->refs, 1, memory_order_acq_rel) == 1)
		keyring_free(kr);
}

const char *lk_keyring_jwks(const struct lk_keyring *kr)
{
	return kr ? kr->jwks : NULL;
}

bool lk_keyring_can_sign(const struct lk_keyring *kr, const char *alg)
{
	int idx = lk_alg_index(alg);

	return kr && idx >= 0 && kr->signers[idx].jwk;
}

int64_t lk_keyring_next_change(const struct lk_keyring *kr)
{
	return kr ? kr->next_change : 0;
}
