/*
 * Tests of SCIM PATCH (RFC 7644 §3.5.2) on JSON resources, of the pages and
 * projections of list answers (§3.4.2, §3.9) and of the SCIM error message
 * (§3.12): the pure parts of src/scim/, without a database. The operations
 * are those Microsoft Entra ID and Okta send, and the ones they get wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "scim/scim_int.h"

static const char *const READONLY[] = {"id", "meta", "groups", NULL};

static const char *const USER =
	"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"id\": \"7\","
	" \"userName\": \"alice\", \"name\": {\"givenName\": \"Alice\", \"familyName\": \"Smith\"},"
	" \"displayName\": \"Alice S\","
	" \"emails\": [{\"value\": \"alice@example.com\", \"type\": \"work\", \"primary\": true}],"
	" \"active\": true,"
	" \"groups\": [{\"value\": \"3\", \"display\": \"staff\"}],"
	" \"meta\": {\"resourceType\": \"User\"}}";

static const char *const GROUP =
	"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:Group\"], \"id\": \"3\","
	" \"displayName\": \"staff\","
	" \"members\": [{\"value\": \"7\", \"type\": \"User\"}, {\"value\": \"9\", \"type\": "
	"\"User\"}]}";

static json_t *load(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);

	if (!v)
		fail_msg("bad test JSON: %s: %s", je.text, text);
	return v;
}

/*
 * Applies one PatchOp body (its Operations given as text) to a copy of base;
 * returns the result, or NULL with e filled.
 */
static json_t *patch(const char *base, const char *ops, struct lk_scim_error *e)
{
	char body[4096];
	json_t *res = load(base), *p;
	enum lk_err err;

	snprintf(body, sizeof(body),
		 "{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
		 " \"Operations\": %s}",
		 ops);
	p = load(body);
	memset(e, 0, sizeof(*e));
	err = lk_scim_patch_apply(res, p, READONLY, e);
	json_decref(p);
	if (err) {
		assert_int_not_equal(e->status, 0);
		json_decref(res);
		return NULL;
	}
	return res;
}

/* The string at a path of two members (b may be NULL), or NULL. */
static const char *str_at(const json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	return json_string_value(b ? json_object_get(v, b) : v);
}

static void expect_error(const char *base, const char *ops, int status, const char *type)
{
	struct lk_scim_error e;
	json_t *r = patch(base, ops, &e);

	if (r)
		fail_msg("expected %d %s for %s", status, type ? type : "-", ops);
	assert_int_equal(e.status, status);
	if (type)
		assert_string_equal(e.type, type);
	else
		assert_null(e.type);
	assert_true(e.detail[0] != '\0');
}

/* Entra ID: "Replace" with a string "False" on active, and an Add through a filter. */
static void test_entra_forms(void **state)
{
	struct lk_scim_error e;
	json_t *r, *emails;

	r = patch(USER, "[{\"op\": \"Replace\", \"path\": \"active\", \"value\": \"False\"}]", &e);
	assert_non_null(r);
	assert_string_equal(str_at(r, "active", NULL), "False");
	json_decref(r);

	/* A matching element gets the sub-attribute. */
	r = patch(USER,
		  "[{\"op\": \"Add\", \"path\": \"emails[type eq \\\"work\\\"].value\","
		  " \"value\": \"new@example.com\"}]",
		  &e);
	assert_non_null(r);
	emails = json_object_get(r, "emails");
	assert_int_equal(json_array_size(emails), 1);
	assert_string_equal(str_at(json_array_get(emails, 0), "value", NULL), "new@example.com");
	assert_true(json_is_true(json_object_get(json_array_get(emails, 0), "primary")));
	json_decref(r);

	/* No match: an element is made from the filter's eq terms. */
	r = patch(USER,
		  "[{\"op\": \"add\", \"path\": \"phoneNumbers[type eq \\\"mobile\\\"].value\","
		  " \"value\": \"+1 555 0100\"}]",
		  &e);
	assert_non_null(r);
	assert_string_equal(
		str_at(json_array_get(json_object_get(r, "phoneNumbers"), 0), "type", NULL),
		"mobile");
	assert_string_equal(
		str_at(json_array_get(json_object_get(r, "phoneNumbers"), 0), "value", NULL),
		"+1 555 0100");
	json_decref(r);

	/* Several operations in one request, op names in any case. */
	r = patch(USER,
		  "[{\"op\": \"REPLACE\", \"path\": \"displayName\", \"value\": \"A\"},"
		  " {\"op\": \"rEmOvE\", \"path\": \"name.familyName\"},"
		  " {\"op\": \"Add\", \"path\": \"externalId\", \"value\": \"ext-1\"}]",
		  &e);
	assert_non_null(r);
	assert_string_equal(str_at(r, "displayName", NULL), "A");
	assert_null(str_at(r, "name", "familyName"));
	assert_string_equal(str_at(r, "name", "givenName"), "Alice");
	assert_string_equal(str_at(r, "externalId", NULL), "ext-1");
	json_decref(r);
}

/* Okta: a replace without a path, whose value object names the attributes. */
static void test_pathless(void **state)
{
	struct lk_scim_error e;
	json_t *r;

	r = patch(USER, "[{\"op\": \"replace\", \"value\": {\"active\": false}}]", &e);
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "active")));
	json_decref(r);

	/* A complex value keeps the sub-attributes not named; paths as member names. */
	r = patch(USER,
		  "[{\"op\": \"replace\", \"value\": {\"name\": {\"givenName\": \"Al\"},"
		  " \"name.familyName\": \"Jones\", \"id\": \"99\", \"schemas\": []}}]",
		  &e);
	assert_non_null(r);
	assert_string_equal(str_at(r, "name", "givenName"), "Al");
	assert_string_equal(str_at(r, "name", "familyName"), "Jones");
	/* Read-only members of a path-less value are ignored (RFC 7644 §3.5.1). */
	assert_string_equal(str_at(r, "id", NULL), "7");
	json_decref(r);

	/* Attribute names are case-insensitive: no second member is made. */
	r = patch(USER, "[{\"op\": \"add\", \"value\": {\"DISPLAYNAME\": \"x\"}}]", &e);
	assert_non_null(r);
	assert_string_equal(str_at(r, "displayName", NULL), "x");
	assert_null(json_object_get(r, "DISPLAYNAME"));
	json_decref(r);

	/* An extension attribute lands in its own object, which nobody reads back. */
	r = patch(USER,
		  "[{\"op\": \"add\", \"value\": {\"urn:ietf:params:scim:schemas:extension:"
		  "enterprise:2.0:User:department\": \"R&D\"}}]",
		  &e);
	assert_non_null(r);
	assert_string_equal(str_at(r, "userName", NULL), "alice");
	json_decref(r);
}

/* Groups: members added (each once), removed by filter or by value. */
static void test_members(void **state)
{
	struct lk_scim_error e;
	json_t *r, *m;

	r = patch(GROUP,
		  "[{\"op\": \"Add\", \"path\": \"members\","
		  " \"value\": [{\"value\": \"42\"}, {\"value\": \"7\"}, {\"value\": 42}]}]",
		  &e);
	assert_non_null(r);
	m = json_object_get(r, "members");
	assert_int_equal(json_array_size(m), 3);
	assert_string_equal(str_at(json_array_get(m, 2), "value", NULL), "42");
	json_decref(r);

	r = patch(GROUP, "[{\"op\": \"Remove\", \"path\": \"members[value eq \\\"9\\\"]\"}]", &e);
	assert_non_null(r);
	m = json_object_get(r, "members");
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(str_at(json_array_get(m, 0), "value", NULL), "7");
	json_decref(r);

	/* Entra ID removes members with a value array and no filter. */
	r = patch(GROUP,
		  "[{\"op\": \"Remove\", \"path\": \"members\", \"value\": [{\"value\": \"7\"}]}]",
		  &e);
	assert_non_null(r);
	m = json_object_get(r, "members");
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(str_at(json_array_get(m, 0), "value", NULL), "9");
	json_decref(r);

	/* Without a value, remove takes every member; replace sets the list. */
	r = patch(GROUP,
		  "[{\"op\": \"remove\", \"path\": \"members\"},"
		  " {\"op\": \"add\", \"path\": \"members\", \"value\": [{\"value\": \"1\"}]},"
		  " {\"op\": \"replace\", \"path\": \"members\", \"value\": [{\"value\": \"2\"}]}]",
		  &e);
	assert_non_null(r);
	m = json_object_get(r, "members");
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(str_at(json_array_get(m, 0), "value", NULL), "2");
	json_decref(r);

	/* A filter that selects several elements changes them all. */
	r = patch(GROUP,
		  "[{\"op\": \"replace\", \"path\": \"members[type eq \\\"User\\\"].display\","
		  " \"value\": \"someone\"}]",
		  &e);
	assert_non_null(r);
	m = json_object_get(r, "members");
	assert_string_equal(str_at(json_array_get(m, 0), "display", NULL), "someone");
	assert_string_equal(str_at(json_array_get(m, 1), "display", NULL), "someone");
	json_decref(r);
}

/* Every refusal with its status and scimType (RFC 7644 §3.12). */
static void test_errors(void **state)
{
	struct lk_scim_error e;
	json_t *res = load(USER), *p;

	expect_error(USER, "[]", 400, LK_SCIM_INVALID_SYNTAX);
	expect_error(USER, "{}", 400, LK_SCIM_INVALID_SYNTAX);
	expect_error(USER, "[1]", 400, LK_SCIM_INVALID_SYNTAX);
	expect_error(USER, "[{\"op\": \"move\", \"path\": \"x\"}]", 400, LK_SCIM_INVALID_SYNTAX);
	expect_error(USER, "[{\"path\": \"x\", \"value\": 1}]", 400, LK_SCIM_INVALID_SYNTAX);
	expect_error(USER, "[{\"op\": \"add\", \"path\": \"displayName\"}]", 400,
		     LK_SCIM_INVALID_SYNTAX);
	expect_error(USER, "[{\"op\": \"add\", \"path\": 3, \"value\": 1}]", 400,
		     LK_SCIM_INVALID_PATH);
	expect_error(USER, "[{\"op\": \"add\", \"path\": \"emails[type eq\", \"value\": 1}]", 400,
		     LK_SCIM_INVALID_PATH);
	expect_error(USER, "[{\"op\": \"add\", \"path\": \"a b\", \"value\": 1}]", 400,
		     LK_SCIM_INVALID_PATH);
	expect_error(USER, "[{\"op\": \"remove\"}]", 400, LK_SCIM_NO_TARGET);
	expect_error(USER, "[{\"op\": \"remove\", \"path\": \"emails[type eq \\\"home\\\"]\"}]",
		     400, LK_SCIM_NO_TARGET);
	expect_error(USER,
		     "[{\"op\": \"replace\", \"path\": \"emails[type eq \\\"home\\\"].value\","
		     " \"value\": \"x@y.z\"}]",
		     400, LK_SCIM_NO_TARGET);
	expect_error(USER, "[{\"op\": \"replace\", \"path\": \"id\", \"value\": \"8\"}]", 400,
		     LK_SCIM_MUTABILITY);
	expect_error(USER, "[{\"op\": \"remove\", \"path\": \"META\"}]", 400, LK_SCIM_MUTABILITY);
	/* Read-only attributes cannot be reached as if they were schema extensions. */
	expect_error(USER, "[{\"op\": \"replace\", \"path\": \"id:x\", \"value\": \"8\"}]", 400,
		     LK_SCIM_INVALID_PATH);
	expect_error(USER, "[{\"op\": \"add\", \"path\": \"groups:ie\", \"value\": [1]}]", 400,
		     LK_SCIM_INVALID_PATH);
	expect_error(USER, "[{\"op\": \"replace\", \"value\": {\"meta:version\": \"X\"}}]", 400,
		     LK_SCIM_INVALID_PATH);
	expect_error(USER, "[{\"op\": \"add\", \"path\": \"groups\", \"value\": []}]", 400,
		     LK_SCIM_MUTABILITY);
	expect_error(USER, "[{\"op\": \"replace\", \"value\": \"x\"}]", 400, LK_SCIM_INVALID_VALUE);
	expect_error(USER,
		     "[{\"op\": \"add\", \"path\": \"userName.x[value eq 1]\", \"value\": 1}]", 400,
		     LK_SCIM_INVALID_PATH);
	expect_error(USER, "[{\"op\": \"add\", \"path\": \"active.x\", \"value\": 1}]", 400,
		     LK_SCIM_INVALID_PATH);
	expect_error(USER,
		     "[{\"op\": \"add\", \"path\": \"name[givenName eq \\\"A\\\"]\", "
		     "\"value\": {}}]",
		     400, LK_SCIM_INVALID_PATH);
	expect_error(USER,
		     "[{\"op\": \"add\", \"path\": \"emails[type eq \\\"x\\\"]\", "
		     "\"value\": 5}]",
		     400, LK_SCIM_INVALID_VALUE);

	/* Past the limit on operations. */
	p = json_pack("{s:[]}", "Operations");
	for (int i = 0; i <= LK_SCIM_MAX_OPERATIONS; i++)
		json_array_append_new(
			json_object_get(p, "Operations"),
			json_pack("{s:s, s:s, s:s}", "op", "add", "path", "title", "value", "x"));
	assert_int_equal(lk_scim_patch_apply(res, p, READONLY, &e), LK_EINVAL);
	assert_string_equal(e.type, LK_SCIM_INVALID_SYNTAX);
	json_decref(p);
	json_decref(res);
}

/* Removing what is absent is not an error; a sub-attribute of nothing is made. */
static void test_edges(void **state)
{
	struct lk_scim_error e;
	json_t *r;

	r = patch(USER,
		  "[{\"op\": \"remove\", \"path\": \"nickName\"},"
		  " {\"op\": \"remove\", \"path\": \"title.x\"},"
		  " {\"op\": \"replace\", \"path\": \"x509.y\", \"value\": \"z\"},"
		  " {\"op\": \"add\", \"path\": \"emails.display\", \"value\": \"d\"},"
		  " {\"op\": \"remove\", \"path\": \"emails[type eq \\\"work\\\"].primary\"}]",
		  &e);
	assert_non_null(r);
	assert_string_equal(str_at(r, "x509", "y"), "z");
	assert_string_equal(
		str_at(json_array_get(json_object_get(r, "emails"), 0), "display", NULL), "d");
	assert_null(json_object_get(json_array_get(json_object_get(r, "emails"), 0), "primary"));
	json_decref(r);

	/* Replacing a whole element through a filter, and removing the list. */
	r = patch(USER,
		  "[{\"op\": \"replace\", \"path\": \"emails[value co \\\"alice\\\"]\","
		  " \"value\": {\"value\": \"b@example.com\"}}]",
		  &e);
	assert_non_null(r);
	assert_string_equal(str_at(json_array_get(json_object_get(r, "emails"), 0), "value", NULL),
			    "b@example.com");
	assert_null(json_object_get(json_array_get(json_object_get(r, "emails"), 0), "type"));
	json_decref(r);
}

/* attributes / excludedAttributes (RFC 7644 §3.9). */
static void test_projection(void **state)
{
	struct lk_scim_query q = {0};
	struct lk_scim_error e = {0};
	json_t *r = NULL;

	q.attributes = "userName, name.givenName,urn:ietf:params:scim:schemas:core:2.0:User:active";
	assert_int_equal(lk_scim_project_query(load(USER), &q, &r, &e), LK_OK);
	assert_string_equal(str_at(r, "id", NULL), "7");
	assert_non_null(json_object_get(r, "schemas"));
	assert_string_equal(str_at(r, "userName", NULL), "alice");
	assert_string_equal(str_at(r, "name", "givenName"), "Alice");
	assert_null(str_at(r, "name", "familyName"));
	assert_true(json_is_true(json_object_get(r, "active")));
	assert_null(json_object_get(r, "emails"));
	assert_null(json_object_get(r, "meta"));
	json_decref(r);

	q.attributes = NULL;
	q.excluded = "EMAILS,id,name.familyName,groups.display";
	assert_int_equal(lk_scim_project_query(load(USER), &q, &r, &e), LK_OK);
	assert_null(json_object_get(r, "emails"));
	assert_string_equal(str_at(r, "id", NULL), "7");
	assert_string_equal(str_at(r, "name", "givenName"), "Alice");
	assert_null(str_at(r, "name", "familyName"));
	assert_null(json_object_get(json_array_get(json_object_get(r, "groups"), 0), "display"));
	json_decref(r);

	q.excluded = "a b";
	assert_int_equal(lk_scim_query_check(&q, &e), LK_EINVAL);
	assert_int_equal(e.status, 400);
	assert_string_equal(e.type, LK_SCIM_INVALID_VALUE);
}

/* Offers n users named u1..un (active when odd) to a page of the query. */
static json_t *page_of(const struct lk_scim_query *q, int n, struct lk_scim_error *e)
{
	struct lk_scim_page p;
	json_t *out = NULL;
	char name[32];

	if (lk_scim_page_init(&p, q, e) != LK_OK)
		return NULL;
	for (int i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		assert_int_equal(lk_scim_page_offer(&p,
						    json_pack("{s:s, s:s, s:b}", "id", name,
							      "userName", name, "active", i % 2),
						    e),
				 LK_OK);
	}
	assert_int_equal(lk_scim_page_finish(&p, &out, e), LK_OK);
	lk_scim_page_release(&p);
	return out;
}

static json_int_t int_at(const json_t *o, const char *name)
{
	return json_integer_value(json_object_get(o, name));
}

static void test_pages(void **state)
{
	struct lk_scim_query q = {0};
	struct lk_scim_error e = {0};
	json_t *l;

	l = page_of(&q, 5, &e);
	assert_int_equal(int_at(l, "totalResults"), 5);
	assert_int_equal(int_at(l, "itemsPerPage"), 5);
	assert_int_equal(int_at(l, "startIndex"), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(l, "schemas"), 0)),
			    LK_SCIM_MSG_LIST);
	json_decref(l);

	q.start_index = "2";
	q.count = "2";
	l = page_of(&q, 5, &e);
	assert_int_equal(int_at(l, "totalResults"), 5);
	assert_int_equal(int_at(l, "itemsPerPage"), 2);
	assert_string_equal(str_at(json_array_get(json_object_get(l, "Resources"), 0), "id", NULL),
			    "u2");
	json_decref(l);

	/* Lenient numbers (§3.4.2.4), count 0 and a cap on count. */
	q.start_index = "-4";
	q.count = "0";
	q.filter = "active eq true";
	l = page_of(&q, 5, &e);
	assert_int_equal(int_at(l, "totalResults"), 3);
	assert_int_equal(int_at(l, "itemsPerPage"), 0);
	assert_int_equal(int_at(l, "startIndex"), 1);
	json_decref(l);
	q.start_index = NULL;
	q.count = "100000";
	q.filter = NULL;
	l = page_of(&q, LK_SCIM_MAX_RESULTS + 5, &e);
	assert_int_equal(int_at(l, "itemsPerPage"), LK_SCIM_MAX_RESULTS);
	json_decref(l);

	q.count = "ten";
	assert_null(page_of(&q, 1, &e));
	assert_string_equal(e.type, LK_SCIM_INVALID_VALUE);
	q.count = NULL;
	q.filter = "userName eq";
	assert_null(page_of(&q, 1, &e));
	assert_int_equal(e.status, 400);
	assert_string_equal(e.type, LK_SCIM_INVALID_FILTER);
}

static void test_error_json(void **state)
{
	struct lk_scim_error e = {0};
	json_t *j;

	assert_int_equal(lk_scim_fail(&e, 409, LK_SCIM_UNIQUENESS, "user '%s' exists", "a"),
			 LK_EEXIST);
	j = lk_scim_error_json(&e);
	assert_string_equal(str_at(j, "status", NULL), "409");
	assert_string_equal(str_at(j, "scimType", NULL), "uniqueness");
	assert_string_equal(str_at(j, "detail", NULL), "user 'a' exists");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "schemas"), 0)),
			    LK_SCIM_MSG_ERROR);
	json_decref(j);
	assert_int_equal(lk_scim_fail(&e, 404, NULL, "none"), LK_ENOTFOUND);
	j = lk_scim_error_json(&e);
	assert_null(json_object_get(j, "scimType"));
	json_decref(j);
}

/* Typed members: "True" / "false" strings for booleans, ids, wiping. */
static void test_members_typed(void **state)
{
	struct lk_scim_error e = {0};
	json_t *o = load("{\"a\": \"True\", \"b\": \"FALSE\", \"c\": 1, \"d\": null,"
			 " \"s\": 2, \"x\": {\"password\": \"hunter2\"}}");
	int v = 5;
	const char *s = "z";
	int64_t id = 0;

	assert_int_equal(lk_scim_get_bool(o, "A", &v, &e), LK_OK);
	assert_int_equal(v, 1);
	assert_int_equal(lk_scim_get_bool(o, "b", &v, &e), LK_OK);
	assert_int_equal(v, 0);
	assert_int_equal(lk_scim_get_bool(o, "d", &v, &e), LK_OK);
	assert_int_equal(v, -1);
	assert_int_equal(lk_scim_get_bool(o, "c", &v, &e), LK_EINVAL);
	assert_string_equal(e.type, LK_SCIM_INVALID_VALUE);
	assert_int_equal(lk_scim_get_str(o, "s", &s, &e), LK_EINVAL);
	assert_int_equal(lk_scim_get_str(o, "missing", &s, &e), LK_OK);
	assert_null(s);
	lk_scim_wipe_passwords(o);
	assert_int_equal(json_string_value(json_object_get(json_object_get(o, "x"), "password"))[0],
			 0);
	json_decref(o);

	assert_int_equal(lk_scim_id_parse("42", "user", &id, &e), LK_OK);
	assert_int_equal(id, 42);
	assert_int_equal(lk_scim_id_parse("042", "user", &id, &e), LK_ENOTFOUND);
	assert_int_equal(lk_scim_id_parse("+4", "user", &id, &e), LK_ENOTFOUND);
	assert_int_equal(lk_scim_id_parse("99999999999999999999", "user", &id, &e), LK_ENOTFOUND);
	assert_int_equal(e.status, 404);
	assert_int_equal(id, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entra_forms),   cmocka_unit_test(test_pathless),
		cmocka_unit_test(test_members),	      cmocka_unit_test(test_errors),
		cmocka_unit_test(test_edges),	      cmocka_unit_test(test_projection),
		cmocka_unit_test(test_pages),	      cmocka_unit_test(test_error_json),
		cmocka_unit_test(test_members_typed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
