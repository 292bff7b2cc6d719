#include "core/arena.h"

#include <stdarg.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secure.h"

/* Blocks are chained; a request rarely needs more than the first one. */
struct block {
	struct block *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	alignas(max_align_t) unsigned char mem[];
};

struct lk_arena {
	struct block *head;
	size_t handed; /* bytes handed out, counted against max */
	size_t max;
};

#define BLOCK_SIZE 8192
#define ALIGN (alignof(max_align_t))

struct lk_arena *lk_arena_new(size_t max)
{
	struct lk_arena *a = calloc(1, sizeof(*a));

	if (a)
		a->max = max;
	return a;
}

static struct block *block_new(size_t size)
{
	struct block *b;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *lk_arena_alloc(struct lk_arena *a, size_t n)
{
	struct block *b;
	size_t off;
	void *p;

	if (n == 0)
		n = 1;
	if (n > a->max || a->handed > a->max - n)
		return NULL;
	b = a->head;
	off = b ? (b->used + ALIGN - 1) & ~(ALIGN - 1) : 0;
	if (!b || off > b->size || b->size - off < n) {
		b = block_new(n > BLOCK_SIZE ? n : BLOCK_SIZE);
		if (!b)
			return NULL;
		b->next = a->head;
		a->head = b;
		off = 0;
	}
	p = b->mem + off;
	b->used = off + n;
	a->handed += n;
	memset(p, 0, n);
	return p;
}

char *lk_arena_strndup(struct lk_arena *a, const char *s, size_t n)
{
	char *p = lk_arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *lk_arena_strdup(struct lk_arena *a, const char *s)
{
	return lk_arena_strndup(a, s, strlen(s));
}

char *lk_arena_printf(struct lk_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = lk_arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t lk_arena_used(const struct lk_arena *a)
{
	return a->handed;
}

void lk_arena_reset(struct lk_arena *a)
{
	struct block *b, *next;

	if (!a)
		return;
	/* Keep the newest block for reuse; free the rest. */
	for (b = a->head; b; b = next) {
		next = b->next;
		lk_wipe(b->mem, b->used);
		if (b != a->head)
			free(b);
	}
	if (a->head) {
		a->head->next = NULL;
		a->head->used = 0;
	}
	a->handed = 0;
}

void lk_arena_free(struct lk_arena *a)
{
	struct block *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		lk_wipe(b->mem, b->used);
		free(b);
	}
	free(a);
}
