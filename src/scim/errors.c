/*
 * SCIM errors (RFC 7644 §3.12): an HTTP status, a scimType for the 400 and
 * 409 answers a client can act on, and a detail for people. Registry and
 * store failures are translated here, in one place, so every operation
 * answers the same way for the same cause.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/log.h"
#include "scim/scim_int.h"

enum lk_err lk_scim_fail(struct lk_scim_error *e, int status, const char *type, const char *fmt,
			 ...)
{
	va_list ap;

	e->status = status;
	e->type = type;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	if (status == 401 || status == 403)
		return LK_EDENIED;
	if (status == 404)
		return LK_ENOTFOUND;
	if (status == 409)
		return LK_EEXIST;
	if (status >= 500)
		return LK_EINTERNAL;
	return LK_EINVAL;
}

json_t *lk_scim_error_json(const struct lk_scim_error *e)
{
	char status[16];
	json_t *o;

	snprintf(status, sizeof(status), "%d", e->status);
	o = json_pack("{s:[s], s:s, s:s}", "schemas", LK_SCIM_MSG_ERROR, "status", status, "detail",
		      e->detail);
	if (o && e->type && json_object_set_new(o, "scimType", json_string(e->type)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

enum lk_err lk_scim_registry_error(struct lk_scim_error *e, enum lk_err err,
				   const struct lk_registry *r)
{
	const char *msg = r->err[0] ? r->err : lk_err_str(err);

	switch (err) {
	case LK_EINVAL:
	case LK_ETOOBIG:
		lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "%s", msg);
		break;
	case LK_EEXIST:
		lk_scim_fail(e, 409, LK_SCIM_UNIQUENESS, "%s", msg);
		break;
	case LK_ENOTFOUND:
		lk_scim_fail(e, 404, NULL, "%s", msg);
		break;
	case LK_ESTATE:
		lk_scim_fail(e, 409, NULL, "%s", msg);
		break;
	default:
		lk_error("scim: registry change failed: %s (%s)", msg, lk_err_str(err));
		lk_scim_fail(e, 500, NULL, "the change could not be stored");
		break;
	}
	return err;
}

enum lk_err lk_scim_store_error(struct lk_scim_error *e, enum lk_err err, const char *what)
{
	lk_error("scim: cannot %s: %s", what, lk_err_str(err));
	lk_scim_fail(e, 500, NULL, "cannot %s", what);
	return err;
}
