/*
 * Capped growable buffers. Every buffer has a hard maximum set at init; an
 * append that would pass it fails with LK_ETOOBIG and leaves the buffer as it
 * was. The contents are always NUL-terminated so they can be used as a string.
 */
#ifndef LK_CORE_BUF_H
#define LK_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/err.h"

struct lk_buf {
	char *data;  /* NULL until the first append */
	size_t len;  /* bytes used, not counting the terminating NUL */
	size_t cap;  /* bytes allocated */
	size_t max;  /* the most len may ever reach */
};

/* Prepares an empty buffer that may grow to max bytes. Allocates nothing. */
void lk_buf_init(struct lk_buf *b, size_t max);

/* Appends n bytes. LK_ETOOBIG past the maximum, LK_ENOMEM; unchanged then. */
enum lk_err lk_buf_add(struct lk_buf *b, const void *p, size_t n);
enum lk_err lk_buf_addstr(struct lk_buf *b, const char *s);
enum lk_err lk_buf_addc(struct lk_buf *b, char c);

/* Appends printf-style formatted text; unchanged on error. */
enum lk_err lk_buf_addf(struct lk_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum lk_err lk_buf_vaddf(struct lk_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * Appends s form-urlencoded (application/x-www-form-urlencoded, as in a
 * query string): unreserved characters as they are, everything else %XX.
 * Unchanged on error.
 */
enum lk_err lk_buf_addurl(struct lk_buf *b, const char *s);

/* The contents as a string: "" for an empty buffer. Owned by the buffer. */
const char *lk_buf_str(const struct lk_buf *b);

/* Empties the buffer but keeps its memory. */
void lk_buf_reset(struct lk_buf *b);

/*
 * Hands the contents to the caller (free() them; NULL if nothing was ever
 * appended) and leaves the buffer empty.
 */
char *lk_buf_detach(struct lk_buf *b, size_t *len);

/* Frees the contents; the buffer can be used again. */
void lk_buf_release(struct lk_buf *b);

/* Zeroes, then frees the contents: for buffers that held a secret. */
void lk_buf_wipe(struct lk_buf *b);

#endif
