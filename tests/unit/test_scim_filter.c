/*
 * Tests of src/scim/: the SCIM filter parser and evaluator (RFC 7644
 * §3.4.2.2) checked through evaluation on sample users and a group, the
 * parse errors with their messages and limits, and PATCH paths (§3.5.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "scim/filter.h"
#include "scim/path.h"

#define ENTERPRISE "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

/* A user as Entra ID would provision it, with a few odd values added. */
static const char *const USER_JSON =
	"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\", \"" ENTERPRISE "\"],"
	" \"id\": \"2819c223-7f76-453a-919d-413861904646\","
	" \"externalId\": \"AbC-123\","
	" \"userName\": \"Alice@Contoso.com\","
	" \"displayName\": \"Alice \\\"Ally\\\" Smith\","
	" \"nickName\": \"\","
	" \"title\": null,"
	" \"name\": {\"givenName\": \"Alice\", \"familyName\": \"Smith\"},"
	" \"active\": true,"
	" \"emails\": [{\"value\": \"alice@contoso.com\", \"type\": \"work\", \"primary\": true},"
	"             {\"value\": \"alice@home.example\", \"type\": \"home\"}],"
	" \"phoneNumbers\": [],"
	" \"roles\": [\"admin\", \"Dev\"],"
	" \"loginCount\": 42,"
	" \"rating\": 4.5,"
	" \"path\": \"C:\\\\Users\\\\a/b\\tc\","
	" \"city\": \"caf\\u00e9\","
	" \"meta\": {\"created\": \"2024-01-15T10:00:00Z\","
	"          \"lastModified\": \"2024-06-01T08:30:00Z\"},"
	" \"" ENTERPRISE "\": {\"employeeNumber\": \"701984\","
	"                     \"manager\": {\"value\": \"26118915\"}}}";

static const char *const GROUP_JSON =
	"{\"displayName\": \"Sales\","
	" \"members\": [{\"value\": \"42\", \"display\": \"Bob\"},"
	"               {\"value\": \"2819C223\", \"$ref\": \"../Users/2819C223\"}]}";

static json_t *user, *group;

static int setup(void **state)
{
	user = json_loads(USER_JSON, 0, NULL);
	group = json_loads(GROUP_JSON, 0, NULL);
	return user && group ? 0 : -1;
}

static int teardown(void **state)
{
	json_decref(user);
	json_decref(group);
	return 0;
}

/* Parses a filter that must be valid and evaluates it against res. */
static bool on(const json_t *res, const char *text)
{
	struct lk_scim_filter *f = NULL;
	char err[LK_SCIM_ERR_MAX] = "";
	enum lk_err rc = lk_scim_filter_parse(text, strlen(text), &f, err, sizeof(err));
	bool m;

	if (rc != LK_OK)
		fail_msg("'%s' did not parse: %s", text, err);
	assert_non_null(f);
	m = lk_scim_filter_match(f, res);
	lk_scim_filter_free(f);
	return m;
}

static bool u(const char *text)
{
	return on(user, text);
}

/* A filter that must fail with rc and a message containing want. */
static void bad(const char *text, size_t len, enum lk_err want_rc, const char *want)
{
	struct lk_scim_filter *f = (struct lk_scim_filter *)&f; /* must stay untouched */
	struct lk_scim_filter *sentinel = f;
	char err[LK_SCIM_ERR_MAX] = "";
	enum lk_err rc = lk_scim_filter_parse(text, len, &f, err, sizeof(err));

	if (rc != want_rc)
		fail_msg("'%.60s': got %s (%s), want %s", text, lk_err_name(rc), err,
			 lk_err_name(want_rc));
	assert_ptr_equal(f, sentinel);
	if (!strstr(err, want))
		fail_msg("'%.60s': message '%s' lacks '%s'", text, err, want);
}

static void bads(const char *text, const char *want)
{
	bad(text, strlen(text), LK_EPARSE, want);
}

static void test_string_operators(void **state)
{
	assert_true(u("userName eq \"Alice@Contoso.com\""));
	assert_false(u("userName eq \"Alice@Contoso\""));
	assert_true(u("userName ne \"bob@contoso.com\""));
	assert_false(u("userName ne \"alice@contoso.com\""));
	assert_true(u("userName co \"contoso\""));
	assert_true(u("userName co \"\""));
	assert_false(u("userName co \"fabrikam\""));
	assert_true(u("userName sw \"ali\""));
	assert_false(u("userName sw \"lice\""));
	assert_true(u("userName ew \".COM\""));
	assert_false(u("userName ew \"contoso\""));
	assert_false(u("nickName sw \"a\""));
	assert_true(u("userName gt \"alice\""));
	assert_false(u("userName gt \"bob\""));
	assert_true(u("userName lt \"bob\""));
	assert_false(u("userName lt \"alice@contoso.com\""));
	assert_true(u("userName ge \"alice@contoso.com\""));
	assert_true(u("userName le \"ALICE@CONTOSO.COM\""));
	assert_false(u("userName le \"alice\""));
	/* RFC 3339 date-times order as strings. */
	assert_true(u("meta.lastModified gt \"2024-05-01T00:00:00Z\""));
	assert_false(u("meta.created ge \"2024-05-01T00:00:00Z\""));
}

static void test_case_rules(void **state)
{
	/* Keywords and operators are case-insensitive. */
	assert_true(u("userName EQ \"alice@contoso.com\" AnD active Eq TRUE"));
	assert_true(u("userName eq \"x\" OR NOT (userName Sw \"x\")"));
	assert_true(u("userName Pr"));
	/* So are attribute names (RFC 7643 §2.1), including sub-attributes. */
	assert_true(u("USERNAME eq \"alice@contoso.com\""));
	assert_true(u("Name.GivenName eq \"ALICE\""));
	assert_true(u("EMAILS[TYPE eq \"WORK\"]"));
	/* id and externalId are caseExact. */
	assert_true(u("externalId eq \"AbC-123\""));
	assert_false(u("externalId eq \"abc-123\""));
	assert_false(u("externalid sw \"ABC\""));
	assert_true(u("id sw \"2819c223\""));
	assert_false(u("id sw \"2819C223\""));
	assert_false(u("id co \"7F76\""));
	/* Only ASCII letters fold. */
	assert_true(u("city eq \"CAF\\u00e9\""));
	assert_false(u("city eq \"caf\\u00c9\""));
}

static void test_logic(void **state)
{
	const char *t = "userName pr", *f = "title pr";
	char s[256];

	/* "and" binds tighter than "or": t or (f and f). */
	snprintf(s, sizeof(s), "%s or %s and %s", t, f, f);
	assert_true(u(s));
	snprintf(s, sizeof(s), "%s and %s or %s", f, f, t);
	assert_true(u(s));
	snprintf(s, sizeof(s), "(%s or %s) and %s", t, f, f);
	assert_false(u(s));
	snprintf(s, sizeof(s), "%s and (%s or %s)", t, f, t);
	assert_true(u(s));
	snprintf(s, sizeof(s), "%s and %s and %s", t, t, f);
	assert_false(u(s));
	snprintf(s, sizeof(s), "%s or %s or %s", f, f, f);
	assert_false(u(s));
	assert_false(u("not (userName pr)"));
	assert_true(u("not(title pr)"));
	assert_true(u("not (not (userName pr))"));
	assert_true(u("not (userName pr and title pr)"));
	assert_true(u("((((userName pr))))"));
	assert_true(u("userName pr and(active eq true)"));
	/* Whitespace is optional where tokens are unambiguous. */
	assert_true(u("  userName eq\"alice@contoso.com\"  \t"));
}

static void test_value_paths(void **state)
{
	assert_true(u("emails[type eq \"work\" and value co \"@contoso.com\"]"));
	/* Both conditions must hold on the same element. */
	assert_false(u("emails[type eq \"home\" and value co \"@contoso.com\"]"));
	assert_true(u("emails[type eq \"home\" or value co \"@nowhere\"]"));
	assert_true(u("emails[not (type eq \"work\")]"));
	assert_true(u("emails[primary eq true]"));
	assert_false(u("emails[primary eq false]"));
	assert_false(u("phoneNumbers[type eq \"work\"]"));
	assert_false(u("nothing[type eq \"work\"]"));
	/* A single complex attribute acts as one element. */
	assert_true(u("name[givenName eq \"alice\"]"));
	/* Entra ID's sub-attribute test after the brackets. */
	assert_true(u("emails[type eq \"work\"].value eq \"alice@contoso.com\""));
	assert_false(u("emails[type eq \"home\"].value eq \"alice@contoso.com\""));
	assert_true(u("emails[type eq \"home\"].value ew \".example\""));
	assert_true(u("emails[primary eq true].type pr"));
	assert_false(u("emails[type eq \"home\"].primary pr"));
	/* Value paths inside logical expressions, and one inside another. */
	assert_true(u("userName eq \"x\" or emails[type eq \"work\"] and active eq true"));
	assert_false(u("not (emails[type eq \"work\"])"));
	assert_true(on(group, "displayName eq \"sales\" and members[value eq \"42\"]"));
	assert_false(on(group, "members[value eq \"43\"]"));
	assert_true(on(group, "members[value eq \"2819c223\"]"));
	assert_true(on(group, "members[$ref ew \"/2819C223\"]"));
	assert_true(on(user, "emails[value pr and (type eq \"x\" or type eq \"home\")]"));
	assert_false(on(group, "members[display eq \"Bob\" and value eq \"2819C223\"]"));
}

static void test_multi_valued(void **state)
{
	assert_true(u("emails.value eq \"alice@home.example\""));
	assert_true(u("emails.type eq \"HOME\""));
	assert_false(u("emails.type eq \"other\""));
	/* A complex value compared directly is compared by its "value". */
	assert_true(u("emails co \"home.example\""));
	assert_true(u("emails eq \"alice@contoso.com\""));
	assert_true(u("roles eq \"dev\""));
	assert_true(u("roles sw \"ADM\""));
	assert_false(u("roles eq \"ops\""));
	/* "ne" is "not eq": true when no value is equal. */
	assert_true(u("roles ne \"ops\""));
	assert_false(u("roles ne \"admin\""));
	assert_true(u("schemas eq \"" ENTERPRISE "\""));
}

static void test_numbers_booleans_null(void **state)
{
	assert_true(u("loginCount eq 42"));
	assert_true(u("loginCount eq 42.0"));
	assert_true(u("loginCount eq 4.2e1"));
	assert_true(u("loginCount gt 41"));
	assert_false(u("loginCount gt 42"));
	assert_true(u("loginCount ge 42"));
	assert_true(u("loginCount lt 1e3"));
	assert_false(u("loginCount le -1"));
	assert_true(u("loginCount ne 43"));
	assert_true(u("rating gt 4"));
	assert_true(u("rating eq 4.5"));
	assert_false(u("rating lt 4.5"));
	/* Other types never compare equal; "ne" is their negation. */
	assert_false(u("loginCount eq \"42\""));
	assert_true(u("loginCount ne \"42\""));
	assert_false(u("userName gt 1"));
	assert_false(u("active eq \"true\""));
	assert_true(u("active eq true"));
	assert_false(u("active eq false"));
	assert_true(u("active ne false"));
	assert_false(u("active ne TRUE"));
	assert_false(u("loginCount eq true"));
	/* "eq null" matches absent or null. */
	assert_true(u("title eq null"));
	assert_true(u("absent eq NULL"));
	assert_false(u("userName eq null"));
	assert_true(u("userName ne null"));
	assert_false(u("title ne null"));
	assert_true(u("emails.display eq null"));
}

static void test_present(void **state)
{
	assert_true(u("userName pr"));
	assert_true(u("emails pr"));
	assert_true(u("name pr"));
	assert_true(u("active pr"));
	assert_true(u("loginCount pr"));
	assert_true(u("emails.primary pr"));
	assert_false(u("title pr"));	    /* null */
	assert_false(u("nickName pr"));	    /* "" */
	assert_false(u("phoneNumbers pr")); /* [] */
	assert_false(u("absent pr"));
	assert_false(u("name.middleName pr"));
	assert_false(u("phoneNumbers.value pr"));
}

static void test_escapes(void **state)
{
	assert_true(u("displayName eq \"Alice \\\"Ally\\\" Smith\""));
	assert_true(u("displayName co \"\\\"ally\\\"\""));
	assert_true(u("path eq \"c:\\\\users\\\\a\\/b\\tc\""));
	assert_false(u("path eq \"c:\\\\users\\\\a/b c\""));
	assert_true(u("city eq \"\\u0063af\\u00E9\""));
	/* A ']' or ')' inside a string is only text. */
	assert_false(u("emails[value eq \"a]b)\"]"));
}

static void test_schema_uris(void **state)
{
	json_t *scope;

	assert_true(u("urn:ietf:params:scim:schemas:core:2.0:User:userName eq "
		      "\"alice@contoso.com\""));
	assert_true(u("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName sw \"sm\""));
	assert_true(u(ENTERPRISE ":employeeNumber eq \"701984\""));
	assert_true(u("URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:employeeNumber"
		      " pr"));
	assert_true(u(ENTERPRISE ":manager.value eq \"26118915\""));
	assert_true(u(ENTERPRISE ":manager eq \"26118915\""));
	assert_false(u(ENTERPRISE ":userName pr"));
	assert_false(u("urn:example:other:userName pr"));
	assert_true(u(ENTERPRISE ":manager[value pr]"));

	assert_ptr_equal(lk_scim_scope(user, ""), user);
	assert_ptr_equal(lk_scim_scope(user, "urn:ietf:params:scim:schemas:core:2.0:Group"), user);
	scope = lk_scim_scope(user, ENTERPRISE);
	assert_non_null(scope);
	assert_string_equal(json_string_value(lk_scim_member(scope, "EMPLOYEENUMBER")), "701984");
	assert_null(lk_scim_scope(user, "urn:example:x"));
	assert_null(lk_scim_scope(NULL, ""));
	assert_null(lk_scim_member(user, "nope"));
	assert_null(lk_scim_member(lk_scim_member(user, "userName"), "x"));
}

static void test_member_lookup(void **state)
{
	json_t *o = json_pack("{s:i, s:i}", "userName", 1, "USERNAME", 2);

	assert_non_null(o);
	/* An exact match wins over a case-insensitive one. */
	assert_int_equal(json_integer_value(lk_scim_member(o, "USERNAME")), 2);
	assert_int_equal(json_integer_value(lk_scim_member(o, "userName")), 1);
	assert_non_null(lk_scim_member(o, "username"));
	assert_null(lk_scim_member(o, "user"));
	json_decref(o);
}

static void test_match_guards(void **state)
{
	struct lk_scim_filter *f = NULL;
	json_t *arr = json_array();

	assert_int_equal(lk_scim_filter_parse("userName pr", 11, &f, NULL, 0), LK_OK);
	assert_true(lk_scim_filter_match(f, user));
	assert_false(lk_scim_filter_match(f, NULL));
	assert_false(lk_scim_filter_match(f, arr));
	assert_false(lk_scim_filter_match(NULL, user));
	lk_scim_filter_free(f);
	lk_scim_filter_free(NULL);
	json_decref(arr);
	/* The length bounds the text: what follows is not read. */
	assert_int_equal(lk_scim_filter_parse("userName prXYZ", 11, &f, NULL, 0), LK_OK);
	assert_true(lk_scim_filter_match(f, user));
	lk_scim_filter_free(f);
}

static void test_parse_errors(void **state)
{
	char err[8];
	struct lk_scim_filter *f = NULL;

	bads("", "empty filter");
	bads("   ", "empty filter");
	bads("(userName pr", "missing ')' to close the '(' at offset 0");
	bads("((userName pr)", "missing ')'");
	bads("userName pr)", "unexpected ')' at offset 11");
	bads("userName pr]", "unexpected ']'");
	bads("emails[type eq \"work\"", "missing ']' to close the '[' at offset 6");
	bads("(userName pr]", "expected 'and', 'or' or ')'");
	bads("()", "expected an attribute, '(' or 'not' at offset 1, found ')'");
	bads("userName eq", "missing value after 'eq' at offset 11");
	bads("userName eq )", "expected a string, number, true, false or null");
	bads("userName eq bob", "found 'bob'");
	bads("userName", "missing operator after 'userName'");
	bads("userName xx \"a\"", "unknown operator 'xx' after 'userName' at offset 9");
	bads("userName \"a\"", "unknown operator a string");
	bads("userName eq \"a\" xor title pr", "unexpected 'xor' at offset 16");
	bads("userName eq \"a\" \"b\"", "unexpected a string");
	bads("userName eq \"a\" and", "expected an attribute, '(' or 'not' at offset 19");
	bads("or userName pr", "unknown operator 'userName' after 'or'");
	bads("userName eq \"abc", "unterminated string starting at offset 12");
	bads("userName eq \"abc\\\"", "unterminated string");
	bads("userName eq \"a\\qb\"", "invalid string at offset 12");
	bads("userName eq \"a\\u00\"", "invalid string");
	bads("userName eq \"a\\u0000b\"", "invalid string");
	bads("userName eq \"tab\there\"", "invalid string");
	bads("userName eq \"\xff\"", "invalid string");
	bads("loginCount eq 01", "invalid number at offset 14");
	bads("loginCount eq 1.", "invalid number");
	bads("loginCount eq -", "invalid number");
	bads("loginCount eq 99999999999999999999999", "invalid number");
	bads("loginCount eq 1e999", "invalid number");
	bads("active gt true", "operator 'gt' cannot compare with 'true'");
	bads("title co null", "operator 'co' cannot compare with 'null'");
	bads("loginCount sw 4", "operator 'sw' cannot compare with '4'");
	bads("not userName pr", "'not' must be followed by '('");
	bads("userName pr and not", "'not' must be followed by '('");
	bads("user#Name pr", "unknown operator '#' after 'user' at offset 4");
	bads("userName pr \x01", "unexpected byte 0x01 at offset 12");
	bads("user..name pr", "invalid attribute path 'user..name'");
	bads("name.givenName.x pr", "invalid attribute path");
	bads(":userName pr", "at offset 0, found ':'");
	bads("urn:x: pr", "invalid attribute path");
	bads("meta:lastModified pr", "must be a URN");
	bads("x:userName eq 1", "must be a URN");
	bads("name-1.x_2 pr and a$b pr", "invalid attribute path 'a$b'");
	bads("name.givenName[value pr]", "not the sub-attribute 'name.givenName'");
	bads("emails[type pr].", "expected a sub-attribute name after '.'");
	bads("emails[type pr].value.x eq 1", "invalid sub-attribute name");
	bads("emails[type pr].value", "missing operator after 'value'");
	bads("emails[]", "expected an attribute");
	bads(".value pr", "found '.'");
	bad("userName pr\0 or x pr", 20, LK_EPARSE, "unexpected byte 0x00 at offset 11");
	bad(NULL, 3, LK_EINVAL, "no filter");
	/* A long attribute name is cut short in the message. */
	bads("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa xx 1",
	     "...' at offset");
	/* Messages are truncated to the buffer, and a NULL buffer is allowed. */
	assert_int_equal(lk_scim_filter_parse("", 0, &f, err, sizeof(err)), LK_EPARSE);
	assert_string_equal(err, "empty f");
	assert_int_equal(lk_scim_filter_parse("(", 1, &f, NULL, 0), LK_EPARSE);
	assert_int_equal(lk_scim_filter_parse("a pr", 4, NULL, err, sizeof(err)), LK_EINVAL);
	assert_null(f);
}

/* Nested groups: `count` of `open` around "userName pr", then the closers. */
static char *nest(int count, const char *open, const char *close)
{
	struct lk_buf b;
	int i;

	lk_buf_init(&b, 1 << 16);
	for (i = 0; i < count; i++)
		assert_int_equal(lk_buf_addstr(&b, open), LK_OK);
	assert_int_equal(lk_buf_addstr(&b, "userName pr"), LK_OK);
	for (i = 0; i < count; i++)
		assert_int_equal(lk_buf_addstr(&b, close), LK_OK);
	return lk_buf_detach(&b, NULL);
}

static void test_limits(void **state)
{
	struct lk_buf b;
	char *s;
	int i;

	s = nest(LK_SCIM_FILTER_DEPTH_MAX, "(", ")");
	assert_true(u(s));
	free(s);
	s = nest(LK_SCIM_FILTER_DEPTH_MAX + 1, "(", ")");
	bad(s, strlen(s), LK_ETOOMANY, "nests deeper than 32 levels at offset 32");
	free(s);
	s = nest(LK_SCIM_FILTER_DEPTH_MAX / 2, "not (", ")");
	assert_true(u(s));
	free(s);
	s = nest(LK_SCIM_FILTER_DEPTH_MAX + 1, "not (", ")");
	bad(s, strlen(s), LK_ETOOMANY, "nests deeper");
	free(s);
	s = nest(LK_SCIM_FILTER_DEPTH_MAX + 1, "emails[", "]");
	bad(s, strlen(s), LK_ETOOMANY, "nests deeper");
	free(s);

	/* n terms joined by "or" make 2n - 1 nodes. */
	lk_buf_init(&b, 1 << 16);
	assert_int_equal(lk_buf_addstr(&b, "title pr"), LK_OK);
	for (i = 1; i < (LK_SCIM_FILTER_NODES_MAX + 1) / 2; i++)
		assert_int_equal(lk_buf_addstr(&b, i % 2 ? " or title pr" : " and title pr"),
				 LK_OK);
	assert_false(u(lk_buf_str(&b)));
	assert_int_equal(lk_buf_addstr(&b, " or userName pr"), LK_OK);
	bad(lk_buf_str(&b), b.len, LK_ETOOMANY, "more than 256 terms");

	/* Exactly the maximum length parses; one byte more does not. */
	lk_buf_reset(&b);
	assert_int_equal(lk_buf_addstr(&b, "userName pr"), LK_OK);
	while (b.len < LK_SCIM_FILTER_MAX)
		assert_int_equal(lk_buf_addc(&b, ' '), LK_OK);
	assert_true(u(lk_buf_str(&b)));
	assert_int_equal(lk_buf_addc(&b, ' '), LK_OK);
	bad(lk_buf_str(&b), b.len, LK_ETOOBIG, "longer than 4096 bytes");
	lk_buf_release(&b);
}

static struct lk_scim_path path_ok(const char *text)
{
	struct lk_scim_path p;
	char err[LK_SCIM_ERR_MAX] = "";

	if (lk_scim_path_parse(text, strlen(text), &p, err, sizeof(err)) != LK_OK)
		fail_msg("path '%s' did not parse: %s", text, err);
	return p;
}

static void path_bad(const char *text, enum lk_err want_rc, const char *want)
{
	struct lk_scim_path p;
	char err[LK_SCIM_ERR_MAX] = "";
	enum lk_err rc;

	memset(&p, 0x5a, sizeof(p));
	rc = lk_scim_path_parse(text, text ? strlen(text) : 0, &p, err, sizeof(err));
	if (rc != want_rc)
		fail_msg("path '%s': got %s (%s)", text, lk_err_name(rc), err);
	assert_int_equal(p.attr[0], 0x5a);
	if (!strstr(err, want))
		fail_msg("path '%s': message '%s' lacks '%s'", text, err, want);
}

static void test_paths(void **state)
{
	struct lk_scim_path p;
	json_t *emails = lk_scim_member(user, "emails");

	p = path_ok("active");
	assert_string_equal(p.attr, "active");
	assert_string_equal(p.sub, "");
	assert_string_equal(p.uri, "");
	assert_null(p.value_filter);
	lk_scim_path_release(&p);

	p = path_ok("name.givenName");
	assert_string_equal(p.attr, "name");
	assert_string_equal(p.sub, "givenName");
	assert_null(p.value_filter);
	lk_scim_path_release(&p);

	p = path_ok("emails[type eq \"work\"]");
	assert_string_equal(p.attr, "emails");
	assert_string_equal(p.sub, "");
	assert_non_null(p.value_filter);
	assert_true(lk_scim_filter_match(p.value_filter, json_array_get(emails, 0)));
	assert_false(lk_scim_filter_match(p.value_filter, json_array_get(emails, 1)));
	lk_scim_path_release(&p);
	assert_null(p.value_filter);

	p = path_ok("emails[type eq \"home\" and value co \"]\" or primary eq true].value");
	assert_string_equal(p.attr, "emails");
	assert_string_equal(p.sub, "value");
	assert_true(lk_scim_filter_match(p.value_filter, json_array_get(emails, 0)));
	lk_scim_path_release(&p);

	p = path_ok("members[value eq \"2819c223\"]");
	assert_string_equal(p.attr, "members");
	assert_true(lk_scim_filter_match(p.value_filter,
					 json_array_get(lk_scim_member(group, "members"), 1)));
	lk_scim_path_release(&p);

	p = path_ok(ENTERPRISE ":manager");
	assert_string_equal(p.uri, ENTERPRISE);
	assert_string_equal(p.attr, "manager");
	assert_string_equal(p.sub, "");
	lk_scim_path_release(&p);

	p = path_ok(ENTERPRISE ":manager.value");
	assert_string_equal(p.attr, "manager");
	assert_string_equal(p.sub, "value");
	lk_scim_path_release(&p);

	p = path_ok("urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"].display");
	assert_string_equal(p.uri, "urn:ietf:params:scim:schemas:core:2.0:User");
	assert_string_equal(p.attr, "emails");
	assert_string_equal(p.sub, "display");
	assert_non_null(p.value_filter);
	lk_scim_path_release(&p);

	p = path_ok("emails[value sw \"[\" and not (type eq \"a[b\")]");
	assert_non_null(p.value_filter);
	lk_scim_path_release(&p);
	lk_scim_path_release(NULL);
}

static void test_path_errors(void **state)
{
	struct lk_buf b;
	struct lk_scim_path p;

	path_bad("", LK_EPARSE, "empty path");
	path_bad(NULL, LK_EINVAL, "no path");
	path_bad("[type eq \"work\"]", LK_EPARSE, "empty attribute path");
	path_bad("1abc", LK_EPARSE, "must start with a letter");
	path_bad("active ", LK_EPARSE, "invalid character in attribute path at offset 6");
	path_bad("name..givenName", LK_EPARSE, "invalid attribute path");
	path_bad("name.givenName.x", LK_EPARSE, "invalid attribute path");
	path_bad("urn:x:", LK_EPARSE, "invalid attribute path");
	path_bad(":x", LK_EPARSE, "must start with a letter");
	path_bad("emails[type eq \"work\"", LK_EPARSE, "missing ']' to close the '[' at offset 6");
	path_bad("emails[value eq \"]\"", LK_EPARSE, "missing ']'");
	path_bad("emails[type eq]", LK_EPARSE, "invalid value filter: missing value after 'eq'");
	path_bad("emails[]", LK_EPARSE, "invalid value filter: empty filter");
	path_bad("emails[type pr]x", LK_EPARSE, "unexpected text after ']' at offset 15");
	path_bad("emails[type pr][x pr]", LK_EPARSE, "unexpected text after ']'");
	path_bad("emails[type pr].", LK_EPARSE, "invalid sub-attribute after ']' at offset 16");
	path_bad("emails[type pr].a.b", LK_EPARSE, "invalid sub-attribute");
	path_bad("emails[type pr].urn:x:a", LK_EPARSE, "invalid sub-attribute");
	path_bad("name.givenName[x pr]", LK_EPARSE, "not the sub-attribute 'name.givenName'");
	path_bad("emails[((((((((((((((((((((((((((((((((((a pr))))))))))))))))))))))))))))))))]",
		 LK_ETOOMANY, "invalid value filter: filter nests deeper");

	lk_buf_init(&b, 1 << 16);
	while (b.len <= LK_SCIM_PATH_MAX)
		assert_int_equal(lk_buf_addc(&b, 'a'), LK_OK);
	assert_int_equal(lk_scim_path_parse(lk_buf_str(&b), b.len, &p, NULL, 0), LK_ETOOBIG);
	/* A name too long for its buffer is refused, not cut. */
	lk_buf_reset(&b);
	while (b.len < LK_SCIM_NAME_MAX)
		assert_int_equal(lk_buf_addc(&b, 'a'), LK_OK);
	path_bad(lk_buf_str(&b), LK_EPARSE, "invalid attribute path");
	lk_buf_reset(&b);
	assert_int_equal(lk_buf_addstr(&b, "urn:"), LK_OK);
	while (b.len < LK_SCIM_URI_MAX)
		assert_int_equal(lk_buf_addc(&b, 'x'), LK_OK);
	assert_int_equal(lk_buf_addstr(&b, ":a"), LK_OK);
	path_bad(lk_buf_str(&b), LK_EPARSE, "longer than 255 bytes");
	lk_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_operators),
		cmocka_unit_test(test_case_rules),
		cmocka_unit_test(test_logic),
		cmocka_unit_test(test_value_paths),
		cmocka_unit_test(test_multi_valued),
		cmocka_unit_test(test_numbers_booleans_null),
		cmocka_unit_test(test_present),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_schema_uris),
		cmocka_unit_test(test_member_lookup),
		cmocka_unit_test(test_match_guards),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_path_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
