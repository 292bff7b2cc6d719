/*
 * Tests of the SCIM User and Group resources (src/scim/users.c, groups.c,
 * user_json.c, discovery.c) on a fresh in-memory database per test: what is
 * rendered, what is stored through the registry, and what is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scim/scim_int.h"
#include "store_fixture.h"

struct fixture {
	struct lk_config cfg;
	struct lk_store *store;
	struct lk_scim_env env;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fx_fast_config(&f->cfg);
	f->store = fx_memory_store();
	f->env.store = f->store;
	f->env.cfg = &f->cfg;
	f->env.base = "https://id.example.com/scim/v2";
	f->env.actor = "scim:test";
	f->env.now = 1800000000;
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

typedef enum lk_err (*body_fn)(const struct lk_scim_env *, const struct lk_scim_query *,
			       const char *, size_t, json_t **, struct lk_scim_error *);
typedef enum lk_err (*id_body_fn)(const struct lk_scim_env *, const char *,
				  const struct lk_scim_query *, const char *, size_t, json_t **,
				  struct lk_scim_error *);

/* Calls a create; returns the resource, or NULL with e filled. */
static json_t *create(struct fixture *f, body_fn fn, const char *body, struct lk_scim_error *e)
{
	json_t *out = NULL;
	enum lk_err err = fn(&f->env, NULL, body, strlen(body), &out, e);

	if (err) {
		assert_null(out);
		assert_int_not_equal(e->status, 0);
		return NULL;
	}
	assert_non_null(out);
	return out;
}

static json_t *change(struct fixture *f, id_body_fn fn, const char *id, const char *body,
		      struct lk_scim_error *e)
{
	json_t *out = NULL;
	enum lk_err err = fn(&f->env, id, NULL, body, strlen(body), &out, e);

	if (err) {
		assert_null(out);
		return NULL;
	}
	return out;
}

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static struct lk_user stored(struct fixture *f, const char *id)
{
	struct lk_user u = {0};

	assert_int_equal(lk_store_user_get(f->store, strtoll(id, NULL, 10), &u), LK_OK);
	return u;
}

static size_t audits(struct fixture *f)
{
	struct lk_audit *a = NULL;
	size_t n = 0;

	assert_int_equal(lk_store_audit_list(f->store, 1000, &a, &n), LK_OK);
	lk_audits_free(a, n);
	return n;
}

static void test_user_create(void **state)
{
	struct fixture *f = *state;
	struct lk_scim_error e = {0};
	struct lk_user u;
	json_t *r, *r2;

	r = create(
		f, lk_scim_user_create,
		"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
		" \"userName\": \"alice\", \"externalId\": \"e1\", \"displayName\": \"Alice\","
		" \"name\": {\"givenName\": \"Alice\", \"familyName\": \"Smith\"},"
		" \"emails\": [{\"value\": \"a@example.com\"}, {\"value\": \"b@example.com\","
		" \"primary\": \"True\"}], \"phoneNumbers\": [{\"value\": \"+1 555\"}],"
		" \"active\": \"false\", \"password\": \"a secret phrase\", \"nickName\": \"x\"}",
		&e);
	assert_non_null(r);
	assert_string_equal(str(r, "userName"), "alice");
	assert_string_equal(str(r, "externalId"), "e1");
	assert_string_equal(str(json_object_get(r, "name"), "formatted"), "Alice Smith");
	assert_string_equal(str(json_array_get(json_object_get(r, "emails"), 0), "value"),
			    "b@example.com");
	assert_true(json_is_false(json_object_get(r, "active")));
	assert_null(json_object_get(r, "password"));
	assert_null(json_object_get(r, "nickName"));
	assert_string_equal(str(json_object_get(r, "meta"), "created"), "2027-01-15T08:00:00Z");
	assert_true(strncmp(str(json_object_get(r, "meta"), "location"),
			    "https://id.example.com/scim/v2/Users/", 37) == 0);
	u = stored(f, str(r, "id"));
	assert_false(u.enabled);
	assert_string_equal(u.phone, "+1 555");
	assert_string_equal(u.external_id, "e1");
	assert_string_equal(u.domain, "local");
	assert_true(u.password_hash[0] != '\0');
	lk_user_release(&u);

	/* Another domain; userName and emails unique without regard to case. */
	r2 = create(f, lk_scim_user_create, "{\"userName\": \"Corp\\\\Bob\"}", &e);
	assert_non_null(r2);
	assert_string_equal(str(r2, "userName"), "corp\\Bob");
	json_decref(r2);
	assert_null(create(f, lk_scim_user_create, "{\"userName\": \"ALICE\"}", &e));
	assert_int_equal(e.status, 409);
	assert_string_equal(e.type, LK_SCIM_UNIQUENESS);
	assert_null(create(
		f, lk_scim_user_create,
		"{\"userName\": \"carol\", \"emails\": [{\"value\": \"B@example.com\"}]}", &e));
	assert_int_equal(e.status, 409);
	assert_null(create(f, lk_scim_user_create, "{\"userName\": 5}", &e));
	assert_string_equal(e.type, LK_SCIM_INVALID_VALUE);
	assert_null(create(f, lk_scim_user_create, "{\"userName\": \"a\\\\b\\\\c\"}", &e));
	assert_string_equal(e.type, LK_SCIM_INVALID_VALUE);
	assert_null(
		create(f, lk_scim_user_create, "{\"userName\": \"d\", \"phoneNumbers\": [7]}", &e));
	assert_string_equal(e.type, LK_SCIM_INVALID_VALUE);
	assert_null(
		create(f, lk_scim_user_create, "{\"userName\": \"d\", \"schemas\": \"x\"}", &e));
	assert_string_equal(e.type, LK_SCIM_INVALID_SYNTAX);
	assert_null(create(f, lk_scim_user_create, "", &e));
	assert_string_equal(e.type, LK_SCIM_INVALID_SYNTAX);
	json_decref(r);
}

static void test_user_change(void **state)
{
	struct fixture *f = *state;
	struct lk_scim_error e = {0};
	struct lk_user u;
	json_t *r, *c;
	char id[24];
	size_t n;

	r = create(f, lk_scim_user_create,
		   "{\"userName\": \"dave\", \"displayName\": \"Dave\","
		   " \"emails\": [{\"value\": \"d@example.com\"}]}",
		   &e);
	assert_non_null(r);
	snprintf(id, sizeof(id), "%s", str(r, "id"));
	json_decref(r);

	c = change(f, lk_scim_user_patch, id,
		   "{\"Operations\": [{\"op\": \"Replace\", \"path\": \"active\", \"value\": "
		   "\"False\"}, {\"op\": \"add\", \"path\": \"emails[type eq \\\"work\\\"].value\","
		   " \"value\": \"dave@example.com\"}]}",
		   &e);
	assert_non_null(c);
	json_decref(c);
	u = stored(f, id);
	assert_false(u.enabled);
	assert_string_equal(u.email, "dave@example.com");
	lk_user_release(&u);

	/* A PATCH that changes nothing writes nothing, not even to the audit log. */
	n = audits(f);
	c = change(f, lk_scim_user_patch, id,
		   "{\"Operations\": [{\"op\": \"replace\", \"value\": {\"active\": false}}]}", &e);
	assert_non_null(c);
	json_decref(c);
	assert_int_equal(audits(f), n);

	/* PUT: the rest is cleared, active kept, the name may change in case only. */
	c = change(f, lk_scim_user_replace, id, "{\"userName\": \"DAVE\"}", &e);
	assert_non_null(c);
	assert_null(json_object_get(c, "emails"));
	assert_null(json_object_get(c, "displayName"));
	json_decref(c);
	u = stored(f, id);
	assert_false(u.enabled);
	assert_string_equal(u.email, "");
	assert_string_equal(u.display_name, "");
	lk_user_release(&u);
	assert_null(change(f, lk_scim_user_replace, id, "{\"userName\": \"other\"}", &e));
	assert_string_equal(e.type, LK_SCIM_MUTABILITY);
	assert_null(change(f, lk_scim_user_replace, id, "{\"userName\": \"corp\\\\dave\"}", &e));
	assert_string_equal(e.type, LK_SCIM_MUTABILITY);
	assert_null(change(f, lk_scim_user_patch, id,
			   "{\"Operations\": [{\"op\": \"remove\", \"path\": \"userName\"}]}", &e));
	assert_string_equal(e.type, LK_SCIM_MUTABILITY);
	assert_null(change(f, lk_scim_user_replace, id,
			   "{\"userName\": \"dave\", \"password\": \"\"}", &e));
	assert_string_equal(e.type, LK_SCIM_INVALID_VALUE);
	assert_null(change(f, lk_scim_user_patch, "77", "{\"Operations\": []}", &e));
	assert_int_equal(e.status, 404);

	assert_int_equal(lk_scim_user_remove(&f->env, id, &e), LK_OK);
	assert_int_equal(lk_scim_user_remove(&f->env, id, &e), LK_ENOTFOUND);
	assert_int_equal(e.status, 404);
}

static void test_admin_refused(void **state)
{
	struct fixture *f = *state;
	struct lk_registry r;
	struct lk_scim_error e = {0};
	struct lk_user_input in;
	struct lk_user u = {0};
	char id[24], gen[LK_PASSWORD_GENERATED_LEN + 1];
	json_t *o = NULL;

	lk_scim_registry_init(&r, &f->env);
	lk_user_input_init(&in);
	in.user = "root";
	in.role = "admin";
	assert_int_equal(lk_registry_user_add(&r, &in, NULL, &u, gen), LK_OK);
	snprintf(id, sizeof(id), "%lld", (long long)u.id);
	lk_user_release(&u);
	assert_null(change(f, lk_scim_user_patch, id,
			   "{\"Operations\": [{\"op\": \"add\", \"path\": \"password\", "
			   "\"value\": \"mine now\"}]}",
			   &e));
	assert_int_equal(e.status, 403);
	assert_null(change(f, lk_scim_user_replace, id, "{\"userName\": \"root\"}", &e));
	assert_int_equal(e.status, 403);
	assert_int_equal(lk_scim_user_remove(&f->env, id, &e), LK_EDENIED);
	assert_int_equal(lk_scim_user_get(&f->env, id, NULL, &o, &e), LK_OK);
	assert_string_equal(str(o, "userName"), "root");
	json_decref(o);
}

static void test_groups(void **state)
{
	struct fixture *f = *state;
	struct lk_scim_query q = {0};
	struct lk_scim_error e = {0};
	json_t *u1, *u2, *g, *c, *l = NULL;
	char body[512], gid[24];

	u1 = create(f, lk_scim_user_create, "{\"userName\": \"m1\"}", &e);
	u2 = create(f, lk_scim_user_create, "{\"userName\": \"m2\"}", &e);
	assert_non_null(u1);
	assert_non_null(u2);
	snprintf(body, sizeof(body),
		 "{\"displayName\": \"Ops\", \"externalId\": \"G\", \"members\": [{\"value\": "
		 "\"%s\"},"
		 " {\"value\": %s}]}",
		 str(u1, "id"), str(u2, "id"));
	g = create(f, lk_scim_group_create, body, &e);
	assert_non_null(g);
	snprintf(gid, sizeof(gid), "%s", str(g, "id"));
	assert_int_equal(json_array_size(json_object_get(g, "members")), 2);
	assert_string_equal(str(json_array_get(json_object_get(g, "members"), 0), "display"), "m1");

	/* The user lists its group, alone and in a list. */
	q.filter = "groups.display eq \"ops\"";
	assert_int_equal(lk_scim_user_list(&f->env, &q, &l, &e), LK_OK);
	assert_int_equal(json_integer_value(json_object_get(l, "totalResults")), 2);
	json_decref(l);

	snprintf(body, sizeof(body),
		 "{\"Operations\": [{\"op\": \"remove\", \"path\": \"members[value eq "
		 "\\\"%s\\\"]\"}]}",
		 str(u1, "id"));
	c = change(f, lk_scim_group_patch, gid, body, &e);
	assert_non_null(c);
	assert_int_equal(json_array_size(json_object_get(c, "members")), 1);
	json_decref(c);
	q.filter = "members.value eq \"1\"";
	assert_int_equal(lk_scim_group_list(&f->env, &q, &l, &e), LK_OK);
	assert_int_equal(json_integer_value(json_object_get(l, "totalResults")), 0);
	json_decref(l);

	assert_null(create(f, lk_scim_group_create, "{\"displayName\": \"OPS\"}", &e));
	assert_int_equal(e.status, 409);
	assert_null(create(f, lk_scim_group_create,
			   "{\"displayName\": \"x\", \"members\": [{\"value\": \"404\"}]}", &e));
	assert_string_equal(e.type, LK_SCIM_INVALID_VALUE);
	assert_null(
		create(f, lk_scim_group_create, "{\"displayName\": \"x\", \"members\": {}}", &e));
	assert_string_equal(e.type, LK_SCIM_INVALID_VALUE);
	c = change(f, lk_scim_group_replace, gid, "{\"displayName\": \"Ops2\"}", &e);
	assert_non_null(c);
	assert_int_equal(json_array_size(json_object_get(c, "members")), 0);
	assert_null(json_object_get(c, "externalId"));
	json_decref(c);
	assert_int_equal(lk_scim_group_remove(&f->env, gid, &e), LK_OK);
	assert_int_equal(lk_scim_group_remove(&f->env, gid, &e), LK_ENOTFOUND);
	json_decref(g);
	json_decref(u1);
	json_decref(u2);
}

static void test_discovery(void **state)
{
	struct fixture *f = *state;
	struct lk_scim_error e = {0};
	json_t *o = NULL;

	assert_int_equal(lk_scim_service_provider_config(&f->env, &o, &e), LK_OK);
	assert_true(json_is_true(json_object_get(json_object_get(o, "patch"), "supported")));
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(o, "filter"), "maxResults")),
		LK_SCIM_MAX_RESULTS);
	json_decref(o);
	assert_int_equal(lk_scim_resource_types(&f->env, "group", &o, &e), LK_OK);
	assert_string_equal(str(o, "endpoint"), "/Groups");
	json_decref(o);
	assert_int_equal(lk_scim_schemas(&f->env, NULL, &o, &e), LK_OK);
	assert_int_equal(json_integer_value(json_object_get(o, "totalResults")), 2);
	json_decref(o);
	assert_int_equal(lk_scim_schemas(&f->env, "urn:nope", &o, &e), LK_ENOTFOUND);
	assert_int_equal(e.status, 404);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovery, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
