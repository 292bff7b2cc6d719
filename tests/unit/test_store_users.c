/*
 * The registry half of the store suite, second part: users, the audit log
 * and the record helpers of records.h (applications, secrets and scopes are
 * in test_store_registry.c). Each test gets a fresh database from
 * store_fixture.h: a SQLite file under /tmp, or the database
 * LATCHKEY_TEST_DB_URL names, which is WIPED before each test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "store/records.h"
#include "store/store.h"
#include "store_fixture.h"

/* Each test starts with a freshly migrated, empty registry in f->s. */
static int setup(void **state)
{
	return fx_setup(state, "users", true);
}

static size_t count_users(struct lk_store *s)
{
	struct lk_user *list = NULL;
	size_t n = 99;

	assert_int_equal(lk_store_user_list(s, &list, &n), LK_OK);
	lk_users_free(list, n);
	return n;
}

/* ---- Users ---- */

static void test_user_insert_find(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_user u = fx_user("corp", "Alice", "Alice@Example.com");
	struct lk_user got = {0};
	int64_t id = 0, id2 = 0;

	u.display_name = (char *)"Alice A.";
	u.given_name = (char *)"Alice";
	u.family_name = (char *)"Anders";
	u.phone = (char *)"+1 555 0100";
	u.email_verified = true;
	u.role = LK_ROLE_ADMIN;
	u.password_hash = (char *)"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
	u.id = 777; /* ignored */
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_OK);
	assert_true(id > 0);
	assert_int_not_equal(id, 777);

	assert_int_equal(lk_store_user_find(s, "CORP", "aLICE", &got), LK_OK);
	assert_int_equal(got.id, id);
	assert_string_equal(got.domain, "corp");
	assert_string_equal(got.username, "Alice");
	assert_string_equal(got.display_name, "Alice A.");
	assert_string_equal(got.given_name, "Alice");
	assert_string_equal(got.family_name, "Anders");
	assert_string_equal(got.email, "Alice@Example.com");
	assert_true(got.email_verified);
	assert_string_equal(got.phone, "+1 555 0100");
	assert_int_equal(got.role, LK_ROLE_ADMIN);
	assert_true(got.enabled);
	assert_string_equal(got.password_hash, u.password_hash);
	assert_int_equal(got.created_at, 50);
	assert_int_equal(got.updated_at, 50);
	lk_user_release(&got);

	assert_int_equal(lk_store_user_find_email(s, "alice@EXAMPLE.COM", &got), LK_OK);
	assert_int_equal(got.id, id);
	lk_user_release(&got);
	assert_int_equal(lk_store_user_get(s, id, &got), LK_OK);
	assert_string_equal(got.username, "Alice");
	lk_user_release(&got);

	/* Another domain is another user; an empty email is nobody's. */
	u = fx_user("other", "alice", "");
	assert_int_equal(lk_store_user_insert(s, &u, &id2), LK_OK);
	assert_true(id2 > id);
	u = fx_user("other2", "alice", NULL);
	assert_int_equal(lk_store_user_insert(s, &u, NULL), LK_OK);
	assert_int_equal(lk_store_user_find(s, "other2", "alice", &got), LK_OK);
	assert_string_equal(got.email, "");
	assert_string_equal(got.password_hash, "");
	assert_string_equal(got.display_name, "");
	assert_int_equal(got.role, LK_ROLE_USER);
	lk_user_release(&got);

	u = fx_user("Corp", "ALICE", "");
	assert_int_equal(lk_store_user_insert(s, &u, NULL), LK_EEXIST);
	u = fx_user("corp", "alice2", "ALICE@example.COM");
	assert_int_equal(lk_store_user_insert(s, &u, NULL), LK_EEXIST);
	assert_int_equal(count_users(s), 3);

	got.username = (char *)"untouched";
	assert_int_equal(lk_store_user_find(s, "corp", "bob", &got), LK_ENOTFOUND);
	assert_int_equal(lk_store_user_find_email(s, "", &got), LK_EINVAL);
	assert_int_equal(lk_store_user_find_email(s, "bob@example.com", &got), LK_ENOTFOUND);
	assert_int_equal(lk_store_user_get(s, id2 + 100, &got), LK_ENOTFOUND);
	assert_int_equal(lk_store_user_get(s, 0, &got), LK_EINVAL);
	assert_string_equal(got.username, "untouched");
}

static void test_user_list(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_user *list = (struct lk_user *)&list;
	size_t n = 3;

	assert_int_equal(lk_store_user_list(s, &list, &n), LK_OK);
	assert_null(list);
	assert_int_equal(n, 0);
	fx_add_user(s, "b", "zed", "");
	fx_add_user(s, "a", "Mike", "");
	fx_add_user(s, "b", "Adam", "");
	fx_add_user(s, "a", "bert", "");
	assert_int_equal(lk_store_user_list(s, &list, &n), LK_OK);
	assert_int_equal(n, 4);
	assert_string_equal(list[0].username, "bert");
	assert_string_equal(list[1].username, "Mike");
	assert_string_equal(list[2].username, "Adam");
	assert_string_equal(list[3].username, "zed");
	lk_users_free(list, n);
}

static void test_user_update(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t a = fx_add_user(s, "corp", "alice", "alice@example.com");
	int64_t b = fx_add_user(s, "corp", "bob", "bob@example.com");
	struct lk_user u = fx_user("ignored", "ignored", "Alice@New.example");
	struct lk_user got = {0};

	u.id = a;
	u.display_name = (char *)"Alice";
	u.given_name = (char *)"Al";
	u.family_name = (char *)"Ice";
	u.phone = (char *)"123";
	u.email_verified = true;
	u.role = LK_ROLE_ADMIN;
	u.enabled = false;
	u.password_hash = (char *)"ignored";
	u.created_at = 1;
	u.updated_at = 60;
	assert_int_equal(lk_store_user_update(s, &u), LK_OK);
	assert_int_equal(lk_store_user_get(s, a, &got), LK_OK);
	assert_string_equal(got.domain, "corp");
	assert_string_equal(got.username, "alice");
	assert_string_equal(got.display_name, "Alice");
	assert_string_equal(got.given_name, "Al");
	assert_string_equal(got.family_name, "Ice");
	assert_string_equal(got.email, "Alice@New.example");
	assert_string_equal(got.phone, "123");
	assert_true(got.email_verified);
	assert_int_equal(got.role, LK_ROLE_ADMIN);
	assert_false(got.enabled);
	assert_string_equal(got.password_hash, "");
	assert_int_equal(got.created_at, 50);
	assert_int_equal(got.updated_at, 60);
	lk_user_release(&got);

	u.email = (char *)"BOB@example.com";
	assert_int_equal(lk_store_user_update(s, &u), LK_EEXIST);
	u.email = (char *)"";
	u.id = b + 100;
	assert_int_equal(lk_store_user_update(s, &u), LK_ENOTFOUND);
	u.id = 0;
	assert_int_equal(lk_store_user_update(s, &u), LK_EINVAL);
	u.id = a;
	u.role = LK_ROLE__COUNT;
	assert_int_equal(lk_store_user_update(s, &u), LK_EINVAL);
	assert_int_equal(lk_store_user_find_email(s, "alice@new.example", &got), LK_OK);
	assert_int_equal(got.id, a);
	lk_user_release(&got);

	assert_int_equal(lk_store_user_set_password(s, a, "$argon2id$new", 70), LK_OK);
	assert_int_equal(lk_store_user_get(s, a, &got), LK_OK);
	assert_string_equal(got.password_hash, "$argon2id$new");
	assert_int_equal(got.updated_at, 70);
	lk_user_release(&got);
	assert_int_equal(lk_store_user_set_password(s, a, "", 80), LK_OK);
	assert_int_equal(lk_store_user_get(s, a, &got), LK_OK);
	assert_string_equal(got.password_hash, "");
	lk_user_release(&got);
	assert_int_equal(lk_store_user_set_password(s, b + 100, "x", 80), LK_ENOTFOUND);
	assert_int_equal(lk_store_user_set_password(s, a, NULL, 80), LK_EINVAL);
}

static void test_user_count_admins(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_user u;
	int64_t n = -1;

	assert_int_equal(lk_store_user_count_admins(s, &n), LK_OK);
	assert_int_equal(n, 0);
	u = fx_user("corp", "root", "");
	u.role = LK_ROLE_ADMIN;
	assert_int_equal(lk_store_user_insert(s, &u, NULL), LK_OK);
	u = fx_user("corp", "old-root", "");
	u.role = LK_ROLE_ADMIN;
	u.enabled = false;
	assert_int_equal(lk_store_user_insert(s, &u, NULL), LK_OK);
	fx_add_user(s, "corp", "plain", "");
	assert_int_equal(lk_store_user_count_admins(s, &n), LK_OK);
	assert_int_equal(n, 1);
	assert_int_equal(lk_store_user_count_admins(s, NULL), LK_EINVAL);
}

static void test_user_delete(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t alice = fx_add_user(s, "corp", "alice", "");
	int64_t bob = fx_add_user(s, "corp", "bob", "");
	struct lk_app a = fx_app("c1", "Robot");
	struct lk_app got = {0};
	int64_t carol;

	a.user_id = alice;
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	assert_int_equal(lk_store_app_get(s, "c1", &got), LK_OK);
	assert_string_equal(got.user, "corp\\alice");
	lk_app_release(&got);

	assert_int_equal(lk_store_user_delete(s, alice), LK_ESTATE);
	assert_int_equal(count_users(s), 2);
	assert_int_equal(lk_store_app_get(s, "c1", &got), LK_OK);
	assert_int_equal(got.user_id, alice);
	lk_app_release(&got);

	a.user_id = 0;
	assert_int_equal(lk_store_app_update(s, &a), LK_OK);
	assert_int_equal(lk_store_user_delete(s, alice), LK_OK);
	assert_int_equal(lk_store_user_delete(s, alice), LK_ENOTFOUND);
	assert_int_equal(lk_store_user_delete(s, 0), LK_EINVAL);

	/* The highest id is deleted too: the next user still gets a new one. */
	assert_int_equal(lk_store_user_delete(s, bob), LK_OK);
	carol = fx_add_user(s, "corp", "alice", "");
	assert_true(carol > bob);
	assert_int_equal(count_users(s), 1);
}

static void test_user_bad_input(void **state)
{
	struct lk_store *s = fx_db(state);
	char *big = malloc(LK_REC_STR_MAX + 2);
	struct lk_user u;
	int64_t id = -3;

	assert_non_null(big);
	memset(big, 'n', LK_REC_STR_MAX + 1);
	big[LK_REC_STR_MAX + 1] = '\0';
	u = fx_user("", "x", "");
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_EINVAL);
	u = fx_user("d", NULL, "");
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_EINVAL);
	u = fx_user("d", big, "");
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_ETOOBIG);
	u = fx_user("d", "x", big);
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_ETOOBIG);
	u = fx_user("d", "x", "");
	u.password_hash = big;
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_ETOOBIG);
	u = fx_user("d", "x", "");
	u.role = (enum lk_role)7;
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_EINVAL);
	u = fx_user("d", "x", "");
	u.created_at = -1;
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_EINVAL);
	assert_int_equal(lk_store_user_insert(s, NULL, &id), LK_EINVAL);
	assert_int_equal(lk_store_user_find(s, "d", "", NULL), LK_EINVAL);
	assert_int_equal(lk_store_user_set_password(s, 1, big, 1), LK_ETOOBIG);
	assert_int_equal(id, -3);
	assert_int_equal(count_users(s), 0);
	free(big);
}

/*
 * A row written by plain SQL reads back into the right members, so the
 * mapping of columns to members is checked against the column names, not
 * only against itself (a round trip cannot see two columns swapped).
 */
static void test_user_columns(void **state)
{
	struct fx *f = *state;
	struct lk_user got = {0};

	fx_raw_exec(f->url, "INSERT INTO users (id, domain, username, display_name, given_name, "
			    "family_name, email, phone, email_verified, role, enabled, "
			    "password_hash, created_at, updated_at) VALUES (5, 'dom', 'usr', "
			    "'Disp', 'Giv', 'Fam', 'e@x', '+1', 1, 'admin', 0, 'hash', 21, 22)");
	assert_int_equal(lk_store_user_get(f->s, 5, &got), LK_OK);
	assert_int_equal(got.id, 5);
	assert_string_equal(got.domain, "dom");
	assert_string_equal(got.username, "usr");
	assert_string_equal(got.display_name, "Disp");
	assert_string_equal(got.given_name, "Giv");
	assert_string_equal(got.family_name, "Fam");
	assert_string_equal(got.email, "e@x");
	assert_string_equal(got.phone, "+1");
	assert_true(got.email_verified);
	assert_int_equal(got.role, LK_ROLE_ADMIN);
	assert_false(got.enabled);
	assert_string_equal(got.password_hash, "hash");
	/* Not named in the INSERT, as by a program older than the column. */
	assert_string_equal(got.external_id, "");
	assert_int_equal(got.created_at, 21);
	assert_int_equal(got.updated_at, 22);
	lk_user_release(&got);
	fx_raw_exec(f->url, "UPDATE users SET external_id = 'ext' WHERE id = 5");
	assert_int_equal(lk_store_user_get(f->s, 5, &got), LK_OK);
	assert_string_equal(got.external_id, "ext");
	assert_string_equal(got.phone, "+1");
	assert_int_equal(got.role, LK_ROLE_ADMIN);
	lk_user_release(&got);
}

/* A row that another program wrote with a role this one does not know. */
static void test_user_bad_role_row(void **state)
{
	struct fx *f = *state;
	struct lk_store *s = f->s;
	struct lk_user u = {0};
	struct lk_user *users = (struct lk_user *)&users;
	size_t n = 7;

	fx_add_user(s, "corp", "bob", "");
	fx_raw_exec(f->url, "UPDATE users SET role = 'root'");
	assert_int_equal(lk_store_user_find(s, "corp", "bob", &u), LK_ESTORE);
	assert_null(u.domain);
	assert_int_equal(lk_store_user_list(s, &users, &n), LK_ESTORE);
	assert_ptr_equal(users, (struct lk_user *)&users);
	assert_int_equal(n, 7);
}

/* ---- Audit ---- */

static void test_audit(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_audit *list = (struct lk_audit *)&list;
	struct lk_audit e = {
		.id = 99,
		.actor = (char *)"cli:root",
		.action = (char *)"app.add",
		.object_type = (char *)"app",
		.object_id = (char *)"c1",
		.detail = (char *)"added",
	};
	char action[32];
	size_t n = 4;

	assert_int_equal(lk_store_audit_list(s, 10, &list, &n), LK_OK);
	assert_null(list);
	assert_int_equal(n, 0);
	for (int i = 0; i < 5; i++) {
		snprintf(action, sizeof(action), "app.act%d", i);
		e.action = action;
		e.at = 1000 + i;
		assert_int_equal(lk_store_audit_add(s, &e), LK_OK);
	}
	e.object_id = NULL;
	e.detail = NULL;
	e.action = (char *)"user.disable";
	assert_int_equal(lk_store_audit_add(s, &e), LK_OK);

	assert_int_equal(lk_store_audit_list(s, 3, &list, &n), LK_OK);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].action, "user.disable");
	assert_string_equal(list[0].object_id, "");
	assert_string_equal(list[0].detail, "");
	assert_string_equal(list[1].action, "app.act4");
	assert_int_equal(list[1].at, 1004);
	assert_string_equal(list[1].actor, "cli:root");
	assert_string_equal(list[1].object_type, "app");
	assert_string_equal(list[1].object_id, "c1");
	assert_string_equal(list[1].detail, "added");
	assert_string_equal(list[2].action, "app.act3");
	assert_true(list[0].id > list[1].id && list[1].id > list[2].id);
	assert_int_not_equal(list[2].id, 99);
	lk_audits_free(list, n);
	assert_int_equal(lk_store_audit_list(s, LK_AUDIT_LIST_MAX, &list, &n), LK_OK);
	assert_int_equal(n, 6);
	lk_audits_free(list, n);

	list = NULL;
	n = 4;
	assert_int_equal(lk_store_audit_list(s, 0, &list, &n), LK_EINVAL);
	assert_int_equal(lk_store_audit_list(s, LK_AUDIT_LIST_MAX + 1, &list, &n), LK_EINVAL);
	assert_null(list);
	assert_int_equal(n, 4);
	e.actor = (char *)"";
	assert_int_equal(lk_store_audit_add(s, &e), LK_EINVAL);
	e.actor = (char *)"cli:root";
	e.object_type = NULL;
	assert_int_equal(lk_store_audit_add(s, &e), LK_EINVAL);
	e.object_type = (char *)"app";
	e.at = -1;
	assert_int_equal(lk_store_audit_add(s, &e), LK_EINVAL);
	assert_int_equal(lk_store_audit_list(s, 100, &list, &n), LK_OK);
	assert_int_equal(n, 6);
	lk_audits_free(list, n);
}

/* ---- Records ---- */

static void test_enum_names(void **state)
{
	enum lk_grant g;
	enum lk_strategy st;
	enum lk_lifecycle l;
	enum lk_client_type t;
	enum lk_token_format f;
	enum lk_role r;

	for (int i = 0; i < LK_GRANT__COUNT; i++) {
		assert_int_equal(lk_grant_parse(lk_grant_name((enum lk_grant)i), &g), LK_OK);
		assert_int_equal(g, i);
	}
	assert_string_equal(lk_grant_name(LK_GRANT_CLIENT_CERTIFICATE), "client_certificate");
	assert_string_equal(lk_grant_name(LK_GRANT__COUNT), "");
	assert_string_equal(lk_grant_name((enum lk_grant) - 1), "");
	g = LK_GRANT_ALL;
	assert_int_equal(lk_grant_parse("Password", &g), LK_EINVAL);
	assert_int_equal(lk_grant_parse("", &g), LK_EINVAL);
	assert_int_equal(lk_grant_parse(NULL, &g), LK_EINVAL);
	assert_int_equal(g, LK_GRANT_ALL);

	assert_int_equal(lk_strategy_parse("mobile-title", &st), LK_OK);
	assert_int_equal(st, LK_STRATEGY_MOBILE_TITLE);
	assert_string_equal(lk_strategy_name(LK_STRATEGY_MOBILE_LOCALHOST), "mobile-localhost");
	assert_int_equal(lk_lifecycle_parse("sliding", &l), LK_OK);
	assert_int_equal(l, LK_LIFECYCLE_SLIDING);
	assert_string_equal(lk_lifecycle_name(LK_LIFECYCLE__COUNT), "");
	assert_int_equal(lk_client_type_parse("public", &t), LK_OK);
	assert_int_equal(t, LK_CLIENT_PUBLIC);
	assert_string_equal(lk_client_type_name(LK_CLIENT_CONFIDENTIAL), "confidential");
	assert_int_equal(lk_token_format_parse("opaque", &f), LK_OK);
	assert_int_equal(f, LK_FORMAT_OPAQUE);
	assert_int_equal(lk_token_format_parse("jwe", &f), LK_EINVAL);
	assert_string_equal(lk_token_format_name(LK_FORMAT_JWT), "jwt");
	assert_int_equal(lk_role_parse("admin", &r), LK_OK);
	assert_int_equal(r, LK_ROLE_ADMIN);
	assert_string_equal(lk_role_name(LK_ROLE_USER), "user");
	assert_string_equal(lk_role_name(LK_ROLE__COUNT), "");
}

static void test_record_release(void **state)
{
	struct lk_user u = {0};
	struct lk_app a = {0};
	struct lk_scope sc = {0};
	struct lk_audit e = {0};

	lk_app_release(NULL);
	lk_user_release(NULL);
	lk_scope_release(NULL);
	lk_audit_release(NULL);
	lk_apps_free(NULL, 0);
	lk_users_free(NULL, 3);
	lk_scopes_free(NULL, 0);
	lk_audits_free(NULL, 0);

	u.domain = strdup("corp");
	u.password_hash = strdup("$argon2id$secret");
	u.external_id = strdup("ext");
	u.id = 5;
	u.enabled = true;
	lk_user_release(&u);
	assert_null(u.domain);
	assert_null(u.password_hash);
	assert_null(u.external_id);
	assert_int_equal(u.id, 0);
	assert_false(u.enabled);
	lk_user_release(&u);

	a.client_id = strdup("c");
	a.cert_der = malloc(3);
	a.cert_der_len = 3;
	a.user = strdup("corp\\x");
	lk_app_release(&a);
	assert_null(a.client_id);
	assert_null(a.cert_der);
	assert_int_equal(a.cert_der_len, 0);
	lk_app_release(&a);

	sc.name = strdup("s");
	sc.builtin = true;
	lk_scope_release(&sc);
	assert_null(sc.name);
	assert_false(sc.builtin);

	e.actor = strdup("cli:root");
	e.id = 4;
	lk_audit_release(&e);
	assert_null(e.actor);
	assert_int_equal(e.id, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_user_insert_find),
		T(test_user_list),
		T(test_user_update),
		T(test_user_count_admins),
		T(test_user_delete),
		T(test_user_bad_input),
		T(test_user_columns),
		T(test_user_bad_role_row),
		T(test_audit),
		cmocka_unit_test(test_enum_names),
		cmocka_unit_test(test_record_release),
	};

	/* Expected failures log errors; the informational lines are noise here. */
	lk_log_setup(LK_LOG_WARN, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
