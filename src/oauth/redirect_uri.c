#include "oauth/redirect_uri.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool scheme_char(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.';
}

static bool host_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' || c == '~';
}

static bool parse_port(const char *p, const char *end, int *port)
{
	long v = 0;

	if (p == end || end - p > 5)
		return false;
	for (; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*port = (int)v;
	return true;
}

bool lk_uri_parse(const char *s, struct lk_uri *out)
{
	struct lk_uri u = {.port = -1};
	const char *p = s, *auth, *aend, *h;

	for (const char *q = s; *q; q++) {
		unsigned char c = (unsigned char)*q;

		/* Browsers read '\' as '/', which turns checks into open redirects. */
		if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '"' || c == '<' || c == '>')
			return false;
	}
	if (!isalpha((unsigned char)*p))
		return false;
	while (scheme_char(*p))
		p++;
	if (strncmp(p, "://", 3) != 0)
		return false;
	u.scheme = s;
	u.scheme_len = (size_t)(p - s);
	auth = p + 3;
	aend = auth + strcspn(auth, "/?#");
	u.has_userinfo = memchr(auth, '@', (size_t)(aend - auth)) != NULL;
	if (u.has_userinfo)
		auth = (const char *)memchr(auth, '@', (size_t)(aend - auth)) + 1;
	h = auth;
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(aend - h));

		if (!close)
			return false;
		for (const char *q = h + 1; q < close; q++)
			if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
				return false;
		u.host = h + 1;
		u.host_len = (size_t)(close - h - 1);
		u.host_ipv6 = true;
		p = close + 1;
	} else {
		p = h;
		while (p < aend && host_char(*p))
			p++;
		u.host = h;
		u.host_len = (size_t)(p - h);
	}
	u.port_start = p;
	if (p < aend && *p == ':') {
		if (!parse_port(p + 1, aend, &u.port))
			return false;
	} else if (p != aend) {
		return false;
	}
	if (u.host_len == 0)
		return false;
	u.authority_end = aend;
	u.rest = aend;
	u.has_fragment = strchr(aend, '#') != NULL;
	*out = u;
	return true;
}

static bool scheme_is(const struct lk_uri *u, const char *scheme)
{
	return u->scheme_len == strlen(scheme) &&
	       strncasecmp(u->scheme, scheme, u->scheme_len) == 0;
}

static bool host_is(const struct lk_uri *u, const char *host)
{
	return u->host_len == strlen(host) && strncasecmp(u->host, host, u->host_len) == 0;
}

bool lk_uri_is_web_url(const char *s)
{
	struct lk_uri u;

	return lk_uri_parse(s, &u) && (scheme_is(&u, "https") || scheme_is(&u, "http")) &&
	       !u.has_userinfo;
}

/* RFC 8252 §7.3 loopback redirect URIs, and https://localhost (DESIGN §1). */
static bool is_loopback(const struct lk_uri *u)
{
	if (scheme_is(u, "http"))
		return host_is(u, "127.0.0.1") || (u->host_ipv6 && host_is(u, "::1"));
	return scheme_is(u, "https") && host_is(u, "localhost");
}

bool lk_redirect_uri_check(const char *uri, enum lk_strategy strategy, char *why, size_t whylen)
{
	struct lk_uri u;

	if (!lk_uri_parse(uri, &u)) {
		snprintf(why, whylen, "is not an absolute URI");
		return false;
	}
	if (u.has_fragment) {
		snprintf(why, whylen, "must not have a fragment (RFC 6749 §3.1.2)");
		return false;
	}
	if (u.has_userinfo) {
		snprintf(why, whylen, "must not hold user information");
		return false;
	}
	if (strategy == LK_STRATEGY_MOBILE_LOCALHOST) {
		if (!is_loopback(&u)) {
			snprintf(why, whylen,
				 "must be a loopback URI (http://127.0.0.1, http://[::1] or "
				 "https://localhost) for mobile-localhost");
			return false;
		}
		return true;
	}
	if (!scheme_is(&u, "https")) {
		snprintf(why, whylen, "must use https");
		return false;
	}
	return true;
}

/* Equal except for the port: scheme and host as registered, then the rest. */
static bool match_ignoring_port(const char *reg, size_t reglen, const char *req)
{
	struct lk_uri a, b;
	char *copy = strndup(reg, reglen);
	bool ok;

	if (!copy)
		return false;
	ok = lk_uri_parse(copy, &a) && lk_uri_parse(req, &b) && is_loopback(&a) &&
	     !b.has_userinfo && (size_t)(a.port_start - copy) == (size_t)(b.port_start - req) &&
	     strncmp(copy, req, (size_t)(a.port_start - copy)) == 0 && strcmp(a.rest, b.rest) == 0;
	free(copy);
	return ok;
}

bool lk_redirect_uri_match(const char *registered, const char *requested, enum lk_strategy strategy)
{
	size_t want = strlen(requested);

	for (const char *p = registered; *p;) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (!n)
			break;
		if (n == want && strncmp(p, requested, n) == 0)
			return true;
		if (strategy == LK_STRATEGY_MOBILE_LOCALHOST &&
		    match_ignoring_port(p, n, requested))
			return true;
		p += n;
	}
	return false;
}

enum lk_err lk_uri_form_source(const char *uri, char *out, size_t outlen)
{
	struct lk_uri u;
	int n;

	if (!outlen)
		return LK_ETOOBIG;
	out[0] = '\0';
	if (!uri || !*uri || !lk_uri_parse(uri, &u) || u.has_userinfo)
		return LK_OK;
	if (u.scheme_len == 5 && strncasecmp(u.scheme, "https", 5) == 0)
		n = snprintf(out, outlen, "https:");
	else if (u.host_ipv6)
		n = snprintf(out, outlen, "%.*s://[%.*s]:*", (int)u.scheme_len, u.scheme,
			     (int)u.host_len, u.host);
	else
		n = snprintf(out, outlen, "%.*s://%.*s:*", (int)u.scheme_len, u.scheme,
			     (int)u.host_len, u.host);
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return LK_ETOOBIG;
	}
	return LK_OK;
}
