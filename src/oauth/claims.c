/*
 * The claims request parameter (OpenID Connect Core §5.5): parsing it into
 * the sets of user claims latchkey honours, and writing it back normalised.
 */
#include "oauth/claims.h"

#include <string.h>

#include <jansson.h>

#include "oauth/params.h"
#include "oauth/scope.h"

/* The user claims by position: name and the scope that releases it. */
static const struct {
	const char *name;
	const char *scope;
} user_claims[] = {
#define LK_CLAIM_ROW(id, name, scope) {name, scope},
	LK_USER_CLAIMS(LK_CLAIM_ROW)
#undef LK_CLAIM_ROW
};

_Static_assert(sizeof(user_claims) / sizeof(user_claims[0]) == LK_CL__COUNT,
	       "user_claims must list LK_USER_CLAIMS");

const char *lk_claim_name(unsigned pos)
{
	return pos < LK_CL__COUNT ? user_claims[pos].name : NULL;
}

/* The bit of a user claim's name, 0 for a claim latchkey does not release. */
static unsigned claim_bit(const char *name)
{
	for (unsigned i = 0; i < LK_CL__COUNT; i++)
		if (strcmp(user_claims[i].name, name) == 0)
			return 1u << i;
	return 0;
}

/*
 * §5.5.1: a claim asks for nothing more (null) or is an object whose
 * essential member is a boolean and whose values member is an array; value
 * may be anything. Other members are for extensions and are ignored.
 */
static bool request_ok(json_t *v)
{
	json_t *essential, *values;

	if (json_is_null(v))
		return true;
	if (!json_is_object(v))
		return false;
	essential = json_object_get(v, LK_CLAIMS_ESSENTIAL);
	values = json_object_get(v, LK_CLAIMS_VALUES);
	return (!essential || json_is_boolean(essential)) && (!values || json_is_array(values));
}

/*
 * Core §5.5.1: a sub value asked of the ID token names the only user the
 * answer may be for. It is a string, as sub is (Core §2); anything else
 * could name no user and is refused as malformed.
 */
static enum lk_err sub_value(json_t *v, struct lk_claims_req *r)
{
	json_t *value = json_is_object(v) ? json_object_get(v, LK_CLAIMS_VALUE) : NULL;
	size_t n;

	if (!value)
		return LK_OK;
	if (!json_is_string(value))
		return LK_EPARSE;
	n = json_string_length(value);
	if (n == 0 || n > LK_CLAIMS_SUB_MAX || strlen(json_string_value(value)) != n)
		return LK_EPARSE;
	memcpy(r->sub, json_string_value(value), n + 1);
	return LK_OK;
}

/* One member of the request (userinfo or id_token): its honoured claims into *set. */
static enum lk_err member(json_t *doc, const char *name, unsigned *set, struct lk_claims_req *r)
{
	json_t *m = json_object_get(doc, name), *v;
	const char *claim;
	enum lk_err err;

	if (!m)
		return LK_OK;
	if (!json_is_object(m))
		return LK_EPARSE;
	json_object_foreach(m, claim, v)
	{
		if (!request_ok(v))
			return LK_EPARSE;
		*set |= claim_bit(claim);
		if (r && strcmp(claim, LK_CLAIM_SUB) == 0) {
			err = sub_value(v, r);
			if (err)
				return err;
		}
	}
	return LK_OK;
}

enum lk_err lk_claims_parse(const char *text, struct lk_claims_req *out)
{
	struct lk_claims_req r = {0};
	size_t n = text ? strnlen(text, LK_CLAIMS_PARAM_MAX + 1) : 0;
	json_t *doc;
	json_error_t jerr;
	enum lk_err err;

	if (n > LK_CLAIMS_PARAM_MAX)
		return LK_ETOOBIG;
	if (n == 0) {
		*out = r;
		return LK_OK;
	}
	/* A repeated key would leave it unclear which request was meant. */
	doc = json_loadb(text, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return json_error_code(&jerr) == json_error_out_of_memory ? LK_ENOMEM : LK_EPARSE;
	err = json_is_object(doc) ? LK_OK : LK_EPARSE;
	if (!err)
		err = member(doc, LK_CLAIMS_USERINFO, &r.userinfo, NULL);
	if (!err)
		err = member(doc, LK_CLAIMS_ID_TOKEN, &r.id_token, &r);
	json_decref(doc);
	if (!err)
		*out = r;
	return err;
}

unsigned lk_claims_of_scope(const char *scope)
{
	unsigned set = 0;

	for (unsigned i = 0; i < LK_CL__COUNT; i++)
		if (lk_scope_covers(scope, user_claims[i].scope))
			set |= 1u << i;
	return set;
}

void lk_claims_limit(struct lk_claims_req *r, const char *scope)
{
	unsigned allowed = lk_claims_of_scope(scope);

	r->userinfo &= allowed;
	r->id_token &= allowed;
}

bool lk_claims_empty(const struct lk_claims_req *r)
{
	return !r->userinfo && !r->id_token && !r->sub[0];
}

/* The object of one member: each claim of set as null, and sub's value when given. */
static json_t *member_json(unsigned set, const char *sub)
{
	json_t *o = json_object();
	int rc = o ? 0 : -1;

	for (unsigned i = 0; i < LK_CL__COUNT && !rc; i++)
		if (set & (1u << i))
			rc = json_object_set_new(o, user_claims[i].name, json_null());
	if (!rc && sub && *sub)
		rc = json_object_set_new(o, LK_CLAIM_SUB, json_pack("{s:s}", LK_CLAIMS_VALUE, sub));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

enum lk_err lk_claims_to_json(const struct lk_claims_req *r, char **out)
{
	json_t *doc = NULL, *m;
	char *text = NULL;
	int rc = 0;

	if (lk_claims_empty(r)) {
		text = strdup("");
		goto out;
	}
	doc = json_object();
	rc = doc ? 0 : -1;
	if (!rc && r->userinfo) {
		m = member_json(r->userinfo, NULL);
		rc = m ? json_object_set_new(doc, LK_CLAIMS_USERINFO, m) : -1;
	}
	if (!rc && (r->id_token || r->sub[0])) {
		m = member_json(r->id_token, r->sub);
		rc = m ? json_object_set_new(doc, LK_CLAIMS_ID_TOKEN, m) : -1;
	}
	if (!rc)
		text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(doc);
	if (!text)
		return LK_ENOMEM;
	*out = text;
	return LK_OK;
}
