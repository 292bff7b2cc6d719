#include "oauth/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#define REALM "latchkey"

static const struct {
	const char *name;
	int status;
} codes[] = {
	{"", 200},
#define X(name, code, status) {code, status},
#include "oauth/errors.def"
#undef X
};

const char *lk_oauth_code_name(enum lk_oauth_code code)
{
	return (unsigned)code < LK_OAUTH__COUNT ? codes[code].name : "server_error";
}

int lk_oauth_code_status(enum lk_oauth_code code)
{
	return (unsigned)code < LK_OAUTH__COUNT ? codes[code].status : 500;
}

enum lk_oauth_code lk_oauth_fail(struct lk_oauth_error *e, enum lk_oauth_code code,
				 const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->description, sizeof(e->description), fmt, ap);
	va_end(ap);
	return code;
}

static void json_body(struct lk_response *res, const struct lk_oauth_error *e, int status)
{
	json_t *o = json_object();

	json_object_set_new(o, "error", json_string(lk_oauth_code_name(e->code)));
	if (e->description[0])
		json_object_set_new(o, "error_description", json_string(e->description));
	lk_res_json_value(res, status, o);
	lk_res_no_store(res);
}

void lk_oauth_render_json(struct lk_response *res, const struct lk_oauth_error *e)
{
	json_body(res, e, lk_oauth_code_status(e->code));
	if (e->code == LK_OAUTH_INVALID_CLIENT && e->basic)
		lk_res_header(res, "WWW-Authenticate", "Basic realm=\"" REALM "\"");
	if (e->retry_after > 0) {
		char v[24];

		snprintf(v, sizeof(v), "%lld", (long long)e->retry_after);
		lk_res_header(res, "Retry-After", v);
	}
}

/*
 * RFC 6750 §3: auth-param values are quoted strings; the description is ours
 * and never holds '"' or '\', but strip them anyway so the header stays valid.
 */
static void quoted(char *dst, size_t n, const char *src)
{
	size_t j = 0;

	for (size_t i = 0; src[i] && j + 1 < n; i++)
		if (src[i] != '"' && src[i] != '\\' && (unsigned char)src[i] >= 0x20)
			dst[j++] = src[i];
	dst[j] = '\0';
}

void lk_oauth_render_bearer(struct lk_response *res, const struct lk_oauth_error *e,
			    const char *scope)
{
	char desc[LK_OAUTH_DESCRIPTION_MAX], sc[512], hdr[1024];
	int status = e->code == LK_OAUTH_NONE ? 401 : lk_oauth_code_status(e->code);

	if (e->code == LK_OAUTH_NONE) {
		lk_res_json(res, 401, "{\"error\":\"invalid_request\","
				      "\"error_description\":\"a bearer token is required\"}");
		lk_res_no_store(res);
		lk_res_header(res, "WWW-Authenticate", "Bearer realm=\"" REALM "\"");
		return;
	}
	json_body(res, e, status);
	quoted(desc, sizeof(desc), e->description);
	quoted(sc, sizeof(sc), scope ? scope : "");
	snprintf(hdr, sizeof(hdr), "Bearer realm=\"" REALM "\", error=\"%s\"%s%s%s%s%s%s",
		 lk_oauth_code_name(e->code), desc[0] ? ", error_description=\"" : "", desc,
		 desc[0] ? "\"" : "", scope ? ", scope=\"" : "", sc, scope ? "\"" : "");
	lk_res_header(res, "WWW-Authenticate", hdr);
}
