/*
 * Signing a person in (src/oauth/signin.c, src/oauth/session.c): the user
 * names a login accepts, one answer for every kind of failure, the
 * throttling of DESIGN §3 per account and per address, and browser
 * sessions with their idle and absolute ends. Users are made through the
 * registry with small Argon2id parameters, on a fresh in-memory database per
 * test, with the clock moved by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/log.h"
#include "oauth/registry.h"
#include "oauth/signin.h"
#include "store_fixture.h"

#define T0 1800000000
#define ALICE_PW "correct horse battery staple"
#define BOB_PW "another long enough password"
#define ALICE_KEY "user:local\\alice"

struct fixture {
	struct lk_config cfg;
	struct lk_store *store;
	struct lk_registry r;
	int64_t alice, bob;
};

static int64_t add_user(struct fixture *f, const char *name, const char *email, const char *pw)
{
	struct lk_user_input in;
	struct lk_user u;
	int64_t id;

	lk_user_input_init(&in);
	in.user = name;
	in.email = email;
	if (lk_registry_user_add(&f->r, &in, pw, &u, NULL) != LK_OK)
		fail_msg("user add %s: %s", name, f->r.err);
	id = u.id;
	lk_user_release(&u);
	return id;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fx_fast_config(&f->cfg);
	f->store = fx_memory_store();
	f->r.store = f->store;
	f->r.cfg = &f->cfg;
	f->r.actor = "test";
	f->r.now = T0;
	f->alice = add_user(f, "alice", "alice@example.com", ALICE_PW);
	f->bob = add_user(f, "corp\\bob", "bob@example.com", BOB_PW);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lk_store_close(f->store);
	lk_config_release(&f->cfg);
	free(f);
	return 0;
}

/* One sign-in attempt; *retry_after (may be NULL) as returned. */
static enum lk_err try_at(struct fixture *f, const char *name, const char *pw, const char *addr,
			  int64_t now, int64_t *retry_after)
{
	struct lk_user u = {0};
	int64_t wait = -1;
	enum lk_err err = lk_signin_password(f->store, &f->cfg, name, pw, addr, now, &u, &wait);

	if (err == LK_OK) {
		assert_true(u.enabled);
		assert_non_null(u.username);
		lk_user_release(&u);
	} else {
		/* Written only on success. */
		assert_null(u.username);
		assert_int_equal(u.id, 0);
	}
	if (err == LK_EBUSY)
		assert_true(wait >= 1);
	if (retry_after)
		*retry_after = wait;
	return err;
}

/* A distinct address for attempt i, so that only the account is counted. */
static const char *addr_of(int i)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "198.51.100.%d", i);
	return buf;
}

static int64_t locked(struct fixture *f, const char *key, int64_t now)
{
	int64_t wait = -1;

	assert_int_equal(lk_throttle_locked(f->store, key, now, &wait), LK_OK);
	return wait;
}

/* --- who signs in ------------------------------------------------------------ */

static void test_user_name_forms(void **state)
{
	struct fixture *f = *state;
	struct lk_user u = {0};
	int64_t wait = 0;

	/* DESIGN §3: `user`, `domain\user`, or the email. */
	assert_int_equal(lk_signin_password(f->store, &f->cfg, "alice", ALICE_PW, "192.0.2.1", T0,
					    &u, &wait),
			 LK_OK);
	assert_int_equal(u.id, f->alice);
	assert_string_equal(u.domain, "local");
	assert_string_equal(u.username, "alice");
	lk_user_release(&u);
	assert_int_equal(lk_signin_password(f->store, &f->cfg, "local\\alice", ALICE_PW,
					    "192.0.2.1", T0, &u, &wait),
			 LK_OK);
	assert_int_equal(u.id, f->alice);
	lk_user_release(&u);
	assert_int_equal(lk_signin_password(f->store, &f->cfg, "alice@example.com", ALICE_PW,
					    "192.0.2.1", T0, &u, &wait),
			 LK_OK);
	assert_int_equal(u.id, f->alice);
	lk_user_release(&u);
	assert_int_equal(lk_signin_password(f->store, &f->cfg, "corp\\bob", BOB_PW, "192.0.2.1", T0,
					    &u, &wait),
			 LK_OK);
	assert_int_equal(u.id, f->bob);
	assert_string_equal(u.domain, "corp");
	lk_user_release(&u);
	assert_int_equal(try_at(f, "bob@example.com", BOB_PW, "192.0.2.1", T0, NULL), LK_OK);
	/* "bob" alone is local\bob, who does not exist. */
	assert_int_equal(try_at(f, "bob", BOB_PW, "192.0.2.1", T0, NULL), LK_EDENIED);
	/* One user's password is not another's. */
	assert_int_equal(try_at(f, "alice", BOB_PW, "192.0.2.1", T0, NULL), LK_EDENIED);
}

static void test_one_answer_for_every_failure(void **state)
{
	struct fixture *f = *state;
	struct lk_user u;

	assert_int_equal(try_at(f, "alice", "wrong password", addr_of(1), T0, NULL), LK_EDENIED);
	assert_int_equal(try_at(f, "nobody", ALICE_PW, addr_of(2), T0, NULL), LK_EDENIED);
	assert_int_equal(try_at(f, "nobody@example.com", ALICE_PW, addr_of(3), T0, NULL),
			 LK_EDENIED);
	assert_int_equal(try_at(f, "nowhere\\alice", ALICE_PW, addr_of(4), T0, NULL), LK_EDENIED);
	assert_int_equal(try_at(f, "bad\\\\name", ALICE_PW, addr_of(5), T0, NULL), LK_EDENIED);
	assert_int_equal(try_at(f, "", ALICE_PW, addr_of(6), T0, NULL), LK_EDENIED);
	assert_int_equal(try_at(f, "alice", "", addr_of(7), T0, NULL), LK_EDENIED);
	assert_int_equal(try_at(f, NULL, ALICE_PW, addr_of(8), T0, NULL), LK_EDENIED);
	assert_int_equal(try_at(f, "alice", NULL, addr_of(9), T0, NULL), LK_EDENIED);
	/* A disabled user, with the right password: the same answer. */
	assert_int_equal(lk_registry_user_set_enabled(&f->r, "corp\\bob", false, &u), LK_OK);
	lk_user_release(&u);
	assert_int_equal(try_at(f, "corp\\bob", BOB_PW, addr_of(10), T0, NULL), LK_EDENIED);
	assert_int_equal(try_at(f, "bob@example.com", BOB_PW, addr_of(11), T0, NULL), LK_EDENIED);
	assert_int_equal(lk_registry_user_set_enabled(&f->r, "corp\\bob", true, &u), LK_OK);
	lk_user_release(&u);
	assert_int_equal(try_at(f, "corp\\bob", BOB_PW, addr_of(12), T0, NULL), LK_OK);
}

static void test_limits(void **state)
{
	struct fixture *f = *state;
	char name[LK_SIGNIN_USERNAME_MAX + 2];
	char pw[LK_SIGNIN_PASSWORD_MAX + 2];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(pw, 'p', sizeof(pw) - 1);
	pw[sizeof(pw) - 1] = '\0';
	/* Past the limits: refused before anything is looked up, and not counted. */
	for (int i = 0; i < 2 * f->cfg.max_failures; i++) {
		assert_int_equal(try_at(f, name, ALICE_PW, "192.0.2.1", T0, NULL), LK_ETOOBIG);
		assert_int_equal(try_at(f, "alice", pw, "192.0.2.1", T0, NULL), LK_ETOOBIG);
	}
	assert_int_equal(locked(f, "addr:192.0.2.1", T0), 0);
	assert_int_equal(try_at(f, "alice", ALICE_PW, "192.0.2.1", T0, NULL), LK_OK);
	/* At the limits: looked at, and simply wrong. */
	name[LK_SIGNIN_USERNAME_MAX] = '\0';
	pw[LK_SIGNIN_PASSWORD_MAX] = '\0';
	assert_int_equal(try_at(f, name, ALICE_PW, addr_of(1), T0, NULL), LK_EDENIED);
	assert_int_equal(try_at(f, "alice", pw, addr_of(2), T0, NULL), LK_EDENIED);
}

/* --- throttling --------------------------------------------------------------- */

static void test_account_lock(void **state)
{
	struct fixture *f = *state;
	int64_t wait = 0;
	int i;

	assert_int_equal(f->cfg.max_failures, 5);
	for (i = 0; i < f->cfg.max_failures; i++)
		assert_int_equal(try_at(f, "alice", "wrong", addr_of(i), T0, NULL), LK_EDENIED);
	/* Locked for a minute: the right password too, from anywhere. */
	assert_int_equal(try_at(f, "alice", ALICE_PW, addr_of(50), T0, &wait), LK_EBUSY);
	assert_int_equal(wait, 60);
	assert_int_equal(locked(f, ALICE_KEY, T0), 60);
	assert_int_equal(try_at(f, "alice@example.com", ALICE_PW, addr_of(51), T0 + 30, &wait),
			 LK_EBUSY);
	assert_int_equal(wait, 30);
	assert_int_equal(try_at(f, "local\\alice", ALICE_PW, addr_of(52), T0 + 59, &wait),
			 LK_EBUSY);
	assert_int_equal(wait, 1);
	/* Attempts while locked do not lengthen the lock. */
	assert_int_equal(try_at(f, "alice", "wrong", addr_of(53), T0 + 59, &wait), LK_EBUSY);
	assert_int_equal(locked(f, ALICE_KEY, T0 + 59), 1);
	/* Other accounts are not affected. */
	assert_int_equal(try_at(f, "corp\\bob", BOB_PW, addr_of(54), T0, NULL), LK_OK);
	/* Once the lock has passed, the right password works. */
	assert_int_equal(locked(f, ALICE_KEY, T0 + 60), 0);
	assert_int_equal(try_at(f, "alice", ALICE_PW, addr_of(55), T0 + 60, NULL), LK_OK);
}

static void test_account_counted_under_its_name(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = {"alice", "local\\alice", "alice@example.com",
					    "LOCAL\\alice", "alice"};
	int64_t wait = 0;

	/* However the name is typed, the failures are the one account's. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(try_at(f, names[i], "wrong", addr_of((int)i), T0, NULL),
				 LK_EDENIED);
	assert_int_equal(try_at(f, "alice@example.com", ALICE_PW, addr_of(9), T0, &wait), LK_EBUSY);
	assert_int_equal(wait, 60);
}

static void test_unknown_account_locks_too(void **state)
{
	struct fixture *f = *state;
	int64_t wait = 0;

	/* An unknown name is throttled like a real one, so the answers tell nothing. */
	for (int i = 0; i < f->cfg.max_failures; i++)
		assert_int_equal(try_at(f, "ghost", "wrong", addr_of(i), T0, NULL), LK_EDENIED);
	assert_int_equal(try_at(f, "ghost", "anything", addr_of(9), T0, &wait), LK_EBUSY);
	assert_int_equal(wait, 60);
}

/* The lengths of the successive locks when each lock is followed at once by one more failure. */
static void lock_series(struct fixture *f, const int64_t *want, size_t n)
{
	int64_t now = T0;
	int64_t wait = 0;
	int a = 0;

	for (int i = 0; i < f->cfg.max_failures; i++)
		assert_int_equal(try_at(f, "alice", "wrong", addr_of(a++), now, NULL), LK_EDENIED);
	for (size_t i = 0; i < n; i++) {
		if (locked(f, ALICE_KEY, now) != want[i])
			fail_msg("lock %zu at +%lld s: %lld s, expected %lld s", i + 1,
				 (long long)(now - T0), (long long)locked(f, ALICE_KEY, now),
				 (long long)want[i]);
		assert_int_equal(try_at(f, "alice", ALICE_PW, addr_of(a++), now, &wait), LK_EBUSY);
		assert_int_equal(wait, want[i]);
		now += want[i];
		/* The lock has passed: one more failure locks again. */
		assert_int_equal(locked(f, ALICE_KEY, now), 0);
		assert_int_equal(try_at(f, "alice", "wrong", addr_of(a++), now, NULL), LK_EDENIED);
	}
}

static void test_lock_doubles_up_to_an_hour(void **state)
{
	struct fixture *f = *state;
	static const int64_t want[] = {60, 120, 240, 480, 960, 1920, 3600, 3600};

	/*
	 * With a window longer than the whole series, this is the doubling and
	 * its cap alone.
	 */
	f->cfg.failure_window = 1440;
	lock_series(f, want, sizeof(want) / sizeof(want[0]));
}

static void test_lock_keeps_growing_with_default_window(void **state)
{
	struct fixture *f = *state;
	static const int64_t want[] = {60, 120, 240, 480, 960, 1920, 3600};

	/*
	 * DESIGN §3 and the spec: one minute, doubling up to an hour. An attack
	 * that fails again as soon as each lock ends must meet the hour with the
	 * default 15-minute window too.
	 */
	assert_int_equal(f->cfg.failure_window, 15);
	lock_series(f, want, sizeof(want) / sizeof(want[0]));
}

static void test_address_lock(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = {"alice", "corp\\bob", "ghost", "carol@example.com",
					    "nobody"};
	int64_t wait = 0;

	/* Failures from one address add up across accounts. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(try_at(f, names[i], "wrong", "192.0.2.7", T0, NULL), LK_EDENIED);
	assert_int_equal(locked(f, "addr:192.0.2.7", T0), 60);
	/* Only one of them was alice's: her account is not locked... */
	assert_int_equal(locked(f, ALICE_KEY, T0), 0);
	/* ...but nothing passes from that address. */
	assert_int_equal(try_at(f, "alice", ALICE_PW, "192.0.2.7", T0 + 10, &wait), LK_EBUSY);
	assert_int_equal(wait, 50);
	assert_int_equal(try_at(f, "corp\\bob", BOB_PW, "192.0.2.7", T0 + 10, &wait), LK_EBUSY);
	/* From elsewhere, the right password works. */
	assert_int_equal(try_at(f, "alice", ALICE_PW, "192.0.2.8", T0 + 10, NULL), LK_OK);
	assert_int_equal(try_at(f, "alice", ALICE_PW, "192.0.2.7", T0 + 60, NULL), LK_OK);
}

static void test_window_expiry(void **state)
{
	struct fixture *f = *state;
	int64_t window = (int64_t)f->cfg.failure_window * 60;
	int a = 0;

	/* Four failures, then the window passes: the count starts again. */
	for (int i = 0; i < f->cfg.max_failures - 1; i++)
		assert_int_equal(try_at(f, "alice", "wrong", addr_of(a++), T0, NULL), LK_EDENIED);
	for (int i = 0; i < f->cfg.max_failures - 1; i++)
		assert_int_equal(try_at(f, "alice", "wrong", addr_of(a++), T0 + window, NULL),
				 LK_EDENIED);
	assert_int_equal(locked(f, ALICE_KEY, T0 + window), 0);
	/* The fifth within the new window locks. */
	assert_int_equal(try_at(f, "alice", "wrong", addr_of(a++), T0 + window + 1, NULL),
			 LK_EDENIED);
	assert_int_equal(locked(f, ALICE_KEY, T0 + window + 1), 60);
	/* Inside the window, five failures lock. */
	for (int i = 0; i < f->cfg.max_failures - 1; i++)
		assert_int_equal(try_at(f, "corp\\bob", "wrong", addr_of(a++), T0, NULL),
				 LK_EDENIED);
	assert_int_equal(try_at(f, "corp\\bob", "wrong", addr_of(a++), T0 + window - 1, NULL),
			 LK_EDENIED);
	assert_int_equal(locked(f, "user:corp\\bob", T0 + window - 1), 60);
}

static void test_success_clears_account_count(void **state)
{
	struct fixture *f = *state;
	int a = 0;

	for (int i = 0; i < f->cfg.max_failures - 1; i++)
		assert_int_equal(try_at(f, "alice", "wrong", addr_of(a++), T0, NULL), LK_EDENIED);
	assert_int_equal(try_at(f, "alice", ALICE_PW, addr_of(a++), T0, NULL), LK_OK);
	/* Four more do not lock: the count started again at the success. */
	for (int i = 0; i < f->cfg.max_failures - 1; i++)
		assert_int_equal(try_at(f, "alice", "wrong", addr_of(a++), T0 + 1, NULL),
				 LK_EDENIED);
	assert_int_equal(locked(f, ALICE_KEY, T0 + 1), 0);
	assert_int_equal(try_at(f, "alice", ALICE_PW, addr_of(a++), T0 + 1, NULL), LK_OK);
	/* The address's count is not the account's: a success does not clear it. */
	for (int i = 0; i < f->cfg.max_failures - 1; i++)
		assert_int_equal(try_at(f, "ghost", "wrong", "192.0.2.9", T0 + 2, NULL),
				 LK_EDENIED);
	assert_int_equal(try_at(f, "alice", ALICE_PW, "192.0.2.9", T0 + 2, NULL), LK_OK);
	assert_int_equal(try_at(f, "ghost", "wrong", "192.0.2.9", T0 + 2, NULL), LK_EDENIED);
	assert_int_equal(locked(f, "addr:192.0.2.9", T0 + 2), 60);
}

static void test_throttle_fail_direct(void **state)
{
	struct fixture *f = *state;

	/* The building blocks, as the login page uses them. */
	assert_int_equal(locked(f, "addr:203.0.113.1", T0), 0);
	for (int i = 0; i < f->cfg.max_failures - 1; i++)
		assert_int_equal(lk_throttle_fail(f->store, &f->cfg, "addr:203.0.113.1", T0),
				 LK_OK);
	assert_int_equal(locked(f, "addr:203.0.113.1", T0), 0);
	assert_int_equal(lk_throttle_fail(f->store, &f->cfg, "addr:203.0.113.1", T0 + 5), LK_OK);
	assert_int_equal(locked(f, "addr:203.0.113.1", T0 + 5), 60);
	assert_int_equal(locked(f, "addr:203.0.113.1", T0 + 64), 1);
	assert_int_equal(locked(f, "addr:203.0.113.1", T0 + 65), 0);
	assert_int_equal(locked(f, "addr:203.0.113.2", T0 + 5), 0);
}

/* --- sessions ---------------------------------------------------------------- */

static void new_session(struct fixture *f, int64_t uid, int64_t now, char cookie[LK_TOKEN_MAX])
{
	struct lk_session s;

	memset(&s, 0xa5, sizeof(s));
	assert_int_equal(
		lk_session_create(f->store, &f->cfg, uid, LK_AMR_PASSWORD, now, cookie, &s), LK_OK);
	assert_int_equal(s.user_id, uid);
	assert_int_equal(s.auth_time, now);
	assert_string_equal(s.amr, "pwd");
	assert_true(s.sid[0] != '\0');
}

static enum lk_err find_at(struct fixture *f, const char *cookie, int64_t now,
			   struct lk_session *out)
{
	struct lk_session s;
	enum lk_err err;

	memset(&s, 0, sizeof(s));
	err = lk_session_find(f->store, &f->cfg, cookie, now, &s);
	if (out)
		*out = s;
	return err;
}

static int64_t last_seen(struct fixture *f, const char *cookie)
{
	struct lk_session_record r = {0};
	uint8_t hash[LK_SHA256_LEN];
	int64_t v;

	lk_sha256(cookie, strlen(cookie), hash);
	assert_int_equal(lk_store_session_get(f->store, hash, &r), LK_OK);
	v = r.last_seen;
	lk_session_record_release(&r);
	return v;
}

static void test_session_create_find(void **state)
{
	struct fixture *f = *state;
	char c1[LK_TOKEN_MAX], c2[LK_TOKEN_MAX];
	struct lk_session made, found;
	struct lk_session_record rec = {0};
	uint8_t hash[LK_SHA256_LEN];

	assert_int_equal(
		lk_session_create(f->store, &f->cfg, f->alice, LK_AMR_PASSWORD, T0, c1, &made),
		LK_OK);
	/* An lk_ss_ token: the prefix and 256 random bits. */
	assert_int_equal(strncmp(c1, "lk_ss_", 6), 0);
	assert_int_equal(strlen(c1), 6 + 43);
	new_session(f, f->alice, T0, c2);
	assert_string_not_equal(c1, c2);
	/* Only the hash is stored. */
	lk_sha256(c1, strlen(c1), hash);
	assert_int_equal(lk_store_session_get(f->store, hash, &rec), LK_OK);
	assert_string_equal(rec.sid, made.sid);
	assert_int_equal(rec.user_id, f->alice);
	assert_int_equal(rec.expires_at, T0 + 24 * 3600);
	lk_session_record_release(&rec);
	assert_int_equal(find_at(f, c1, T0 + 10, &found), LK_OK);
	assert_int_equal(found.user_id, f->alice);
	assert_int_equal(found.auth_time, T0);
	assert_string_equal(found.sid, made.sid);
	assert_string_equal(found.amr, "pwd");
	assert_int_equal(find_at(f, c2, T0 + 10, &found), LK_OK);
	assert_string_not_equal(found.sid, made.sid);
	/* *out may be NULL. */
	assert_int_equal(
		lk_session_create(f->store, &f->cfg, f->bob, LK_AMR_PASSWORD, T0, c2, NULL), LK_OK);
	assert_int_equal(find_at(f, c2, T0, &found), LK_OK);
	assert_int_equal(found.user_id, f->bob);
	assert_int_equal(lk_session_max_age(&f->cfg), 24 * 3600);
}

static void test_session_garbage(void **state)
{
	struct fixture *f = *state;
	char c[LK_TOKEN_MAX], other[LK_TOKEN_MAX], big[LK_TOKEN_MAX + 8];
	static const char *const bad[] = {"", "lk_ss_", "lk_ss_x", "x", "lk_at_abc"};

	new_session(f, f->alice, T0, c);
	assert_int_equal(find_at(f, NULL, T0, NULL), LK_ENOTFOUND);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(find_at(f, bad[i], T0, NULL), LK_ENOTFOUND);
	/* The same random part with another kind's prefix is not the session. */
	snprintf(other, sizeof(other), "lk_at_%s", c + 6);
	assert_int_equal(find_at(f, other, T0, NULL), LK_ENOTFOUND);
	assert_int_equal(find_at(f, c + 6, T0, NULL), LK_ENOTFOUND);
	/* A well-formed value never issued. */
	assert_int_equal(lk_token_new(LK_TOKEN_SESSION, other), LK_OK);
	assert_int_equal(find_at(f, other, T0, NULL), LK_ENOTFOUND);
	memset(big, 'A', sizeof(big) - 1);
	memcpy(big, "lk_ss_", 6);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(find_at(f, big, T0, NULL), LK_ENOTFOUND);
	assert_int_equal(find_at(f, c, T0, NULL), LK_OK);
}

static void test_session_idle(void **state)
{
	struct fixture *f = *state;
	int64_t idle = (int64_t)f->cfg.session_idle * 60;
	char c1[LK_TOKEN_MAX], c2[LK_TOKEN_MAX];

	assert_int_equal(idle, 3600);
	new_session(f, f->alice, T0, c1);
	new_session(f, f->alice, T0, c2);
	/* Unused for the idle lifetime: gone. */
	assert_int_equal(find_at(f, c1, T0 + idle - 1, NULL), LK_OK);
	assert_int_equal(find_at(f, c2, T0 + idle, NULL), LK_ENOTFOUND);
	/* Each use moves last_seen, so an active session lives on. */
	assert_int_equal(last_seen(f, c1), T0 + idle - 1);
	assert_int_equal(find_at(f, c1, T0 + 2 * idle - 2, NULL), LK_OK);
	assert_int_equal(find_at(f, c1, T0 + 3 * idle - 3, NULL), LK_OK);
	assert_int_equal(find_at(f, c1, T0 + 4 * idle - 3, NULL), LK_ENOTFOUND);
}

static void test_session_touch_batched(void **state)
{
	struct fixture *f = *state;
	int64_t idle = (int64_t)f->cfg.session_idle * 60;
	char c[LK_TOKEN_MAX];

	new_session(f, f->alice, T0, c);
	/* Within a minute: no write. */
	assert_int_equal(find_at(f, c, T0 + 59, NULL), LK_OK);
	assert_int_equal(last_seen(f, c), T0);
	assert_int_equal(find_at(f, c, T0 + 60, NULL), LK_OK);
	assert_int_equal(last_seen(f, c), T0 + 60);
	assert_int_equal(find_at(f, c, T0 + 100, NULL), LK_OK);
	assert_int_equal(last_seen(f, c), T0 + 60);
	assert_int_equal(find_at(f, c, T0 + 60 + idle, NULL), LK_ENOTFOUND);
}

static void test_session_absolute(void **state)
{
	struct fixture *f = *state;
	int64_t end = (int64_t)f->cfg.session_max * 3600;
	char c[LK_TOKEN_MAX];
	struct lk_session s;
	int64_t t;

	new_session(f, f->alice, T0, c);
	/* Used all the time, it still ends session_max after the sign-in. */
	for (t = T0 + 3000; t < T0 + end; t += 3000)
		assert_int_equal(find_at(f, c, t, NULL), LK_OK);
	assert_int_equal(find_at(f, c, T0 + end - 1, &s), LK_OK);
	assert_int_equal(s.auth_time, T0);
	assert_int_equal(find_at(f, c, T0 + end, NULL), LK_ENOTFOUND);
	assert_int_equal(find_at(f, c, T0 + end + 1, NULL), LK_ENOTFOUND);
}

static void test_session_disabled_user(void **state)
{
	struct fixture *f = *state;
	char c1[LK_TOKEN_MAX], c2[LK_TOKEN_MAX];
	struct lk_user u = {0};

	new_session(f, f->alice, T0, c1);
	new_session(f, f->bob, T0, c2);
	/* Disabled behind the registry's back: the session still ends. */
	assert_int_equal(lk_store_user_get(f->store, f->alice, &u), LK_OK);
	u.enabled = false;
	assert_int_equal(lk_store_user_update(f->store, &u), LK_OK);
	lk_user_release(&u);
	assert_int_equal(find_at(f, c1, T0 + 1, NULL), LK_ENOTFOUND);
	assert_int_equal(find_at(f, c2, T0 + 1, NULL), LK_OK);
	/* Through the registry. */
	assert_int_equal(lk_registry_user_set_enabled(&f->r, "corp\\bob", false, &u), LK_OK);
	lk_user_release(&u);
	assert_int_equal(find_at(f, c2, T0 + 2, NULL), LK_ENOTFOUND);
	/* A removed user. */
	new_session(f, f->alice, T0, c1);
	assert_int_equal(lk_registry_user_remove(&f->r, "alice"), LK_OK);
	assert_int_equal(find_at(f, c1, T0 + 3, NULL), LK_ENOTFOUND);
}

static void test_session_end(void **state)
{
	struct fixture *f = *state;
	char c1[LK_TOKEN_MAX], c2[LK_TOKEN_MAX];

	new_session(f, f->alice, T0, c1);
	new_session(f, f->alice, T0, c2);
	assert_int_equal(lk_session_end(f->store, c1), LK_OK);
	assert_int_equal(find_at(f, c1, T0 + 1, NULL), LK_ENOTFOUND);
	/* Only that one. */
	assert_int_equal(find_at(f, c2, T0 + 1, NULL), LK_OK);
	/* Again, or nothing at all: no error. */
	assert_int_equal(lk_session_end(f->store, c1), LK_OK);
	assert_int_equal(lk_session_end(f->store, NULL), LK_OK);
	assert_int_equal(lk_session_end(f->store, ""), LK_OK);
	assert_int_equal(lk_session_end(f->store, "lk_at_abc"), LK_OK);
	assert_int_equal(find_at(f, c2, T0 + 1, NULL), LK_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_name_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_answer_for_every_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_counted_under_its_name, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_account_locks_too, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_doubles_up_to_an_hour, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_keeps_growing_with_default_window, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_address_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_success_clears_account_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttle_fail_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_create_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_touch_batched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_absolute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_disabled_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_end, setup, teardown),
	};

	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
