#include "oauth/signing_keys.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"

/* Clock skew allowed to resource servers that verify our tokens offline. */
#define SKEW_SECONDS 300

int64_t lk_signing_keys_retention(const struct lk_config *cfg)
{
	/*
	 * JWT access tokens live at most [tokens] access_lifetime; ID tokens are
	 * issued with the same lifetime. Applications with longer lifetimes or
	 * "never" receive opaque tokens, which no key signs.
	 */
	return (int64_t)cfg->access_lifetime * 60 + SKEW_SECONDS;
}

/* True when alg appears in the space-separated list. */
static bool alg_listed(const char *list, const char *alg)
{
	size_t n = strlen(alg);
	const char *p = list;

	while ((p = strstr(p, alg)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
		p += n;
	}
	return false;
}

/* Calls fn for each algorithm of the space-separated list. */
static enum lk_err each_alg(const char *list, enum lk_err (*fn)(const char *alg, void *arg),
			    void *arg)
{
	static const char *const known[] = {"ES256", "RS256", "PS256"};
	enum lk_err err;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!alg_listed(list, known[i]))
			continue;
		err = fn(known[i], arg);
		if (err)
			return err;
	}
	return LK_OK;
}

/* Whether alg has a key that signs now or will without another rotation. */
static bool has_live_key(const struct lk_key_record *rows, size_t n, const char *alg,
			 int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		enum lk_key_state st = lk_key_state(&rows[i], now);

		if (strcmp(rows[i].alg, alg) != 0)
			continue;
		if (st == LK_KEY_ACTIVE && rows[i].retire_at == 0)
			return true;
		if (st == LK_KEY_NEXT && rows[i].retire_at == 0)
			return true;
	}
	return false;
}

static enum lk_err insert_new(struct lk_store *s, const struct lk_master_key *mk,
			      const char *alg, int64_t now, int64_t activate_at, char *kid_out)
{
	struct lk_key_record rec = {0};
	enum lk_err err;

	err = lk_key_generate(alg, mk, now, activate_at, &rec);
	if (err)
		return err;
	err = lk_store_key_insert(s, &rec);
	if (!err && kid_out)
		snprintf(kid_out, 64, "%s", rec.kid);
	if (!err)
		lk_info("signing key %s (%s) created", rec.kid, alg);
	lk_key_record_release(&rec);
	return err;
}

struct ensure_ctx {
	struct lk_store *s;
	const struct lk_master_key *mk;
	const struct lk_key_record *rows;
	size_t n;
	int64_t now;
	int created;
};

static enum lk_err ensure_one(const char *alg, void *arg)
{
	struct ensure_ctx *c = arg;
	enum lk_err err;

	if (has_live_key(c->rows, c->n, alg, c->now))
		return LK_OK;
	err = insert_new(c->s, c->mk, alg, c->now, c->now, NULL);
	if (!err)
		c->created++;
	return err;
}

enum lk_err lk_signing_keys_ensure(struct lk_store *s, const struct lk_master_key *mk,
				   const struct lk_config *cfg, int64_t now, int *created)
{
	struct ensure_ctx c = {.s = s, .mk = mk, .now = now};
	struct lk_key_record *rows = NULL;
	enum lk_err err;

	err = lk_store_begin(s);
	if (err)
		return err;
	err = lk_store_key_list(s, &rows, &c.n);
	if (err)
		goto out;
	c.rows = rows;
	/*
	 * Refuse a master key that does not open the existing keys before
	 * adding one sealed under it: the database would hold two key families.
	 */
	if (c.n) {
		struct lk_keyring *kr = NULL;

		err = lk_keyring_build(rows, c.n, mk, now, &kr);
		lk_keyring_unref(kr);
		if (err)
			goto out;
	}
	err = each_alg(cfg->signing_algs, ensure_one, &c);
	if (!err && c.created)
		err = lk_store_change_bump(s);
out:
	lk_key_records_free(rows, c.n);
	if (err) {
		lk_store_rollback(s);
		return err;
	}
	err = lk_store_commit(s);
	if (!err && created)
		*created = c.created;
	return err;
}

/* Inside a transaction: retire the live keys of alg and add the new one. */
static enum lk_err rotate_locked(struct lk_store *s, const struct lk_master_key *mk,
				 const struct lk_config *cfg, const struct lk_key_record *rows,
				 size_t n, const char *alg, bool immediate, int64_t now,
				 char *new_kid)
{
	int64_t activate_at = immediate ? now : now + (int64_t)cfg->publish_delay * 60;
	int64_t expire_at = activate_at + lk_signing_keys_retention(cfg);
	enum lk_err err;

	for (size_t i = 0; i < n; i++) {
		enum lk_key_state st = lk_key_state(&rows[i], now);

		if (strcmp(rows[i].alg, alg) != 0 || rows[i].retire_at != 0)
			continue;
		if (st != LK_KEY_ACTIVE && st != LK_KEY_NEXT)
			continue;
		err = lk_store_key_set_times(s, rows[i].kid, activate_at, expire_at);
		if (err)
			return err;
	}
	err = insert_new(s, mk, alg, now, activate_at, new_kid);
	if (err)
		return err;
	return lk_store_change_bump(s);
}

enum lk_err lk_signing_keys_rotate(struct lk_store *s, const struct lk_master_key *mk,
				   const struct lk_config *cfg, const char *alg, bool immediate,
				   int64_t now, char *new_kid)
{
	struct lk_key_record *rows = NULL;
	size_t n = 0;
	enum lk_err err;

	if (!lk_alg_supported(alg))
		return LK_EINVAL;
	err = lk_store_begin(s);
	if (err)
		return err;
	err = lk_store_key_list(s, &rows, &n);
	if (!err)
		err = rotate_locked(s, mk, cfg, rows, n, alg, immediate, now, new_kid);
	lk_key_records_free(rows, n);
	if (err) {
		lk_store_rollback(s);
		return err;
	}
	return lk_store_commit(s);
}

struct auto_ctx {
	struct lk_store *s;
	const struct lk_master_key *mk;
	const struct lk_config *cfg;
	const struct lk_key_record *rows;
	size_t n;
	int64_t now;
	int rotated;
};

static enum lk_err auto_one(const char *alg, void *arg)
{
	struct auto_ctx *c = arg;
	int64_t period = (int64_t)c->cfg->rotate_every * 86400;
	const struct lk_key_record *current = NULL;

	for (size_t i = 0; i < c->n; i++) {
		const struct lk_key_record *r = &c->rows[i];
		enum lk_key_state st = lk_key_state(r, c->now);

		if (strcmp(r->alg, alg) != 0 || r->retire_at != 0)
			continue;
		/* A successor is already waiting: nothing to do. */
		if (st == LK_KEY_NEXT)
			return LK_OK;
		if (st == LK_KEY_ACTIVE && (!current || r->activate_at > current->activate_at))
			current = r;
	}
	if (!current || current->activate_at + period > c->now)
		return LK_OK;
	c->rotated++;
	return rotate_locked(c->s, c->mk, c->cfg, c->rows, c->n, alg, false, c->now, NULL);
}

enum lk_err lk_signing_keys_auto_rotate(struct lk_store *s, const struct lk_master_key *mk,
					const struct lk_config *cfg, int64_t now, int *rotated)
{
	struct auto_ctx c = {.s = s, .mk = mk, .cfg = cfg, .now = now};
	struct lk_key_record *rows = NULL;
	enum lk_err err;

	if (cfg->rotate_every <= 0) {
		if (rotated)
			*rotated = 0;
		return LK_OK;
	}
	err = lk_store_begin(s);
	if (err)
		return err;
	err = lk_store_key_list(s, &rows, &c.n);
	if (!err) {
		c.rows = rows;
		err = each_alg(cfg->signing_algs, auto_one, &c);
	}
	lk_key_records_free(rows, c.n);
	if (err) {
		lk_store_rollback(s);
		return err;
	}
	err = lk_store_commit(s);
	if (!err && rotated)
		*rotated = c.rotated;
	return err;
}

enum lk_err lk_signing_keys_load(struct lk_store *s, const struct lk_master_key *mk, int64_t now,
				 struct lk_keyring **out)
{
	struct lk_key_record *rows = NULL;
	size_t n = 0;
	enum lk_err err;

	err = lk_store_key_list(s, &rows, &n);
	if (err)
		return err;
	err = lk_keyring_build(rows, n, mk, now, out);
	lk_key_records_free(rows, n);
	return err;
}
