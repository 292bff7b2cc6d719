/*
 * Password sign-in with throttling (DESIGN §3). The counts live in the
 * database, so every instance sees the same ones; each update runs in one
 * transaction, so concurrent failures are all counted.
 */
#include "oauth/signin.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/password.h"
#include "oauth/registry.h"

/* The first lock and the longest one, in seconds (DESIGN §6). */
#define LOCK_FIRST 60
#define LOCK_MAX 3600
#define KEY_MAX (LK_SIGNIN_USERNAME_MAX + 64)

/*
 * A hash of a password nobody knows, checked when the user does not exist,
 * so that an unknown name costs the same time as a wrong password. Made once
 * with the configured parameters.
 */
static char *dummy_hash;
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static struct lk_argon2_params dummy_params;

static void make_dummy(void)
{
	char pw[33];

	if (lk_password_generate(pw, 32) == LK_OK)
		(void)lk_password_hash(pw, &dummy_params, &dummy_hash);
	lk_wipe(pw, sizeof(pw));
}

static void argon2_params(const struct lk_config *cfg, struct lk_argon2_params *p)
{
	p->memory_kib = (uint32_t)cfg->password_memory_kib;
	p->iterations = (uint32_t)cfg->password_iterations;
	p->parallelism = (uint32_t)cfg->password_parallelism;
}

enum lk_err lk_throttle_locked(struct lk_store *s, const char *key, int64_t now,
			       int64_t *retry_after)
{
	struct lk_throttle_record r;
	enum lk_err err = lk_store_throttle_get(s, key, &r);

	if (err == LK_ENOTFOUND) {
		*retry_after = 0;
		return LK_OK;
	}
	if (err)
		return err;
	*retry_after = r.locked_until > now ? r.locked_until - now : 0;
	return LK_OK;
}

enum lk_err lk_throttle_fail(struct lk_store *s, const struct lk_config *cfg, const char *key,
			     int64_t now)
{
	struct lk_throttle_record r = {0};
	int64_t window = (int64_t)cfg->failure_window * 60;
	enum lk_err err = lk_store_begin(s);

	if (err)
		return err;
	err = lk_store_throttle_get(s, key, &r);
	if (err == LK_ENOTFOUND) {
		memset(&r, 0, sizeof(r));
		err = LK_OK;
	}
	if (err)
		goto out;
	/* A window that has passed starts again; so does the growth of the lock. */
	if (r.failures == 0 || now - r.window_start >= window) {
		if (r.locked_until <= now && now - r.window_start >= window)
			r.lock_seconds = 0;
		r.failures = 0;
		r.window_start = now;
	}
	r.failures++;
	if (r.failures >= cfg->max_failures) {
		r.lock_seconds = r.lock_seconds ? r.lock_seconds * 2 : LOCK_FIRST;
		if (r.lock_seconds > LOCK_MAX)
			r.lock_seconds = LOCK_MAX;
		r.locked_until = now + r.lock_seconds;
		/*
		 * The next failure after the lock locks again, for twice as long;
		 * the window counts from when attempts are possible again, so that
		 * waiting out the locks does not reset their growth.
		 */
		r.failures = cfg->max_failures - 1;
		r.window_start = r.locked_until;
	}
	r.expires_at = now + window + (r.locked_until > now ? r.locked_until - now : 0) + LOCK_MAX;
	err = lk_store_throttle_put(s, key, &r);
out:
	if (err) {
		lk_store_rollback(s);
		return err;
	}
	return lk_store_commit(s);
}

/* "user:local\alice" for an account, "addr:192.0.2.1" for an address. */
static void make_key(char *out, size_t outlen, const char *kind, const char *a, const char *b)
{
	size_t i;

	snprintf(out, outlen, "%s:%s%s%s", kind, a, b ? "\\" : "", b ? b : "");
	for (i = 0; out[i]; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
}

/* Finds the user a person means by what they typed. */
static enum lk_err find_user(struct lk_store *s, const struct lk_config *cfg, const char *name,
			     struct lk_user *out, char *key, size_t keylen)
{
	char domain[LK_SIGNIN_USERNAME_MAX + 1], user[LK_SIGNIN_USERNAME_MAX + 1];

	/* An email address, or a user name that looks like one (SCIM userNames often do). */
	if (strchr(name, '@') && !strchr(name, '\\')) {
		enum lk_err err = lk_store_user_find_email(s, name, out);

		make_key(key, keylen, "user", name, NULL);
		if (err != LK_ENOTFOUND)
			return err;
	}
	if (lk_user_name_parse(name, cfg->default_domain, domain, sizeof(domain), user,
			       sizeof(user))) {
		make_key(key, keylen, "user", name, NULL);
		return LK_ENOTFOUND;
	}
	make_key(key, keylen, "user", domain, user);
	return lk_store_user_find(s, domain, user, out);
}

/*
 * A security event in the audit log (issue: hardening): who tried, from
 * where, about which account. Never the password. A failure to record is
 * logged and does not change the answer.
 */
static void audit(struct lk_store *s, int64_t now, const char *action, const char *ukey,
		  const char *akey, const char *detail)
{
	struct lk_audit e = {
		.at = now,
		.actor = (char *)akey,
		.action = (char *)action,
		.object_type = (char *)"user",
		.object_id = (char *)(strncmp(ukey, "user:", 5) == 0 ? ukey + 5 : ukey),
		.detail = (char *)detail,
	};
	enum lk_err err = lk_store_audit_add(s, &e);

	if (err)
		lk_warn("cannot record %s in the audit log: %s", action, lk_err_str(err));
}

/* Counts a failure for the account and the address; the answer stays "denied". */
static enum lk_err failed(struct lk_store *s, const struct lk_config *cfg, const char *ukey,
			  const char *akey, int64_t now)
{
	int64_t wait_user = 0, wait_addr = 0;
	enum lk_err err = lk_throttle_fail(s, cfg, ukey, now);

	if (!err)
		err = lk_throttle_fail(s, cfg, akey, now);
	if (err)
		return err;
	audit(s, now, "signin.failure", ukey, akey, "wrong user name or password, or disabled");
	/* The failure that starts a lock is worth its own line. */
	if (lk_throttle_locked(s, ukey, now, &wait_user) == LK_OK &&
	    lk_throttle_locked(s, akey, now, &wait_addr) == LK_OK && (wait_user || wait_addr)) {
		char why[96];

		snprintf(why, sizeof(why), "locked for %lld s (%s)",
			 (long long)(wait_user > wait_addr ? wait_user : wait_addr),
			 wait_user ? "account" : "address");
		lk_warn("sign-in locked: %s", why);
		audit(s, now, "signin.lockout", ukey, akey, why);
	}
	return LK_EDENIED;
}

enum lk_err lk_signin_password(struct lk_store *s, const struct lk_config *cfg,
			       const char *username, const char *password, const char *client_addr,
			       int64_t now, struct lk_user *user, int64_t *retry_after)
{
	char ukey[KEY_MAX], akey[KEY_MAX];
	struct lk_user u = {0};
	struct lk_argon2_params p;
	int64_t wait_user = 0, wait_addr = 0;
	bool found, ok = false;
	enum lk_err err;

	if (!username || !password || !*username)
		return LK_EDENIED;
	if (strlen(username) > LK_SIGNIN_USERNAME_MAX || strlen(password) > LK_SIGNIN_PASSWORD_MAX)
		return LK_ETOOBIG;
	argon2_params(cfg, &p);
	err = find_user(s, cfg, username, &u, ukey, sizeof(ukey));
	if (err && err != LK_ENOTFOUND)
		return err;
	found = err == LK_OK;
	/* The account is counted under its canonical name whichever way it was typed. */
	if (found)
		make_key(ukey, sizeof(ukey), "user", u.domain, u.username);
	make_key(akey, sizeof(akey), "addr", client_addr ? client_addr : "-", NULL);
	err = lk_throttle_locked(s, ukey, now, &wait_user);
	if (!err)
		err = lk_throttle_locked(s, akey, now, &wait_addr);
	if (err)
		goto out;
	if (wait_user || wait_addr) {
		*retry_after = wait_user > wait_addr ? wait_user : wait_addr;
		audit(s, now, "signin.refused", ukey, akey, "attempt while locked");
		err = LK_EBUSY;
		goto out;
	}
	if (found && u.password_hash[0]) {
		err = lk_password_verify(u.password_hash, password, &p, NULL);
		ok = err == LK_OK;
		if (err == LK_EPARSE)
			lk_warn("user %s\\%s has a malformed password hash", u.domain, u.username);
	} else {
		dummy_params = p;
		pthread_once(&dummy_once, make_dummy);
		if (dummy_hash)
			(void)lk_password_verify(dummy_hash, password, &p, NULL);
	}
	if (!ok || !u.enabled) {
		err = failed(s, cfg, ukey, akey, now);
		goto out;
	}
	err = lk_store_throttle_delete(s, ukey);
	if (err)
		goto out;
	audit(s, now, "signin.success", ukey, akey, "");
	*user = u;
	return LK_OK;
out:
	lk_user_release(&u);
	return err;
}
