/* Internals shared by the registry's files (oauth/registry_*.c). */
#ifndef LK_OAUTH_REGISTRY_INT_H
#define LK_OAUTH_REGISTRY_INT_H

#include "oauth/registry.h"

/* Sets r->err (printf-style) and returns LK_EINVAL. */
enum lk_err lk_reg_invalid(struct lk_registry *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets r->err for another error code and returns it. */
enum lk_err lk_reg_fail(struct lk_registry *r, enum lk_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Appends a warning to r->warn. */
void lk_reg_warn(struct lk_registry *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The name of a field in messages: the CLI flag or the API member. */
const char *lk_reg_field(const struct lk_registry *r, const char *flag, const char *member);

/* Begins the transaction of a change. */
enum lk_err lk_reg_begin(struct lk_registry *r);

/*
 * Ends a change begun with lk_reg_begin: when err is LK_OK, writes the audit
 * entry, bumps the change counter and commits; otherwise rolls back. Returns
 * the final result. A store error leaves a generic message in r->err.
 */
enum lk_err lk_reg_end(struct lk_registry *r, enum lk_err err, const char *action,
		       const char *object_type, const char *object_id, const char *detail);

/* A message for a store error that has none yet. */
enum lk_err lk_reg_store_error(struct lk_registry *r, enum lk_err err, const char *what);

/* True for a string with a control character (tab and newline allowed if ok_ws). */
bool lk_reg_has_control(const char *s, bool ok_ws);

/*
 * Validates the options in `in` and applies them to app, which holds either
 * the defaults (adding) or the stored application (updating). Looks up the
 * bound user and the scope catalog through r->store.
 */
enum lk_err lk_app_apply_input(struct lk_registry *r, const struct lk_app_input *in,
			       struct lk_app *app, bool adding);

/* Sets *s to a malloc'd copy of v, freeing the old value. */
enum lk_err lk_reg_set_str(char **s, const char *v);

#endif
