/* Groups of users: add, update (name, external id, members), remove. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth/registry_int.h"

#define GROUP_NAME_MAX 256

static enum lk_err check_name(struct lk_registry *r, const char *name)
{
	const char *field = lk_reg_field(r, "NAME", "displayName");

	if (!name[0] || strlen(name) > GROUP_NAME_MAX || lk_reg_has_control(name, false))
		return lk_reg_invalid(r, "%s: 1 to %d characters, no control characters", field,
				      GROUP_NAME_MAX);
	return LK_OK;
}

static enum lk_err check_external_id(struct lk_registry *r, const char *v)
{
	if (strlen(v) > GROUP_NAME_MAX || lk_reg_has_control(v, false))
		return lk_reg_invalid(r, "%s: at most %d characters, no control characters",
				      lk_reg_field(r, "--external-id", "externalId"),
				      GROUP_NAME_MAX);
	return LK_OK;
}

/* Every member must be a user; the message names the first that is not. */
static enum lk_err check_members(struct lk_registry *r, const int64_t *members, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct lk_user u = {0};
		enum lk_err err = lk_store_user_get(r->store, members[i], &u);

		if (err == LK_ENOTFOUND || members[i] <= 0)
			return lk_reg_invalid(r, "%s: no user with id %lld",
					      lk_reg_field(r, "--member", "members"),
					      (long long)members[i]);
		if (err)
			return lk_reg_store_error(r, err, "read a member");
		lk_user_release(&u);
	}
	return LK_OK;
}

static enum lk_err taken(struct lk_registry *r, const char *name)
{
	return lk_reg_fail(r, LK_EEXIST, "%s: a group named '%s' already exists",
			   lk_reg_field(r, "NAME", "displayName"), name);
}

enum lk_err lk_registry_group_add(struct lk_registry *r, const char *display_name,
				  const char *external_id, const int64_t *members, size_t n,
				  struct lk_group *out)
{
	struct lk_group g = {
		.display_name = (char *)display_name,
		.external_id = (char *)(external_id ? external_id : ""),
		.members = (int64_t *)members,
		.nmembers = n,
		.created_at = r->now,
		.updated_at = r->now,
	};
	char id[32] = "";
	enum lk_err err;

	err = lk_reg_begin(r);
	if (err)
		return err;
	err = check_name(r, display_name);
	if (!err)
		err = check_external_id(r, g.external_id);
	if (!err)
		err = check_members(r, members, n);
	if (!err) {
		err = lk_store_group_insert(r->store, &g, &g.id);
		if (err == LK_EEXIST)
			err = taken(r, display_name);
	}
	if (!err)
		snprintf(id, sizeof(id), "%lld", (long long)g.id);
	err = lk_reg_end(r, err, "group.add", "group", id, display_name);
	if (err)
		return err;
	return out ? lk_store_group_get(r->store, g.id, out) : LK_OK;
}

enum lk_err lk_registry_group_update(struct lk_registry *r, int64_t id, const char *display_name,
				     const char *external_id, const int64_t *members,
				     size_t n, bool set_members, struct lk_group *out)
{
	struct lk_group g = {0};
	int64_t *saved = NULL;
	size_t nsaved = 0;
	bool swapped = false;
	char ids[32];
	enum lk_err err;

	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	err = lk_reg_begin(r);
	if (err)
		return err;
	err = lk_store_group_get(r->store, id, &g);
	if (err == LK_ENOTFOUND)
		err = lk_reg_fail(r, err, "no group %lld", (long long)id);
	if (!err && display_name && !(err = check_name(r, display_name)))
		err = lk_reg_set_str(&g.display_name, display_name);
	if (!err && external_id && !(err = check_external_id(r, external_id)))
		err = lk_reg_set_str(&g.external_id, external_id);
	if (!err && set_members && !(err = check_members(r, members, n))) {
		/* The record's own list is put back before it is released. */
		saved = g.members;
		nsaved = g.nmembers;
		swapped = true;
		g.members = (int64_t *)members;
		g.nmembers = n;
	}
	if (!err) {
		g.updated_at = r->now;
		err = lk_store_group_update(r->store, &g);
		if (err == LK_EEXIST)
			err = taken(r, g.display_name);
	}
	if (swapped) {
		g.members = saved;
		g.nmembers = nsaved;
	}
	err = lk_reg_end(r, err, "group.update", "group", ids, g.display_name);
	lk_group_release(&g);
	if (err)
		return err;
	return out ? lk_store_group_get(r->store, id, out) : LK_OK;
}

enum lk_err lk_registry_group_remove(struct lk_registry *r, int64_t id)
{
	char ids[32];
	enum lk_err err;

	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	err = lk_reg_begin(r);
	if (err)
		return err;
	err = lk_store_group_delete(r->store, id);
	if (err == LK_ENOTFOUND)
		err = lk_reg_fail(r, err, "no group %lld", (long long)id);
	return lk_reg_end(r, err, "group.remove", "group", ids, "");
}
