/* What every registry operation shares: messages, transactions, audit. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "oauth/registry_int.h"

enum lk_err lk_reg_invalid(struct lk_registry *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return LK_EINVAL;
}

enum lk_err lk_reg_fail(struct lk_registry *r, enum lk_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return err;
}

void lk_reg_warn(struct lk_registry *r, const char *fmt, ...)
{
	size_t len = strlen(r->warn);
	va_list ap;

	if (len && len < sizeof(r->warn) - 2) {
		r->warn[len++] = '\n';
		r->warn[len] = '\0';
	}
	va_start(ap, fmt);
	vsnprintf(r->warn + len, sizeof(r->warn) - len, fmt, ap);
	va_end(ap);
}

const char *lk_reg_field(const struct lk_registry *r, const char *flag, const char *member)
{
	return r->api_names ? member : flag;
}

enum lk_err lk_reg_store_error(struct lk_registry *r, enum lk_err err, const char *what)
{
	if (!r->err[0])
		snprintf(r->err, sizeof(r->err), "cannot %s: %s", what, lk_err_str(err));
	return err;
}

enum lk_err lk_reg_begin(struct lk_registry *r)
{
	enum lk_err err;

	r->err[0] = '\0';
	r->warn[0] = '\0';
	err = lk_store_begin(r->store);
	if (err)
		return lk_reg_store_error(r, err, "start a transaction");
	return LK_OK;
}

enum lk_err lk_reg_end(struct lk_registry *r, enum lk_err err, const char *action,
		       const char *object_type, const char *object_id, const char *detail)
{
	struct lk_audit e = {
		.at = r->now,
		.actor = (char *)(r->actor ? r->actor : "unknown"),
		.action = (char *)action,
		.object_type = (char *)object_type,
		.object_id = (char *)(object_id ? object_id : ""),
		.detail = (char *)(detail ? detail : ""),
	};

	if (!err)
		err = lk_store_audit_add(r->store, &e);
	if (!err)
		err = lk_store_change_bump(r->store);
	if (!err)
		err = lk_store_commit(r->store);
	if (err) {
		lk_store_rollback(r->store);
		return lk_reg_store_error(r, err, "save the change");
	}
	lk_info("%s %s %s by %s", action, object_type, object_id ? object_id : "", e.actor);
	return LK_OK;
}

bool lk_reg_has_control(const char *s, bool ok_ws)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (ok_ws && (c == '\n' || c == '\t'))
			continue;
		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

enum lk_err lk_reg_set_str(char **s, const char *v)
{
	char *copy = strdup(v ? v : "");

	if (!copy)
		return LK_ENOMEM;
	free(*s);
	*s = copy;
	return LK_OK;
}
