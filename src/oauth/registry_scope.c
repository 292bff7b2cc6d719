/* The scope catalog and the audit log. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "oauth/registry_int.h"

#define SCOPE_NAME_MAX 64
#define SCOPE_DESC_MAX 500

/* RFC 6749 §3.3 allows more, but names show up in URLs, logs and headers. */
static bool valid_scope_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SCOPE_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.:/-", *s))
			return false;
	return true;
}

enum lk_err lk_registry_scope_add(struct lk_registry *r, const char *name, const char *description,
				  bool certificate)
{
	struct lk_scope sc = {
		.name = (char *)name,
		.description = (char *)(description ? description : ""),
		.certificate = certificate,
		.created_at = r->now,
	};
	enum lk_err err;

	if (!valid_scope_name(name))
		return lk_reg_invalid(r,
				      "%s: '%s' is not a scope name (1-%d of letters, digits "
				      "and _ . : / -)",
				      lk_reg_field(r, "NAME", "name"), name, SCOPE_NAME_MAX);
	if (strlen(sc.description) > SCOPE_DESC_MAX || lk_reg_has_control(sc.description, false))
		return lk_reg_invalid(r, "%s: at most %d characters, no control characters",
				      lk_reg_field(r, "--description", "description"),
				      SCOPE_DESC_MAX);
	err = lk_reg_begin(r);
	if (err)
		return err;
	err = lk_store_scope_insert(r->store, &sc);
	if (err == LK_EEXIST)
		err = lk_reg_fail(r, err, "scope '%s' already exists", name);
	return lk_reg_end(r, err, "scope.add", "scope", name, certificate ? "certificate" : "");
}

/* Whether a space-separated list holds word. */
static bool list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* The default catalog is part of the product: OIDC and the admin API need it. */
static enum lk_err refuse_builtin(struct lk_registry *r, const char *name)
{
	struct lk_scope *cat = NULL;
	size_t n = 0;
	bool builtin = false;
	enum lk_err err = lk_store_scope_list(r->store, &cat, &n);

	if (err)
		return lk_reg_store_error(r, err, "read the scope catalog");
	for (size_t i = 0; i < n; i++)
		if (strcmp(cat[i].name, name) == 0)
			builtin = cat[i].builtin;
	lk_scopes_free(cat, n);
	if (builtin)
		return lk_reg_fail(r, LK_ESTATE, "scope '%s' is built in and cannot be removed",
				   name);
	return LK_OK;
}

enum lk_err lk_registry_scope_remove(struct lk_registry *r, const char *name)
{
	struct lk_app *apps = NULL;
	size_t n = 0, used = 0;
	char names[300] = "";
	int count = 0;
	enum lk_err err;

	err = lk_reg_begin(r);
	if (err)
		return err;
	err = refuse_builtin(r, name);
	if (!err)
		err = lk_store_app_list(r->store, &apps, &n);
	for (size_t i = 0; !err && i < n; i++) {
		if (!list_has(apps[i].scopes, name))
			continue;
		if (used < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s'%s'",
						 count ? ", " : "", apps[i].name);
		count++;
	}
	lk_apps_free(apps, n);
	if (!err && count)
		err = lk_reg_fail(r, LK_ESTATE, "scope '%s' is used by application(s) %s", name,
				  names);
	if (!err) {
		err = lk_store_scope_delete(r->store, name);
		if (err == LK_ENOTFOUND)
			err = lk_reg_fail(r, err, "no scope '%s'", name);
	}
	return lk_reg_end(r, err, "scope.remove", "scope", name, "");
}

enum lk_err lk_registry_scope_list(struct lk_registry *r, struct lk_scope **out, size_t *n)
{
	enum lk_err err;

	r->err[0] = '\0';
	err = lk_store_scope_list(r->store, out, n);
	return err ? lk_reg_store_error(r, err, "list the scopes") : LK_OK;
}

enum lk_err lk_registry_audit_list(struct lk_registry *r, int limit, struct lk_audit **out,
				   size_t *n)
{
	enum lk_err err;

	r->err[0] = '\0';
	if (limit < 1 || limit > 10000)
		return lk_reg_invalid(r, "%s: must be 1 to 10000",
				      lk_reg_field(r, "--limit", "limit"));
	err = lk_store_audit_list(r->store, limit, out, n);
	return err ? lk_reg_store_error(r, err, "read the audit log") : LK_OK;
}
