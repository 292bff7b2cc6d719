/*
 * A latchkey user as a SCIM User (RFC 7643 §4.1) and back. latchkey keeps
 * one email and one phone number, so a User shows at most one of each (type
 * "work", the email primary) and a body's primary value, or else its first,
 * is the one kept. "groups" is read-only here: membership is changed through
 * the Group resource (RFC 7643 §4.1.2).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scim/scim_int.h"

void lk_scim_user_name(const struct lk_scim_env *env, const struct lk_user *u, char *out, size_t n)
{
	if (strcasecmp(u->domain, env->cfg->default_domain) == 0)
		snprintf(out, n, "%s", u->username);
	else
		snprintf(out, n, "%s\\%s", u->domain, u->username);
}

/* name: the parts that are set, and formatted from them; NULL when none is. */
static json_t *name_json(const struct lk_user *u)
{
	char formatted[512];
	json_t *o;
	int rc = 0;

	if (!u->given_name[0] && !u->family_name[0])
		return json_object();
	snprintf(formatted, sizeof(formatted), "%s%s%s", u->given_name,
		 u->given_name[0] && u->family_name[0] ? " " : "", u->family_name);
	o = json_object();
	if (!o)
		return NULL;
	if (u->given_name[0])
		rc |= json_object_set_new(o, "givenName", json_string(u->given_name));
	if (u->family_name[0])
		rc |= json_object_set_new(o, "familyName", json_string(u->family_name));
	rc |= json_object_set_new(o, "formatted", json_string(formatted));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static bool is_member(const struct lk_group *g, int64_t id)
{
	size_t lo = 0, hi = g->nmembers;

	/* Members are kept in ascending order (records.h). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->members[mid] == id)
			return true;
		if (g->members[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static json_t *groups_json(const struct lk_scim_env *env, const struct lk_user *u,
			   const struct lk_group *groups, size_t n, bool members_known)
{
	json_t *a = json_array(), *g;
	char ref[LK_SCIM_BASE_MAX + 64];

	for (size_t i = 0; a && i < n; i++) {
		if (members_known && !is_member(&groups[i], u->id))
			continue;
		snprintf(ref, sizeof(ref), "%s/%s/%lld", env->base, LK_SCIM_GROUPS,
			 (long long)groups[i].id);
		g = json_pack("{s:o, s:s, s:s, s:s}", "value", lk_scim_id_json(groups[i].id),
			      "display", groups[i].display_name, "$ref", ref, "type", "direct");
		if (!g || json_array_append_new(a, g) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *lk_scim_user_json(const struct lk_scim_env *env, const struct lk_user *u,
			  const struct lk_group *groups, size_t n, bool members_known)
{
	char user_name[LK_SCIM_USERNAME_MAX];
	json_t *o = json_object(), *name = NULL, *gs = NULL;
	int rc = 0;

	if (!o)
		return NULL;
	lk_scim_user_name(env, u, user_name, sizeof(user_name));
	rc |= json_object_set_new(o, "schemas", json_pack("[s]", LK_SCIM_SCHEMA_USER));
	rc |= json_object_set_new(o, "id", lk_scim_id_json(u->id));
	if (u->external_id[0])
		rc |= json_object_set_new(o, "externalId", json_string(u->external_id));
	rc |= json_object_set_new(o, "userName", json_string(user_name));
	name = name_json(u);
	if (json_object_size(name))
		rc |= json_object_set(o, "name", name);
	rc |= !name;
	json_decref(name);
	if (u->display_name[0])
		rc |= json_object_set_new(o, "displayName", json_string(u->display_name));
	if (u->email[0])
		rc |= json_object_set_new(o, "emails",
					  json_pack("[{s:s, s:s, s:b}]", "value", u->email, "type",
						    "work", "primary", 1));
	if (u->phone[0])
		rc |= json_object_set_new(
			o, "phoneNumbers",
			json_pack("[{s:s, s:s}]", "value", u->phone, "type", "work"));
	rc |= json_object_set_new(o, "active", json_boolean(u->enabled));
	gs = groups_json(env, u, groups, n, members_known);
	if (json_array_size(gs))
		rc |= json_object_set(o, "groups", gs);
	rc |= !gs;
	json_decref(gs);
	rc |= json_object_set_new(
		o, "meta",
		lk_scim_meta(env, "User", LK_SCIM_USERS, u->id, u->created_at, u->updated_at));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The value kept of a multi-valued attribute (emails, phoneNumbers): the
 * primary one, or else the first with a value; "" when there is none.
 */
static enum lk_err pick_value(const json_t *res, const char *name, const char **out,
			      struct lk_scim_error *e)
{
	json_t *a = lk_scim_member(res, name), *el;
	const char *first = NULL, *primary = NULL, *v;
	enum lk_err err;
	size_t i;
	int p;

	*out = "";
	if (!a || json_is_null(a))
		return LK_OK;
	if (!json_is_array(a))
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "%s must be an array", name);
	json_array_foreach(a, i, el)
	{
		if (!json_is_object(el))
			return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE,
					    "each of %s must be an object", name);
		if ((err = lk_scim_get_str(el, "value", &v, e)) ||
		    (err = lk_scim_get_bool(el, "primary", &p, e)))
			return err;
		if (!v || !v[0])
			continue;
		if (!first)
			first = v;
		if (p == 1 && !primary)
			primary = v;
	}
	*out = primary ? primary : first ? first : "";
	return LK_OK;
}

/* name.givenName and name.familyName; name.formatted is derived (read-only). */
static enum lk_err parse_name(const json_t *res, struct lk_user_input *in, struct lk_scim_error *e)
{
	json_t *name = lk_scim_member(res, "name");
	enum lk_err err;

	in->given_name = "";
	in->family_name = "";
	if (!name || json_is_null(name))
		return LK_OK;
	if (!json_is_object(name))
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "name must be an object");
	if ((err = lk_scim_get_str(name, "givenName", &in->given_name, e)) ||
	    (err = lk_scim_get_str(name, "familyName", &in->family_name, e)))
		return err;
	if (!in->given_name)
		in->given_name = "";
	if (!in->family_name)
		in->family_name = "";
	return LK_OK;
}

enum lk_err lk_scim_user_parse(const json_t *res, struct lk_scim_user_body *out,
			       struct lk_scim_error *e)
{
	struct lk_scim_user_body b;
	enum lk_err err;

	memset(&b, 0, sizeof(b));
	lk_user_input_init(&b.in);
	if ((err = lk_scim_get_str(res, "userName", &b.in.user, e)))
		return err;
	if (!b.in.user || !b.in.user[0])
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "userName is required");
	if ((err = lk_scim_get_str(res, "externalId", &b.in.external_id, e)) ||
	    (err = lk_scim_get_str(res, "displayName", &b.in.display_name, e)) ||
	    (err = parse_name(res, &b.in, e)) ||
	    (err = pick_value(res, "emails", &b.in.email, e)) ||
	    (err = pick_value(res, "phoneNumbers", &b.in.phone, e)) ||
	    (err = lk_scim_get_bool(res, "active", &b.in.enabled, e)) ||
	    (err = lk_scim_get_str(res, "password", &b.password, e)))
		return err;
	if (!b.in.external_id)
		b.in.external_id = "";
	if (!b.in.display_name)
		b.in.display_name = "";
	*out = b;
	return LK_OK;
}
