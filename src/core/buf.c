#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secure.h"

void lk_buf_init(struct lk_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/* Makes room for extra more bytes plus the terminating NUL. */
static enum lk_err ensure(struct lk_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return LK_ETOOBIG;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return LK_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->data, cap);
	if (!p)
		return LK_ENOMEM;
	b->data = p;
	b->cap = cap;
	return LK_OK;
}

enum lk_err lk_buf_add(struct lk_buf *b, const void *p, size_t n)
{
	enum lk_err err = ensure(b, n);

	if (err)
		return err;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return LK_OK;
}

enum lk_err lk_buf_addstr(struct lk_buf *b, const char *s)
{
	return lk_buf_add(b, s, strlen(s));
}

enum lk_err lk_buf_addc(struct lk_buf *b, char c)
{
	return lk_buf_add(b, &c, 1);
}

enum lk_err lk_buf_vaddf(struct lk_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	enum lk_err err;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return LK_EINVAL;
	err = ensure(b, (size_t)n);
	if (err)
		return err;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return LK_OK;
}

enum lk_err lk_buf_addf(struct lk_buf *b, const char *fmt, ...)
{
	va_list ap;
	enum lk_err err;

	va_start(ap, fmt);
	err = lk_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return err;
}

const char *lk_buf_str(const struct lk_buf *b)
{
	return b->data ? b->data : "";
}

void lk_buf_reset(struct lk_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *lk_buf_detach(struct lk_buf *b, size_t *len)
{
	char *p = b->data;

	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

void lk_buf_release(struct lk_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void lk_buf_wipe(struct lk_buf *b)
{
	if (b->data)
		lk_wipe(b->data, b->cap);
	lk_buf_release(b);
}

enum lk_err lk_buf_addurl(struct lk_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t start = b->len;
	enum lk_err err = LK_OK;

	for (; *s && !err; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			err = lk_buf_addc(b, (char)c);
		} else {
			char esc[3] = {'%', hex[c >> 4], hex[c & 15]};

			err = lk_buf_add(b, esc, 3);
		}
	}
	if (err && b->data) {
		b->len = start;
		b->data[start] = '\0';
	}
	return err;
}
