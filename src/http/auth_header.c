/*
 * The Authorization request header: the Basic scheme (RFC 7617) that clients
 * use to authenticate at the token endpoint, and the Bearer scheme (RFC 6750)
 * that carries access tokens.
 */
#include "http/http.h"

#include <string.h>

#include <openssl/evp.h>

#include "http/internal.h"

#define BASIC "Basic"
#define BEARER "Bearer"

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/*
 * Checks that s[0..len) is base64 (RFC 4648 §4): the alphabet, then at most
 * two '=' at the very end. White space or anything else is refused here,
 * because EVP_DecodeBlock would skip some of it silently. Unpadded input is
 * accepted too; *pad counts the '=' that were sent or are implied.
 */
static enum lk_err check_b64(const char *s, size_t len, size_t *pad)
{
	size_t i = 0, eqs, rem;

	while (i < len && is_b64(s[i]))
		i++;
	if (i == 0)
		return LK_EPARSE;
	eqs = len - i;
	for (; i < len; i++)
		if (s[i] != '=')
			return LK_EPARSE;
	if (eqs > 2)
		return LK_EPARSE;
	rem = len % 4;
	if (eqs > 0 && rem != 0)
		return LK_EPARSE;
	if (rem == 1)
		return LK_EPARSE;
	*pad = eqs ? eqs : (rem ? 4 - rem : 0);
	return LK_OK;
}

/* Decodes checked base64 into an arena string; *n is its length. */
static enum lk_err b64_decode(struct lk_arena *a, const char *s, size_t len, size_t pad, char **out,
			      size_t *n)
{
	size_t missing = len % 4 ? 4 - len % 4 : 0, full = len + missing;
	unsigned char *in, *dec;
	int got;

	/* EVP_DecodeBlock wants whole 4-character groups: restore the padding. */
	in = lk_arena_alloc(a, full + 1);
	dec = lk_arena_alloc(a, full / 4 * 3 + 1);
	if (!in || !dec)
		return LK_ENOMEM;
	memcpy(in, s, len);
	memset(in + len, '=', missing);
	got = EVP_DecodeBlock(dec, in, (int)full);
	/* Its length is a multiple of 3: the padding counts as zero bytes. */
	if (got < 0 || (size_t)got < pad)
		return LK_EPARSE;
	got -= (int)pad;
	dec[got] = '\0';
	*out = (char *)dec;
	*n = (size_t)got;
	return LK_OK;
}

/*
 * RFC 6749 §2.3.1: the client id and secret are form-urlencoded before they
 * are put in the header. A part that does not decode is used as sent, since
 * many clients skip the encoding.
 */
static const char *form_decode_or_raw(struct lk_arena *a, const char *s, size_t len)
{
	char *d;
	size_t dlen;

	if (lk_http_urldecode(a, s, len, true, &d, &dlen) == LK_OK)
		return d;
	return lk_arena_strndup(a, s, len);
}

/*
 * When header starts with scheme (any case) followed by a space, *rest points
 * after the spaces. LK_ENOTFOUND for another scheme.
 */
static enum lk_err scheme_is(const char *header, const char *scheme, const char **rest)
{
	size_t n = strlen(scheme);

	if (!header || !lk_http_ieqn(header, scheme, n))
		return LK_ENOTFOUND;
	if (header[n] != ' ' && header[n] != '\0')
		return LK_ENOTFOUND;
	*rest = header + n;
	return LK_OK;
}

enum lk_err lk_basic_auth_parse(struct lk_arena *a, const char *header, const char **user,
				const char **password)
{
	const char *rest, *colon, *u, *p;
	char *dec;
	size_t len, pad, dlen;
	enum lk_err err;

	err = scheme_is(header, BASIC, &rest);
	if (err)
		goto out;
	err = LK_EPARSE;
	if (strnlen(header, LK_HTTP_MAX_AUTH_HEADER + 1) > LK_HTTP_MAX_AUTH_HEADER)
		goto out;
	while (*rest == ' ')
		rest++;
	len = strlen(rest);
	err = check_b64(rest, len, &pad);
	if (err)
		goto out;
	err = b64_decode(a, rest, len, pad, &dec, &dlen);
	if (err)
		goto out;
	/* RFC 7617 §2: the user-id cannot hold a ':', the password may. */
	colon = memchr(dec, ':', dlen);
	if (!colon || memchr(dec, '\0', dlen)) {
		err = LK_EPARSE;
		goto out;
	}
	u = form_decode_or_raw(a, dec, (size_t)(colon - dec));
	p = form_decode_or_raw(a, colon + 1, dlen - (size_t)(colon - dec) - 1);
	if (!u || !p) {
		err = LK_ENOMEM;
		goto out;
	}
	*user = u;
	*password = p;
out:
	return err;
}

static bool is_b64token(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

enum lk_err lk_bearer_parse(const char *header, const char **token)
{
	const char *rest, *p;
	enum lk_err err;

	err = scheme_is(header, BEARER, &rest);
	if (err)
		goto out;
	err = LK_EPARSE;
	if (strnlen(header, LK_HTTP_MAX_AUTH_HEADER + 1) > LK_HTTP_MAX_AUTH_HEADER)
		goto out;
	/* RFC 6750 §2.1: "Bearer" 1*SP b64token; we allow exactly one space. */
	if (*rest != ' ')
		goto out;
	rest++;
	for (p = rest; is_b64token(*p); p++)
		;
	if (p == rest)
		goto out;
	while (*p == '=')
		p++;
	if (*p != '\0')
		goto out;
	*token = rest;
	err = LK_OK;
out:
	return err;
}
