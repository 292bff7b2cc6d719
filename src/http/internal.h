/*
 * Helpers shared by the files of the HTTP layer and not meant for endpoints:
 * percent-decoding and the limits of the header parsers.
 */
#ifndef LK_HTTP_INTERNAL_H
#define LK_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

/* Authorization and Cookie headers longer than this are refused outright. */
#define LK_HTTP_MAX_AUTH_HEADER (8 * 1024)
#define LK_HTTP_MAX_COOKIE_HEADER (8 * 1024)

/*
 * Decodes len bytes of s: %XX escapes always, '+' as a space when plus is set
 * (form encoding, not paths). The result is an arena string; *outlen is its
 * length. LK_EPARSE for a stray or incomplete '%', a bad hex digit, a raw NUL
 * or a decoded NUL; LK_ENOMEM when the arena is exhausted. *out and *outlen
 * are written only on success.
 */
enum lk_err lk_http_urldecode(struct lk_arena *a, const char *s, size_t len, bool plus, char **out,
			      size_t *outlen);

/* ASCII case-insensitive equality of two NUL-terminated strings. */
bool lk_http_ieq(const char *a, const char *b);

/* ASCII case-insensitive comparison of the first n bytes (prefix test). */
bool lk_http_ieqn(const char *a, const char *b, size_t n);

#endif
