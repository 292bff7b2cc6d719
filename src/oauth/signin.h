/*
 * Signing a person in (DESIGN §3): checking what they typed on the login
 * page or sent in a password grant, throttling failures, and the browser
 * session that follows. Protocol logic only: cookies are read and written by
 * the endpoints, which pass the values in.
 */
#ifndef LK_OAUTH_SIGNIN_H
#define LK_OAUTH_SIGNIN_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/secure.h"
#include "store/store.h"

/* The longest user name and password accepted before anything is looked up. */
#define LK_SIGNIN_USERNAME_MAX 320
#define LK_SIGNIN_PASSWORD_MAX 1024

/* The authentication method reference of a password (RFC 8176 §2). */
#define LK_AMR_PASSWORD "pwd"

/*
 * Checks a user name (`user`, `domain\user`, or an email address) and a
 * password, with the throttling of DESIGN §3: failures are counted per
 * account and per client address over [login] failure_window; after
 * [login] max_failures of either, every attempt (the right password too) is
 * refused for a lock that starts at one minute and doubles with each further
 * lock, up to an hour. A success clears the account's count.
 *
 * Runs Argon2id, so it belongs on the slow-work pool. An unknown user costs
 * the same hash as a known one, so timing does not tell them apart.
 * Results:
 *   LK_OK       *user is the enabled user (release with lk_user_release)
 *   LK_EDENIED  unknown user, wrong password, no password, disabled user:
 *               one answer for all, so that nothing says which
 *   LK_EBUSY    locked: *retry_after is the seconds to wait (>= 1)
 *   LK_ETOOBIG  user name or password past its limit (nothing counted)
 *   others      store errors, logged by the caller
 */
enum lk_err lk_signin_password(struct lk_store *s, const struct lk_config *cfg,
			       const char *username, const char *password, const char *client_addr,
			       int64_t now, struct lk_user *user, int64_t *retry_after);

/*
 * The seconds a key ("user:...", "addr:...") is still locked at now, 0 when
 * it is not. For tests and for the login page's early answer.
 */
enum lk_err lk_throttle_locked(struct lk_store *s, const char *key, int64_t now,
			       int64_t *retry_after);

/* Counts one failure of key (see lk_signin_password). */
enum lk_err lk_throttle_fail(struct lk_store *s, const struct lk_config *cfg, const char *key,
			     int64_t now);

/* A browser session found from its cookie. */
struct lk_session {
	int64_t user_id;
	int64_t auth_time;
	char sid[32];
	char amr[32];
};

/*
 * Creates a session for user_id authenticated now with amr: a new cookie
 * value (lk_ss_..., written to cookie) whose SHA-256 is stored, with an
 * idle lifetime of [login] session_idle and an absolute one of
 * [login] session_max. *out (may be NULL) describes it.
 */
enum lk_err lk_session_create(struct lk_store *s, const struct lk_config *cfg, int64_t user_id,
			      const char *amr, int64_t now, char cookie[LK_TOKEN_MAX],
			      struct lk_session *out);

/*
 * The live session of a cookie value: LK_ENOTFOUND when the value is not a
 * session token, unknown, past its absolute end or idle too long, or its
 * user is gone or disabled. Moves last_seen forward (at most once a minute,
 * to spare the database a write per page).
 */
enum lk_err lk_session_find(struct lk_store *s, const struct lk_config *cfg, const char *cookie,
			    int64_t now, struct lk_session *out);

/* Ends the session of a cookie value (sign-out, or a new sign-in). NULL-safe. */
enum lk_err lk_session_end(struct lk_store *s, const char *cookie);

/* The seconds a new session cookie should live: [login] session_max. */
int64_t lk_session_max_age(const struct lk_config *cfg);

#endif
