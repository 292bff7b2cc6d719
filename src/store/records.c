/*
 * The registry's records: the names of their enum values, generated from the
 * X-macro lists of records.h so that the spelling on the CLI, in the API and
 * in the database is written once, and the functions that free records.
 */
#include "store/records.h"

#include <stdlib.h>
#include <string.h>

#define NAME_OF(name, str) str,

static const char *const grant_names[] = {LK_GRANT_LIST(NAME_OF)};
static const char *const strategy_names[] = {LK_STRATEGY_LIST(NAME_OF)};
static const char *const lifecycle_names[] = {LK_LIFECYCLE_LIST(NAME_OF)};
static const char *const client_type_names[] = {LK_CLIENT_TYPE_LIST(NAME_OF)};
static const char *const token_format_names[] = {LK_TOKEN_FORMAT_LIST(NAME_OF)};
static const char *const role_names[] = {LK_ROLE_LIST(NAME_OF)};

#undef NAME_OF

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The name of value v in a table of n names; "" when v is out of range. */
static const char *name_of(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "";
}

/* The index of s in a table of n names (exact spelling); LK_EINVAL if none. */
static enum lk_err index_of(const char *const *names, size_t n, const char *s, int *out)
{
	if (!s)
		return LK_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = (int)i;
			return LK_OK;
		}
	}
	return LK_EINVAL;
}

const char *lk_grant_name(enum lk_grant g)
{
	return name_of(grant_names, COUNT(grant_names), (int)g);
}

const char *lk_strategy_name(enum lk_strategy s)
{
	return name_of(strategy_names, COUNT(strategy_names), (int)s);
}

const char *lk_lifecycle_name(enum lk_lifecycle l)
{
	return name_of(lifecycle_names, COUNT(lifecycle_names), (int)l);
}

const char *lk_client_type_name(enum lk_client_type t)
{
	return name_of(client_type_names, COUNT(client_type_names), (int)t);
}

const char *lk_token_format_name(enum lk_token_format f)
{
	return name_of(token_format_names, COUNT(token_format_names), (int)f);
}

const char *lk_role_name(enum lk_role r)
{
	return name_of(role_names, COUNT(role_names), (int)r);
}

enum lk_err lk_grant_parse(const char *s, enum lk_grant *out)
{
	int v = 0;
	enum lk_err err = index_of(grant_names, COUNT(grant_names), s, &v);

	if (!err)
		*out = (enum lk_grant)v;
	return err;
}

enum lk_err lk_strategy_parse(const char *s, enum lk_strategy *out)
{
	int v = 0;
	enum lk_err err = index_of(strategy_names, COUNT(strategy_names), s, &v);

	if (!err)
		*out = (enum lk_strategy)v;
	return err;
}

enum lk_err lk_lifecycle_parse(const char *s, enum lk_lifecycle *out)
{
	int v = 0;
	enum lk_err err = index_of(lifecycle_names, COUNT(lifecycle_names), s, &v);

	if (!err)
		*out = (enum lk_lifecycle)v;
	return err;
}

enum lk_err lk_client_type_parse(const char *s, enum lk_client_type *out)
{
	int v = 0;
	enum lk_err err = index_of(client_type_names, COUNT(client_type_names), s, &v);

	if (!err)
		*out = (enum lk_client_type)v;
	return err;
}

enum lk_err lk_token_format_parse(const char *s, enum lk_token_format *out)
{
	int v = 0;
	enum lk_err err = index_of(token_format_names, COUNT(token_format_names), s, &v);

	if (!err)
		*out = (enum lk_token_format)v;
	return err;
}

enum lk_err lk_role_parse(const char *s, enum lk_role *out)
{
	int v = 0;
	enum lk_err err = index_of(role_names, COUNT(role_names), s, &v);

	if (!err)
		*out = (enum lk_role)v;
	return err;
}

void lk_app_release(struct lk_app *a)
{
	if (!a)
		return;
	free(a->client_id);
	free(a->name);
	free(a->description);
	free(a->website);
	free(a->scopes);
	free(a->user);
	free(a->redirect_uris);
	free(a->post_logout_redirect_uris);
	free(a->cert_der);
	free(a->cert_subject);
	free(a->cert_key_type);
	free(a->cert_kid);
	free(a->audience);
	free(a->id_token_alg);
	free(a->userinfo_alg);
	memset(a, 0, sizeof(*a));
}

void lk_apps_free(struct lk_app *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++)
		lk_app_release(&a[i]);
	free(a);
}

/*
 * The password hash is not the password, but it is what an attacker would
 * crack offline, so it is wiped like a secret.
 */
void lk_user_release(struct lk_user *u)
{
	if (!u)
		return;
	free(u->domain);
	free(u->username);
	free(u->display_name);
	free(u->given_name);
	free(u->family_name);
	free(u->email);
	free(u->phone);
	free(u->external_id);
	lk_free_secret(u->password_hash);
	memset(u, 0, sizeof(*u));
}

void lk_users_free(struct lk_user *u, size_t n)
{
	if (!u)
		return;
	for (size_t i = 0; i < n; i++)
		lk_user_release(&u[i]);
	free(u);
}

void lk_scope_release(struct lk_scope *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->description);
	memset(s, 0, sizeof(*s));
}

void lk_scopes_free(struct lk_scope *s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++)
		lk_scope_release(&s[i]);
	free(s);
}

void lk_group_release(struct lk_group *g)
{
	if (!g)
		return;
	free(g->display_name);
	free(g->external_id);
	free(g->members);
	memset(g, 0, sizeof(*g));
}

void lk_groups_free(struct lk_group *g, size_t n)
{
	if (!g)
		return;
	for (size_t i = 0; i < n; i++)
		lk_group_release(&g[i]);
	free(g);
}

void lk_audit_release(struct lk_audit *e)
{
	if (!e)
		return;
	free(e->actor);
	free(e->action);
	free(e->object_type);
	free(e->object_id);
	free(e->detail);
	memset(e, 0, sizeof(*e));
}

void lk_audits_free(struct lk_audit *e, size_t n)
{
	if (!e)
		return;
	for (size_t i = 0; i < n; i++)
		lk_audit_release(&e[i]);
	free(e);
}
