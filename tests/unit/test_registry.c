/*
 * The registry's rules (DESIGN §1, §3), through the service functions the CLI
 * and the admin API call, on a fresh in-memory database per test.
 */
#include <setjmp.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/password.h"
#include "oauth/registry.h"
#include "store_fixture.h"

struct fixture {
	struct lk_config cfg;
	struct lk_store *store;
	struct lk_registry r;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fx_fast_config(&f->cfg);
	f->store = fx_memory_store();
	f->r.store = f->store;
	f->r.cfg = &f->cfg;
	f->r.actor = "test";
	f->r.now = 1800000000;
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

static size_t audit_count(struct fixture *f)
{
	struct lk_audit *e = NULL;
	size_t n = 0;

	assert_int_equal(lk_registry_audit_list(&f->r, 10000, &e, &n), LK_OK);
	lk_audits_free(e, n);
	return n;
}

static size_t app_count(struct fixture *f)
{
	struct lk_app *a = NULL;
	size_t n = 0;

	assert_int_equal(lk_registry_app_list(&f->r, &a, &n), LK_OK);
	lk_apps_free(a, n);
	return n;
}

/* Adds an app; expects success. */
static void add_ok(struct fixture *f, struct lk_app_input *in, struct lk_app *out,
		   char secret[LK_TOKEN_MAX])
{
	enum lk_err err = lk_registry_app_add(&f->r, in, out, secret);

	if (err)
		fail_msg("app add failed: %s", f->r.err);
}

/* Adds an app; expects a refusal whose message contains part, and no change. */
static void add_refused(struct fixture *f, struct lk_app_input *in, enum lk_err want,
			const char *part)
{
	size_t apps = app_count(f), audits = audit_count(f);
	struct lk_app a;
	char secret[LK_TOKEN_MAX];

	assert_int_equal(lk_registry_app_add(&f->r, in, &a, secret), want);
	if (!strstr(f->r.err, part))
		fail_msg("message '%s' lacks '%s'", f->r.err, part);
	assert_string_equal(secret, "");
	assert_int_equal(app_count(f), apps);
	assert_int_equal(audit_count(f), audits);
}

static void input(struct lk_app_input *in, const char *name, const char *grant)
{
	lk_app_input_init(in);
	in->name = name;
	in->grant = grant;
}

static void test_client_credentials_defaults(void **state)
{
	struct fixture *f = *state;
	struct lk_app_input in;
	struct lk_app a;
	struct lk_client_secret *s = NULL;
	size_t n = 0;
	char secret[LK_TOKEN_MAX];
	uint8_t hash[LK_SHA256_LEN];

	input(&in, "billing", "client_credentials");
	add_ok(f, &in, &a, secret);
	assert_string_equal(a.scopes, "api");
	assert_int_equal(a.client_type, LK_CLIENT_CONFIDENTIAL);
	assert_int_equal(a.token_format, LK_FORMAT_JWT);
	assert_int_equal(a.lifetime, LK_LIFETIME_DEFAULT);
	assert_int_equal(a.strategy, LK_STRATEGY_WEB);
	assert_string_equal(a.id_token_alg, "RS256");
	assert_true(a.enabled);
	assert_int_equal(strlen(a.client_id), 22);
	/* lk_cs_ + 43 characters of base64url (256 bits). */
	assert_int_equal(strncmp(secret, "lk_cs_", 6), 0);
	assert_int_equal(strlen(secret), 6 + 43);
	/* Only the SHA-256 of the secret is stored. */
	assert_int_equal(lk_store_secret_list(f->store, a.client_id, &s, &n), LK_OK);
	assert_int_equal(n, 1);
	lk_sha256(secret, strlen(secret), hash);
	assert_memory_equal(s[0].hash, hash, LK_SHA256_LEN);
	free(s);
	assert_int_equal(audit_count(f), 1);
	lk_app_release(&a);
}

/* A client_id never starts with '-' (it would read as a CLI option) or '_'. */
static void test_client_id_shape(void **state)
{
	struct fixture *f = *state;
	struct lk_app_input in;
	struct lk_app a;
	char secret[LK_TOKEN_MAX], name[32];

	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "app-%d", i);
		input(&in, name, "client_credentials");
		add_ok(f, &in, &a, secret);
		assert_true(isalnum((unsigned char)a.client_id[0]));
		assert_int_equal(strlen(a.client_id), 22);
		lk_app_release(&a);
	}
}

static void test_forced_opaque(void **state)
{
	struct fixture *f = *state;
	struct lk_app_input in;
	struct lk_app a;
	char secret[LK_TOKEN_MAX];

	input(&in, "scim-connector", "bearer_token");
	in.scopes[in.nscopes++] = "user_sync";
	add_ok(f, &in, &a, secret);
	assert_int_equal(a.lifetime, LK_LIFETIME_NEVER);
	assert_int_equal(a.token_format, LK_FORMAT_OPAQUE);
	assert_string_equal(a.scopes, "user_sync");
	assert_true(secret[0]);
	lk_app_release(&a);

	input(&in, "sliding", "client_credentials");
	in.lifecycle = "sliding";
	add_ok(f, &in, &a, secret);
	assert_int_equal(a.token_format, LK_FORMAT_OPAQUE);
	lk_app_release(&a);

	input(&in, "forever", "client_credentials");
	in.lifetime = "never";
	add_ok(f, &in, &a, secret);
	assert_int_equal(a.token_format, LK_FORMAT_OPAQUE);
	lk_app_release(&a);

	input(&in, "jwt-sliding", "client_credentials");
	in.lifecycle = "sliding";
	in.token_format = "jwt";
	add_refused(f, &in, LK_EINVAL, "--token-format");
	input(&in, "jwt-bearer", "bearer_token");
	in.token_format = "jwt";
	add_refused(f, &in, LK_EINVAL, "bearer_token");
	input(&in, "jwt-never", "client_credentials");
	in.lifetime = "never";
	in.token_format = "jwt";
	add_refused(f, &in, LK_EINVAL, "never");
}

static void test_redirect_rules(void **state)
{
	struct fixture *f = *state;
	struct lk_app_input in;
	struct lk_app a;
	char secret[LK_TOKEN_MAX];

	input(&in, "web", "authorization_code");
	add_refused(f, &in, LK_EINVAL, "--redirect-uri: required");
	in.redirect_uris[in.nredirect_uris++] = "http://app.example.com/cb";
	add_refused(f, &in, LK_EINVAL, "https");
	in.redirect_uris[0] = "https://app.example.com/cb#x";
	add_refused(f, &in, LK_EINVAL, "fragment");
	in.redirect_uris[0] = "https://app.example.com/cb";
	in.redirect_uris[in.nredirect_uris++] = "https://app.example.com/cb";
	add_ok(f, &in, &a, secret);
	/* Repeats collapse. */
	assert_string_equal(a.redirect_uris, "https://app.example.com/cb");
	assert_int_equal(a.client_type, LK_CLIENT_CONFIDENTIAL);
	lk_app_release(&a);

	input(&in, "native", "authorization_code");
	in.strategy = "mobile-localhost";
	in.redirect_uris[in.nredirect_uris++] = "http://127.0.0.1:7000/cb";
	add_ok(f, &in, &a, secret);
	assert_int_equal(a.client_type, LK_CLIENT_PUBLIC);
	assert_string_equal(secret, "");
	lk_app_release(&a);

	input(&in, "title", "authorization_code");
	in.strategy = "mobile-title";
	in.redirect_uris[in.nredirect_uris++] = "https://app.example.com/cb";
	add_refused(f, &in, LK_EINVAL, "mobile-title");
	in.nredirect_uris = 0;
	add_ok(f, &in, &a, secret);
	assert_int_equal(a.client_type, LK_CLIENT_PUBLIC);
	lk_app_release(&a);

	input(&in, "cc-with-uri", "client_credentials");
	in.redirect_uris[in.nredirect_uris++] = "https://app.example.com/cb";
	add_refused(f, &in, LK_EINVAL, "--redirect-uri");
	input(&in, "cc-with-strategy", "client_credentials");
	in.strategy = "mobile-title";
	add_refused(f, &in, LK_EINVAL, "--redirect-strategy");
}

static void test_public_clients(void **state)
{
	struct fixture *f = *state;
	const char *grants[] = {"client_credentials", "bearer_token", "password", "all"};
	struct lk_app_input in;

	for (size_t i = 0; i < sizeof(grants) / sizeof(grants[0]); i++) {
		input(&in, "public-app", grants[i]);
		in.client_type = "public";
		in.redirect_uris[in.nredirect_uris++] = "https://app.example.com/cb";
		if (strcmp(grants[i], "all") != 0)
			in.nredirect_uris = 0;
		add_refused(f, &in, LK_EINVAL, "public");
	}
}

static void test_scopes(void **state)
{
	struct fixture *f = *state;
	struct lk_app_input in;
	struct lk_app a;
	char secret[LK_TOKEN_MAX];

	input(&in, "scoped", "client_credentials");
	in.scopes[in.nscopes++] = "openid api";
	in.scopes[in.nscopes++] = "odata_query";
	add_ok(f, &in, &a, secret);
	/* Catalog order, whatever the order given. */
	assert_string_equal(a.scopes, "api odata_query openid");
	lk_app_release(&a);

	input(&in, "unknown", "client_credentials");
	in.scopes[in.nscopes++] = "api nope";
	add_refused(f, &in, LK_EINVAL, "'nope' is not in the scope catalog");

	/* Scopes in use cannot be removed; unused ones can; built-ins never. */
	assert_int_equal(lk_registry_scope_add(&f->r, "reports", "Read reports", false), LK_OK);
	input(&in, "reporter", "client_credentials");
	in.scopes[in.nscopes++] = "reports";
	add_ok(f, &in, &a, secret);
	lk_app_release(&a);
	assert_int_equal(lk_registry_scope_remove(&f->r, "reports"), LK_ESTATE);
	assert_non_null(strstr(f->r.err, "'reporter'"));
	assert_int_equal(lk_registry_app_remove(&f->r, "reporter"), LK_OK);
	assert_int_equal(lk_registry_scope_remove(&f->r, "reports"), LK_OK);
	assert_int_equal(lk_registry_scope_remove(&f->r, "openid"), LK_ESTATE);
	assert_int_equal(lk_registry_scope_add(&f->r, "bad scope", "", false), LK_EINVAL);
	assert_int_equal(lk_registry_scope_add(&f->r, "api", "", false), LK_EEXIST);
}

static void test_user_binding(void **state)
{
	struct fixture *f = *state;
	struct lk_user_input ui;
	struct lk_user u;
	struct lk_app_input in;
	struct lk_app a;
	char secret[LK_TOKEN_MAX], pw[LK_PASSWORD_GENERATED_LEN + 1];

	input(&in, "svc", "client_credentials");
	in.user = "corp\\svc-billing";
	add_refused(f, &in, LK_EINVAL, "no user 'corp\\svc-billing'");

	lk_user_input_init(&ui);
	ui.user = "CORP\\svc-billing";
	assert_int_equal(lk_registry_user_add(&f->r, &ui, NULL, &u, pw), LK_OK);
	assert_string_equal(u.domain, "corp");
	assert_int_equal(strlen(pw), LK_PASSWORD_GENERATED_LEN);
	lk_user_release(&u);

	add_ok(f, &in, &a, secret);
	assert_string_equal(a.user, "corp\\svc-billing");
	assert_string_equal(f->r.warn, "");
	lk_app_release(&a);

	/* A bound user cannot be removed; the app is named. */
	assert_int_equal(lk_registry_user_remove(&f->r, "corp\\svc-billing"), LK_ESTATE);
	assert_non_null(strstr(f->r.err, "'svc'"));

	/* Disabled users cannot be bound. */
	assert_int_equal(lk_registry_user_set_enabled(&f->r, "corp\\svc-billing", false, NULL),
			 LK_OK);
	input(&in, "svc2", "client_credentials");
	in.user = "corp\\svc-billing";
	add_refused(f, &in, LK_EINVAL, "disabled");

	/* Binding an administrator works but warns. */
	lk_user_input_init(&ui);
	ui.user = "root";
	ui.role = "admin";
	assert_int_equal(lk_registry_user_add(&f->r, &ui, "correct horse battery", &u, pw), LK_OK);
	lk_user_release(&u);
	input(&in, "svc3", "all");
	in.user = "root";
	in.redirect_uris[in.nredirect_uris++] = "https://app.example.com/cb";
	add_ok(f, &in, &a, secret);
	assert_non_null(strstr(f->r.warn, "least privilege"));
	lk_app_release(&a);

	/* Only client_credentials, client_certificate and all bind a user. */
	input(&in, "svc4", "authorization_code");
	in.user = "root";
	in.redirect_uris[in.nredirect_uris++] = "https://app.example.com/cb";
	add_refused(f, &in, LK_EINVAL, "--user");
}

static void test_names_unique(void **state)
{
	struct fixture *f = *state;
	struct lk_app_input in;
	struct lk_app a;
	char secret[LK_TOKEN_MAX];

	input(&in, "Billing", "client_credentials");
	add_ok(f, &in, &a, secret);
	lk_app_release(&a);
	input(&in, "billing", "client_credentials");
	add_refused(f, &in, LK_EEXIST, "already exists");
	input(&in, "", "client_credentials");
	add_refused(f, &in, LK_EINVAL, "--name");
	input(&in, "x", "implicit");
	add_refused(f, &in, LK_EINVAL, "--grant: 'implicit'");
	input(&in, "x", "client_credentials");
	in.lifetime = "0";
	add_refused(f, &in, LK_EINVAL, "--lifetime");
	in.lifetime = "12abc";
	add_refused(f, &in, LK_EINVAL, "--lifetime");
	in.lifetime = "30";
	in.id_token_alg = "HS256";
	add_refused(f, &in, LK_EINVAL, "--id-token-alg");
	in.id_token_alg = "PS256";
	add_refused(f, &in, LK_EINVAL, "signing_algs");
	input(&in, "no-cert", "client_certificate");
	add_refused(f, &in, LK_EINVAL, "--public-key");
}

static void test_update_and_lifecycle(void **state)
{
	struct fixture *f = *state;
	struct lk_app_input in;
	struct lk_app a, b;
	char secret[LK_TOKEN_MAX], secret2[LK_TOKEN_MAX];
	struct lk_client_secret *s = NULL;
	size_t n = 0;

	input(&in, "svc", "client_credentials");
	add_ok(f, &in, &a, secret);

	lk_app_input_init(&in);
	in.lifecycle = "sliding";
	in.name = "svc-renamed";
	assert_int_equal(lk_registry_app_update(&f->r, "svc", &in, &b), LK_OK);
	assert_string_equal(b.name, "svc-renamed");
	assert_int_equal(b.token_format, LK_FORMAT_OPAQUE);
	assert_string_equal(b.client_id, a.client_id);
	lk_app_release(&b);

	lk_app_input_init(&in);
	in.client_type = "public";
	assert_int_equal(lk_registry_app_update(&f->r, a.client_id, &in, &b), LK_EINVAL);

	/* Rotation: the new secret at once, the old one until the grace ends. */
	f->r.now += 100;
	assert_int_equal(lk_registry_app_rotate_secret(&f->r, "svc-renamed", 30, secret2),
			 LK_OK);
	assert_string_not_equal(secret, secret2);
	assert_int_equal(lk_store_secret_list(f->store, a.client_id, &s, &n), LK_OK);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].expires_at, 0);
	assert_int_equal(s[1].expires_at, f->r.now + 30 * 60);
	free(s);

	assert_int_equal(lk_registry_app_set_enabled(&f->r, a.client_id, false, &b), LK_OK);
	assert_false(b.enabled);
	lk_app_release(&b);
	assert_int_equal(lk_registry_app_remove(&f->r, a.client_id), LK_OK);
	assert_int_equal(lk_registry_app_get(&f->r, a.client_id, &b), LK_ENOTFOUND);
	assert_int_equal(lk_registry_app_remove(&f->r, "nope"), LK_ENOTFOUND);
	lk_app_release(&a);
}

static void test_rotate_refused_without_secret(void **state)
{
	struct fixture *f = *state;
	struct lk_app_input in;
	struct lk_app a;
	char secret[LK_TOKEN_MAX];

	input(&in, "spa", "authorization_code");
	in.client_type = "public";
	in.redirect_uris[in.nredirect_uris++] = "https://spa.example.com/cb";
	add_ok(f, &in, &a, secret);
	assert_int_equal(lk_registry_app_rotate_secret(&f->r, "spa", 0, secret), LK_ESTATE);
	assert_string_equal(secret, "");
	assert_int_equal(lk_registry_app_rotate_secret(&f->r, "spa", -1, secret), LK_EINVAL);
	lk_app_release(&a);
}

static void test_users(void **state)
{
	struct fixture *f = *state;
	struct lk_user_input ui;
	struct lk_user u;
	struct lk_argon2_params p = {256, 1, 1};
	char pw[LK_PASSWORD_GENERATED_LEN + 1];
	bool created = false;

	lk_user_input_init(&ui);
	ui.user = "alice";
	ui.email = "Alice@Example.com";
	ui.email_verified = 1;
	ui.display_name = "Alice";
	assert_int_equal(lk_registry_user_add(&f->r, &ui, "s3cret-passphrase", &u, pw), LK_OK);
	assert_string_equal(u.domain, "local");
	assert_string_equal(pw, "");
	assert_int_equal(lk_password_verify(u.password_hash, "s3cret-passphrase", &p, NULL), LK_OK);
	lk_user_release(&u);

	ui.user = "ALICE";
	ui.email = NULL;
	ui.email_verified = -1;
	assert_int_equal(lk_registry_user_add(&f->r, &ui, "x-long-password", &u, pw), LK_EEXIST);
	ui.user = "bob";
	ui.email = "alice@example.com";
	assert_int_equal(lk_registry_user_add(&f->r, &ui, "x-long-password", &u, pw), LK_EEXIST);
	ui.email = "not-an-email";
	assert_int_equal(lk_registry_user_add(&f->r, &ui, "x-long-password", &u, pw), LK_EINVAL);
	ui.email = NULL;
	ui.user = "bad user";
	assert_int_equal(lk_registry_user_add(&f->r, &ui, "x-long-password", &u, pw), LK_EINVAL);
	ui.user = "bob";
	ui.role = "root";
	assert_int_equal(lk_registry_user_add(&f->r, &ui, "x-long-password", &u, pw), LK_EINVAL);
	ui.role = NULL;
	ui.email_verified = 1; /* no email to verify */
	assert_int_equal(lk_registry_user_add(&f->r, &ui, "x-long-password", &u, pw), LK_EINVAL);

	assert_int_equal(lk_registry_user_passwd(&f->r, "alice", NULL, pw), LK_OK);
	assert_int_equal(strlen(pw), LK_PASSWORD_GENERATED_LEN);
	assert_int_equal(lk_registry_user_get(&f->r, "local\\alice", &u), LK_OK);
	assert_int_equal(lk_password_verify(u.password_hash, pw, &p, NULL), LK_OK);
	lk_user_release(&u);

	/* The first administrator is created once. */
	assert_int_equal(lk_registry_admin_bootstrap(&f->r, pw, &created), LK_OK);
	assert_true(created);
	assert_int_equal(lk_registry_user_get(&f->r, "admin", &u), LK_OK);
	assert_int_equal(u.role, LK_ROLE_ADMIN);
	assert_int_equal(lk_password_verify(u.password_hash, pw, &p, NULL), LK_OK);
	lk_user_release(&u);
	assert_int_equal(lk_registry_admin_bootstrap(&f->r, pw, &created), LK_OK);
	assert_false(created);

	assert_int_equal(lk_registry_user_remove(&f->r, "alice"), LK_OK);
	assert_int_equal(lk_registry_user_get(&f->r, "alice", &u), LK_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_client_credentials_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_id_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forced_opaque, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_public_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scopes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_and_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_refused_without_secret, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
