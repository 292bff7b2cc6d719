/*
 * The User resource (RFC 7644 §3.3 - §3.6) over the registry. Reads go to
 * the store; every change goes through oauth/registry so that it is checked,
 * audited and announced like a change from the CLI. PUT and PATCH end in the
 * same place: PATCH renders the user, applies its operations to that JSON
 * and stores the result as a PUT of it would.
 */
#include <string.h>
#include <strings.h>

#include "core/secure.h"
#include "scim/scim_int.h"

/* Attributes a PATCH path may not name (RFC 7643 §4.1: read-only). */
static const char *const READONLY[] = {"id", "meta", "groups", NULL};

#define DOMAIN_MAX 65
#define NAME_MAX_LEN 65

static enum lk_err load(const struct lk_scim_env *env, const char *id, struct lk_user *u,
			struct lk_scim_error *e)
{
	int64_t n;
	enum lk_err err = lk_scim_id_parse(id, "user", &n, e);

	if (err)
		return err;
	err = lk_store_user_get(env->store, n, u);
	if (err == LK_ENOTFOUND)
		return lk_scim_fail(e, 404, NULL, "no user with id '%s'", id);
	if (err)
		return lk_scim_store_error(e, err, "read the user");
	return LK_OK;
}

/* The user as a SCIM User with its groups; *out a new reference. */
static enum lk_err render(const struct lk_scim_env *env, const struct lk_user *u, json_t **out,
			  struct lk_scim_error *e)
{
	struct lk_group *g = NULL;
	size_t n = 0;
	json_t *o;
	enum lk_err err = lk_store_user_groups(env->store, u->id, &g, &n);

	if (err)
		return lk_scim_store_error(e, err, "read the groups of the user");
	o = lk_scim_user_json(env, u, g, n, false);
	lk_groups_free(g, n);
	if (!o)
		return lk_scim_fail(e, 500, NULL, "out of memory");
	*out = o;
	return LK_OK;
}

/* Reads the user again after a change and answers with it. */
static enum lk_err answer(const struct lk_scim_env *env, int64_t id, const struct lk_scim_query *q,
			  json_t **out, struct lk_scim_error *e)
{
	struct lk_user u = {0};
	json_t *o = NULL;
	enum lk_err err = lk_store_user_get(env->store, id, &u);

	if (err)
		return lk_scim_store_error(e, err, "read the user");
	err = render(env, &u, &o, e);
	lk_user_release(&u);
	return err ? err : lk_scim_project_query(o, q, out, e);
}

/*
 * The scope user_sync is not the scope admin: a provisioning client must not
 * be able to take over an administrator by setting its password, nor lock
 * the administrators out. They are changed with the CLI or the admin API;
 * SCIM reads them and manages their group memberships only (RFC 7644 §3.12:
 * 403, the operation is not permitted with the authorization given).
 */
static enum lk_err writable(const struct lk_user *u, struct lk_scim_error *e)
{
	if (u->role == LK_ROLE_ADMIN)
		return lk_scim_fail(e, 403, NULL,
				    "'%s\\%s' is an administrator: change it with the CLI or the "
				    "admin API",
				    u->domain, u->username);
	return LK_OK;
}

/* userName as latchkey names the user; 400 invalidValue when it cannot. */
static enum lk_err split_name(const struct lk_scim_env *env, const char *user_name,
			      char domain[DOMAIN_MAX], char name[NAME_MAX_LEN],
			      struct lk_scim_error *e)
{
	if (lk_user_name_parse(user_name, env->cfg->default_domain, domain, DOMAIN_MAX, name,
			       NAME_MAX_LEN) != LK_OK)
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE,
				    "userName: '%.200s' is not a user name (user or domain\\user; "
				    "letters, digits and . _ - @ +)",
				    user_name);
	return LK_OK;
}

/* A password is checked before anything changes, so a refusal changes nothing. */
static enum lk_err check_password(const char *pw, struct lk_scim_error *e)
{
	if (pw && (!pw[0] || strlen(pw) > LK_PASSWORD_MAX))
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "password: 1 to %d characters",
				    LK_PASSWORD_MAX);
	return LK_OK;
}

enum lk_err lk_scim_user_create(const struct lk_scim_env *env, const struct lk_scim_query *q,
				const char *body, size_t len, json_t **out, struct lk_scim_error *e)
{
	char domain[DOMAIN_MAX], name[NAME_MAX_LEN];
	char generated[LK_PASSWORD_GENERATED_LEN + 1];
	struct lk_scim_user_body b;
	struct lk_registry r;
	struct lk_user u = {0};
	json_t *res = NULL;
	enum lk_err err;

	if ((err = lk_scim_query_check(q, e)) || (err = lk_scim_body(body, len, &res, e)))
		return err;
	if ((err = lk_scim_check_schemas(res, LK_SCIM_SCHEMA_USER, e)) ||
	    (err = lk_scim_user_parse(res, &b, e)) ||
	    (err = split_name(env, b.in.user, domain, name, e)) ||
	    (err = check_password(b.password, e)))
		goto out;
	lk_scim_registry_init(&r, env);
	/*
	 * Without a password the registry makes one that nobody is told: the
	 * user signs in once a password is set, or through an upstream provider.
	 */
	err = lk_registry_user_add(&r, &b.in, b.password, &u, generated);
	lk_wipe(generated, sizeof(generated));
	if (err) {
		lk_scim_registry_error(e, err, &r);
		goto out;
	}
	err = answer(env, u.id, q, out, e);
	lk_user_release(&u);
out:
	lk_scim_wipe_passwords(res);
	json_decref(res);
	return err;
}

enum lk_err lk_scim_user_get(const struct lk_scim_env *env, const char *id,
			     const struct lk_scim_query *q, json_t **out, struct lk_scim_error *e)
{
	struct lk_user u = {0};
	json_t *o = NULL;
	enum lk_err err;

	if ((err = lk_scim_query_check(q, e)) || (err = load(env, id, &u, e)))
		return err;
	err = render(env, &u, &o, e);
	lk_user_release(&u);
	return err ? err : lk_scim_project_query(o, q, out, e);
}

enum lk_err lk_scim_user_list(const struct lk_scim_env *env, const struct lk_scim_query *q,
			      json_t **out, struct lk_scim_error *e)
{
	struct lk_scim_page p;
	struct lk_user *users = NULL;
	struct lk_group *groups = NULL;
	size_t nu = 0, ng = 0;
	enum lk_err err;

	err = lk_scim_page_init(&p, q, e);
	if (err)
		return err;
	/*
	 * The filter is evaluated on the rendered resources, so that every
	 * attribute and operator behaves alike; the groups are read once for
	 * all users.
	 */
	err = lk_store_user_list(env->store, &users, &nu);
	if (err) {
		lk_scim_store_error(e, err, "list the users");
		goto out;
	}
	err = lk_store_group_list(env->store, &groups, &ng);
	if (err) {
		lk_scim_store_error(e, err, "list the groups");
		goto out;
	}
	for (size_t i = 0; i < nu && !err; i++)
		err = lk_scim_page_offer(&p, lk_scim_user_json(env, &users[i], groups, ng, true),
					 e);
	if (!err)
		err = lk_scim_page_finish(&p, out, e);
out:
	lk_scim_page_release(&p);
	lk_users_free(users, nu);
	lk_groups_free(groups, ng);
	return err;
}

/*
 * Stores a User resource over the user cur, as PUT does (RFC 7644 §3.5.1):
 * every writable attribute takes the resource's value, an absent one is
 * cleared; active and password are changed only when given.
 */
static enum lk_err store(const struct lk_scim_env *env, const struct lk_user *cur,
			 const json_t *res, struct lk_scim_error *e)
{
	char domain[DOMAIN_MAX], name[NAME_MAX_LEN], full[DOMAIN_MAX + NAME_MAX_LEN + 1];
	struct lk_scim_user_body b;
	struct lk_registry r;
	enum lk_err err;

	if ((err = lk_scim_user_parse(res, &b, e)) || (err = check_password(b.password, e)))
		return err;
	/*
	 * latchkey user names never change (they are what people sign in with
	 * and what applications are bound to); only the letter case may differ.
	 */
	if (split_name(env, b.in.user, domain, name, e) != LK_OK ||
	    strcasecmp(domain, cur->domain) != 0 || strcasecmp(name, cur->username) != 0)
		return lk_scim_fail(e, 400, LK_SCIM_MUTABILITY,
				    "userName cannot be changed: user names are immutable");
	/* A new address has not been verified by anyone latchkey knows of. */
	if (strcasecmp(b.in.email, cur->email) != 0)
		b.in.email_verified = 0;
	snprintf(full, sizeof(full), "%s\\%s", cur->domain, cur->username);
	lk_scim_registry_init(&r, env);
	/*
	 * active false disables the user here; the registry then ends the
	 * user's sessions and revokes their refresh tokens (DESIGN §5).
	 */
	err = lk_registry_user_update(&r, full, &b.in, NULL);
	if (!err && b.password)
		err = lk_registry_user_passwd(&r, full, b.password, NULL);
	if (err)
		return lk_scim_registry_error(e, err, &r);
	return LK_OK;
}

enum lk_err lk_scim_user_replace(const struct lk_scim_env *env, const char *id,
				 const struct lk_scim_query *q, const char *body, size_t len,
				 json_t **out, struct lk_scim_error *e)
{
	struct lk_user u = {0};
	json_t *res = NULL;
	enum lk_err err;

	if ((err = lk_scim_query_check(q, e)) || (err = load(env, id, &u, e)))
		return err;
	err = writable(&u, e);
	if (!err)
		err = lk_scim_body(body, len, &res, e);
	if (!err)
		err = lk_scim_check_schemas(res, LK_SCIM_SCHEMA_USER, e);
	if (!err)
		err = store(env, &u, res, e);
	if (!err)
		err = answer(env, u.id, q, out, e);
	lk_scim_wipe_passwords(res);
	json_decref(res);
	lk_user_release(&u);
	return err;
}

enum lk_err lk_scim_user_patch(const struct lk_scim_env *env, const char *id,
			       const struct lk_scim_query *q, const char *body, size_t len,
			       json_t **out, struct lk_scim_error *e)
{
	struct lk_user u = {0};
	json_t *patch = NULL, *res = NULL, *before = NULL, *un;
	enum lk_err err;

	if ((err = lk_scim_query_check(q, e)) || (err = load(env, id, &u, e)))
		return err;
	if ((err = writable(&u, e)) || (err = lk_scim_body(body, len, &patch, e)) ||
	    (err = lk_scim_check_schemas(patch, LK_SCIM_MSG_PATCH, e)) ||
	    (err = render(env, &u, &res, e)))
		goto out;
	before = json_deep_copy(res);
	if (!before) {
		err = lk_scim_fail(e, 500, NULL, "out of memory");
		goto out;
	}
	err = lk_scim_patch_apply(res, patch, READONLY, e);
	if (err)
		goto out;
	un = lk_scim_member(res, "userName");
	if (!un || json_is_null(un)) {
		err = lk_scim_fail(e, 400, LK_SCIM_MUTABILITY,
				   "userName is required and cannot be removed");
		goto out;
	}
	/* A PATCH that changes nothing stores nothing (and audits nothing). */
	if (!json_equal(res, before))
		err = store(env, &u, res, e);
	if (!err)
		err = answer(env, u.id, q, out, e);
out:
	lk_scim_wipe_passwords(patch);
	lk_scim_wipe_passwords(res);
	json_decref(patch);
	json_decref(res);
	json_decref(before);
	lk_user_release(&u);
	return err;
}

enum lk_err lk_scim_user_remove(const struct lk_scim_env *env, const char *id,
				struct lk_scim_error *e)
{
	char full[DOMAIN_MAX + NAME_MAX_LEN + 1];
	struct lk_registry r;
	struct lk_user u = {0};
	enum lk_err err = load(env, id, &u, e);

	if (!err)
		err = writable(&u, e);
	if (err) {
		lk_user_release(&u);
		return err;
	}
	snprintf(full, sizeof(full), "%s\\%s", u.domain, u.username);
	lk_user_release(&u);
	lk_scim_registry_init(&r, env);
	err = lk_registry_user_remove(&r, full);
	if (err)
		return lk_scim_registry_error(e, err, &r);
	return LK_OK;
}
