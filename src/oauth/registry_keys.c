/*
 * Signing keys as the administrator sees them (`latchkey key list|rotate`,
 * /admin/api/keys): the list with each key's state, and rotation of one or
 * every signing algorithm. The life of a key itself (publish first, sign
 * later, keep publishing) is oauth/signing_keys.c; this file adds the checks
 * and messages the CLI and the admin API share, and the audit entries.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "jose/keyring.h"
#include "oauth/registry_int.h"
#include "oauth/signing_keys.h"

/* Every algorithm a key may have, in the order rotation goes through them. */
static const char *const ALGS[] = {"ES256", "RS256", "PS256"};

enum lk_err lk_registry_keys_prepare(struct lk_registry *r, const struct lk_master_key *mk,
				     struct lk_keyring **kr)
{
	struct lk_keyring *ring = NULL;
	enum lk_err err;

	r->err[0] = '\0';
	err = lk_signing_keys_ensure(r->store, mk, r->cfg, r->now, NULL);
	/* Prove the master key opens the keys before changing anything. */
	if (!err)
		err = lk_signing_keys_load(r->store, mk, r->now, &ring);
	if (err == LK_EKEY)
		return lk_reg_fail(r, err,
				   "the master key does not open the signing keys in "
				   "this database");
	if (err)
		return lk_reg_fail(r, err, "cannot prepare the signing keys: %s", lk_err_str(err));
	if (kr)
		*kr = ring;
	else
		lk_keyring_unref(ring);
	return LK_OK;
}

enum lk_err lk_registry_key_list(struct lk_registry *r, struct lk_key_record **out, size_t *n)
{
	enum lk_err err;

	r->err[0] = '\0';
	err = lk_store_key_list(r->store, out, n);
	if (err)
		return lk_reg_fail(r, err, "cannot read the signing keys");
	return LK_OK;
}

static json_t *time_or_null(int64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	lk_time_format(t, buf);
	return json_string(buf);
}

void *lk_key_to_json(const struct lk_key_record *k, int64_t now)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "kid", k->kid, "alg", k->alg,
			 "state", lk_key_state_name(lk_key_state(k, now)), "created_at",
			 time_or_null(k->created_at), "activate_at", time_or_null(k->activate_at),
			 "retire_at", time_or_null(k->retire_at), "expire_at",
			 time_or_null(k->expire_at));
}

enum lk_err lk_registry_key_alg_check(struct lk_registry *r, const char *alg)
{
	if (!lk_alg_supported(alg))
		return lk_reg_invalid(r, "%s: '%s' is not one of ES256, RS256, PS256",
				      lk_reg_field(r, "--alg", "alg"), alg);
	return LK_OK;
}

/* Rotates one algorithm and writes its audit entry; *entry describes the new key. */
static enum lk_err rotate_one(struct lk_registry *r, const struct lk_master_key *mk,
			      const char *alg, bool immediate, json_t **entry)
{
	int64_t at = immediate ? r->now : r->now + (int64_t)r->cfg->publish_delay * 60;
	char kid[64], when[32], detail[96];
	enum lk_err err;

	err = lk_signing_keys_rotate(r->store, mk, r->cfg, alg, immediate, r->now, kid);
	if (err)
		return lk_reg_fail(r, err, "cannot rotate the %s key: %s", alg, lk_err_str(err));
	lk_time_format(at, when);
	/* The rotation is its own transaction; the audit entry follows it. */
	snprintf(detail, sizeof(detail), "alg=%s signs from %s", alg, when);
	err = lk_reg_begin(r);
	if (!err)
		err = lk_reg_end(r, LK_OK, "key.rotate", "key", kid, detail);
	if (err)
		return err;
	*entry = json_pack("{s:s, s:s, s:s}", "kid", kid, "alg", alg, "activate_at", when);
	return *entry ? LK_OK : LK_ENOMEM;
}

enum lk_err lk_registry_key_rotate(struct lk_registry *r, const struct lk_master_key *mk,
				   const char *alg, bool immediate, void **out)
{
	json_t *arr = NULL;
	enum lk_err err;

	r->err[0] = '\0';
	r->warn[0] = '\0';
	if (alg && (err = lk_registry_key_alg_check(r, alg)) != LK_OK)
		return err;
	if (alg && !strstr(r->cfg->signing_algs, alg))
		return lk_reg_invalid(r, "%s: %s is not in [keys] signing_algs (%s)",
				      lk_reg_field(r, "--alg", "alg"), alg, r->cfg->signing_algs);
	arr = json_array();
	if (!arr)
		return LK_ENOMEM;
	err = LK_OK;
	for (size_t i = 0; i < sizeof(ALGS) / sizeof(ALGS[0]) && !err; i++) {
		json_t *entry = NULL;

		/* Without alg: every algorithm that signs (DESIGN §6). */
		if (alg ? strcmp(alg, ALGS[i]) != 0 : !strstr(r->cfg->signing_algs, ALGS[i]))
			continue;
		err = rotate_one(r, mk, ALGS[i], immediate, &entry);
		if (!err)
			err = json_array_append_new(arr, entry) ? LK_ENOMEM : LK_OK;
	}
	if (err) {
		json_decref(arr);
		return err;
	}
	*out = arr;
	return LK_OK;
}
