/*
 * The Group resource (RFC 7643 §4.2, RFC 7644 §3.3 - §3.6): a latchkey group,
 * its members the users named by their SCIM ids. As for users, reads go to
 * the store, changes through the registry, and PATCH is applied to the
 * rendered JSON, whose result is stored as a PUT of it would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scim/scim_int.h"

/* Attributes a PATCH path may not name. */
static const char *const READONLY[] = {"id", "meta", NULL};

/* A group body: its strings borrowed from the JSON, members malloc'd. */
struct body {
	const char *display_name;
	const char *external_id;
	int64_t *members;
	size_t n;
};

/* One member, with its userName as display when wanted (and the user exists). */
static json_t *member_json(const struct lk_scim_env *env, int64_t id, bool display)
{
	char ref[LK_SCIM_BASE_MAX + 64], name[LK_SCIM_USERNAME_MAX];
	struct lk_user u = {0};
	json_t *m;

	snprintf(ref, sizeof(ref), "%s/%s/%lld", env->base, LK_SCIM_USERS, (long long)id);
	m = json_pack("{s:o, s:s, s:s}", "value", lk_scim_id_json(id), "$ref", ref, "type", "User");
	if (m && display && lk_store_user_get(env->store, id, &u) == LK_OK) {
		lk_scim_user_name(env, &u, name, sizeof(name));
		if (json_object_set_new(m, "display", json_string(name)) != 0) {
			json_decref(m);
			m = NULL;
		}
		lk_user_release(&u);
	}
	return m;
}

/*
 * The group as a SCIM Group. display adds each member's userName, one read
 * per member; PATCH, which reads back only the ids, goes without.
 */
static json_t *group_json(const struct lk_scim_env *env, const struct lk_group *g, bool display)
{
	json_t *o = json_object(), *members = json_array();
	int rc = !o || !members;

	for (size_t i = 0; !rc && i < g->nmembers; i++)
		rc |= json_array_append_new(members, member_json(env, g->members[i], display));
	if (!rc) {
		rc |= json_object_set_new(o, "schemas", json_pack("[s]", LK_SCIM_SCHEMA_GROUP));
		rc |= json_object_set_new(o, "id", lk_scim_id_json(g->id));
		if (g->external_id[0])
			rc |= json_object_set_new(o, "externalId", json_string(g->external_id));
		rc |= json_object_set_new(o, "displayName", json_string(g->display_name));
		rc |= json_object_set(o, "members", members);
		rc |= json_object_set_new(o, "meta",
					  lk_scim_meta(env, "Group", LK_SCIM_GROUPS, g->id,
						       g->created_at, g->updated_at));
	}
	json_decref(members);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A member's value: a user id as a string (or, leniently, a JSON integer). */
static enum lk_err member_id(const json_t *el, int64_t *out, struct lk_scim_error *e)
{
	const json_t *v = json_is_object(el) ? lk_scim_member(el, "value") : NULL;
	struct lk_scim_error ignored;
	const char *s = json_string_value(v);

	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*out = (int64_t)json_integer_value(v);
		return LK_OK;
	}
	if (s && lk_scim_id_parse(s, "user", out, &ignored) == LK_OK)
		return LK_OK;
	return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE,
			    "members: each member must be an object whose value is a user id");
}

static enum lk_err parse(const json_t *res, struct body *b, struct lk_scim_error *e)
{
	json_t *members = lk_scim_member(res, "members"), *el;
	enum lk_err err;
	size_t i;

	memset(b, 0, sizeof(*b));
	if ((err = lk_scim_get_str(res, "displayName", &b->display_name, e)) ||
	    (err = lk_scim_get_str(res, "externalId", &b->external_id, e)))
		return err;
	if (!b->display_name || !b->display_name[0])
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "displayName is required");
	if (!b->external_id)
		b->external_id = "";
	if (!members || json_is_null(members))
		return LK_OK;
	if (!json_is_array(members))
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "members must be an array");
	if (json_array_size(members) > LK_STORE_LIST_MAX)
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "more than %d members",
				    LK_STORE_LIST_MAX);
	b->members = calloc(json_array_size(members) + 1, sizeof(*b->members));
	if (!b->members)
		return lk_scim_fail(e, 500, NULL, "out of memory");
	json_array_foreach(members, i, el)
	{
		if ((err = member_id(el, &b->members[b->n], e)))
			return err;
		b->n++;
	}
	return LK_OK;
}

static enum lk_err load(const struct lk_scim_env *env, const char *id, struct lk_group *g,
			struct lk_scim_error *e)
{
	int64_t n;
	enum lk_err err = lk_scim_id_parse(id, "group", &n, e);

	if (err)
		return err;
	err = lk_store_group_get(env->store, n, g);
	if (err == LK_ENOTFOUND)
		return lk_scim_fail(e, 404, NULL, "no group with id '%s'", id);
	if (err)
		return lk_scim_store_error(e, err, "read the group");
	return LK_OK;
}

/* Reads the group (again, after a change) and answers with it. */
static enum lk_err answer(const struct lk_scim_env *env, int64_t id, const struct lk_scim_query *q,
			  json_t **out, struct lk_scim_error *e)
{
	struct lk_group g = {0};
	json_t *o;
	enum lk_err err = lk_store_group_get(env->store, id, &g);

	if (err == LK_ENOTFOUND)
		return lk_scim_fail(e, 404, NULL, "no group with id '%lld'", (long long)id);
	if (err)
		return lk_scim_store_error(e, err, "read the group");
	o = group_json(env, &g, true);
	lk_group_release(&g);
	if (!o)
		return lk_scim_fail(e, 500, NULL, "out of memory");
	return lk_scim_project_query(o, q, out, e);
}

enum lk_err lk_scim_group_create(const struct lk_scim_env *env, const struct lk_scim_query *q,
				 const char *body, size_t len, json_t **out,
				 struct lk_scim_error *e)
{
	struct lk_registry r;
	struct lk_group g = {0};
	struct body b = {0};
	json_t *res = NULL;
	enum lk_err err;

	if ((err = lk_scim_query_check(q, e)) || (err = lk_scim_body(body, len, &res, e)))
		return err;
	if ((err = lk_scim_check_schemas(res, LK_SCIM_SCHEMA_GROUP, e)) ||
	    (err = parse(res, &b, e)))
		goto out;
	lk_scim_registry_init(&r, env);
	err = lk_registry_group_add(&r, b.display_name, b.external_id, b.members, b.n, &g);
	if (err) {
		lk_scim_registry_error(e, err, &r);
		goto out;
	}
	err = answer(env, g.id, q, out, e);
	lk_group_release(&g);
out:
	free(b.members);
	json_decref(res);
	return err;
}

enum lk_err lk_scim_group_get(const struct lk_scim_env *env, const char *id,
			      const struct lk_scim_query *q, json_t **out, struct lk_scim_error *e)
{
	struct lk_group g = {0};
	enum lk_err err;

	if ((err = lk_scim_query_check(q, e)) || (err = load(env, id, &g, e)))
		return err;
	err = answer(env, g.id, q, out, e);
	lk_group_release(&g);
	return err;
}

enum lk_err lk_scim_group_list(const struct lk_scim_env *env, const struct lk_scim_query *q,
			       json_t **out, struct lk_scim_error *e)
{
	struct lk_scim_page p;
	struct lk_group *groups = NULL;
	size_t n = 0;
	enum lk_err err;

	err = lk_scim_page_init(&p, q, e);
	if (err)
		return err;
	err = lk_store_group_list(env->store, &groups, &n);
	if (err)
		lk_scim_store_error(e, err, "list the groups");
	for (size_t i = 0; i < n && !err; i++)
		err = lk_scim_page_offer(&p, group_json(env, &groups[i], true), e);
	if (!err)
		err = lk_scim_page_finish(&p, out, e);
	lk_scim_page_release(&p);
	lk_groups_free(groups, n);
	return err;
}

/* Stores a Group resource over group id, as PUT does: members are replaced. */
static enum lk_err store(const struct lk_scim_env *env, int64_t id, const json_t *res,
			 struct lk_scim_error *e)
{
	struct lk_registry r;
	struct body b;
	enum lk_err err = parse(res, &b, e);

	if (!err) {
		lk_scim_registry_init(&r, env);
		err = lk_registry_group_update(&r, id, b.display_name, b.external_id, b.members,
					       b.n, true, NULL);
		if (err)
			lk_scim_registry_error(e, err, &r);
	}
	free(b.members);
	return err;
}

enum lk_err lk_scim_group_replace(const struct lk_scim_env *env, const char *id,
				  const struct lk_scim_query *q, const char *body, size_t len,
				  json_t **out, struct lk_scim_error *e)
{
	struct lk_group g = {0};
	json_t *res = NULL;
	enum lk_err err;

	if ((err = lk_scim_query_check(q, e)) || (err = load(env, id, &g, e)))
		return err;
	err = lk_scim_body(body, len, &res, e);
	if (!err)
		err = lk_scim_check_schemas(res, LK_SCIM_SCHEMA_GROUP, e);
	if (!err)
		err = store(env, g.id, res, e);
	if (!err)
		err = answer(env, g.id, q, out, e);
	json_decref(res);
	lk_group_release(&g);
	return err;
}

enum lk_err lk_scim_group_patch(const struct lk_scim_env *env, const char *id,
				const struct lk_scim_query *q, const char *body, size_t len,
				json_t **out, struct lk_scim_error *e)
{
	struct lk_group g = {0};
	json_t *patch = NULL, *res = NULL, *before = NULL, *dn;
	enum lk_err err;

	if ((err = lk_scim_query_check(q, e)) || (err = load(env, id, &g, e)))
		return err;
	if ((err = lk_scim_body(body, len, &patch, e)) ||
	    (err = lk_scim_check_schemas(patch, LK_SCIM_MSG_PATCH, e)))
		goto out;
	res = group_json(env, &g, false);
	before = json_deep_copy(res);
	if (!res || !before) {
		err = lk_scim_fail(e, 500, NULL, "out of memory");
		goto out;
	}
	err = lk_scim_patch_apply(res, patch, READONLY, e);
	if (err)
		goto out;
	dn = lk_scim_member(res, "displayName");
	if (!dn || json_is_null(dn)) {
		err = lk_scim_fail(e, 400, LK_SCIM_MUTABILITY,
				   "displayName is required and cannot be removed");
		goto out;
	}
	if (!json_equal(res, before))
		err = store(env, g.id, res, e);
	if (!err)
		err = answer(env, g.id, q, out, e);
out:
	json_decref(patch);
	json_decref(res);
	json_decref(before);
	lk_group_release(&g);
	return err;
}

enum lk_err lk_scim_group_remove(const struct lk_scim_env *env, const char *id,
				 struct lk_scim_error *e)
{
	struct lk_registry r;
	int64_t n;
	enum lk_err err = lk_scim_id_parse(id, "group", &n, e);

	if (err)
		return err;
	lk_scim_registry_init(&r, env);
	err = lk_registry_group_remove(&r, n);
	if (err)
		return lk_scim_registry_error(e, err, &r);
	return LK_OK;
}
