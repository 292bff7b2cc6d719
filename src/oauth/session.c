/*
 * Browser sessions (DESIGN §3): an opaque cookie value whose SHA-256 is the
 * database key, so that any instance can serve it and a copy of the database
 * cannot be replayed as a cookie.
 */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "oauth/signin.h"

/* last_seen moves at most this often, in seconds. */
#define TOUCH_EVERY 60

int64_t lk_session_max_age(const struct lk_config *cfg)
{
	return (int64_t)cfg->session_max * 3600;
}

enum lk_err lk_session_create(struct lk_store *s, const struct lk_config *cfg, int64_t user_id,
			      const char *amr, int64_t now, char cookie[LK_TOKEN_MAX],
			      struct lk_session *out)
{
	struct lk_session_record r = {0};
	char sid[32];
	char token[LK_TOKEN_MAX];
	enum lk_err err = lk_token_new(LK_TOKEN_SESSION, token);

	if (!err)
		err = lk_random_id(sid, sizeof(sid), 16);
	if (err)
		goto out;
	lk_sha256(token, strlen(token), r.hash);
	r.sid = sid;
	r.user_id = user_id;
	r.amr = (char *)amr;
	r.auth_time = now;
	r.last_seen = now;
	r.expires_at = now + lk_session_max_age(cfg);
	err = lk_store_session_insert(s, &r);
	if (err)
		goto out;
	memcpy(cookie, token, LK_TOKEN_MAX);
	if (out) {
		memset(out, 0, sizeof(*out));
		out->user_id = user_id;
		out->auth_time = now;
		snprintf(out->sid, sizeof(out->sid), "%s", sid);
		snprintf(out->amr, sizeof(out->amr), "%s", amr);
	}
out:
	lk_wipe(token, sizeof(token));
	return err;
}

enum lk_err lk_session_find(struct lk_store *s, const struct lk_config *cfg, const char *cookie,
			    int64_t now, struct lk_session *out)
{
	struct lk_session_record r = {0};
	struct lk_user u = {0};
	uint8_t hash[LK_SHA256_LEN];
	int64_t idle = (int64_t)cfg->session_idle * 60;
	enum lk_err err;

	if (!cookie || strlen(cookie) >= LK_TOKEN_MAX ||
	    !lk_token_has_kind(cookie, LK_TOKEN_SESSION))
		return LK_ENOTFOUND;
	lk_sha256(cookie, strlen(cookie), hash);
	err = lk_store_session_get(s, hash, &r);
	if (err)
		return err;
	if (r.expires_at <= now || r.last_seen + idle <= now) {
		err = LK_ENOTFOUND;
		goto out;
	}
	err = lk_store_user_get(s, r.user_id, &u);
	if (!err && !u.enabled)
		err = LK_ENOTFOUND;
	if (err)
		goto out;
	if (now - r.last_seen >= TOUCH_EVERY) {
		err = lk_store_session_touch(s, hash, now);
		if (err)
			goto out;
	}
	memset(out, 0, sizeof(*out));
	out->user_id = r.user_id;
	out->auth_time = r.auth_time;
	snprintf(out->sid, sizeof(out->sid), "%s", r.sid);
	snprintf(out->amr, sizeof(out->amr), "%s", r.amr);
out:
	lk_user_release(&u);
	lk_session_record_release(&r);
	return err;
}

enum lk_err lk_session_end(struct lk_store *s, const char *cookie)
{
	uint8_t hash[LK_SHA256_LEN];

	if (!cookie || strlen(cookie) >= LK_TOKEN_MAX ||
	    !lk_token_has_kind(cookie, LK_TOKEN_SESSION))
		return LK_OK;
	lk_sha256(cookie, strlen(cookie), hash);
	return lk_store_session_delete(s, hash);
}
