/*
 * A per-request arena: many small allocations, one release. Every arena has a
 * ceiling on the bytes it hands out, so one request cannot eat the process.
 * Released memory is zeroed, because request data often holds secrets.
 */
#ifndef LK_CORE_ARENA_H
#define LK_CORE_ARENA_H

#include <stddef.h>

struct lk_arena;

/* A new arena that hands out at most max bytes in all; NULL without memory. */
struct lk_arena *lk_arena_new(size_t max);

/*
 * n bytes aligned for any type, zero-filled, valid until the arena is reset
 * or freed. NULL when the ceiling would be passed or memory is short.
 */
void *lk_arena_alloc(struct lk_arena *a, size_t n);

/* Copies of strings, NUL-terminated, in the arena; NULL on failure. */
char *lk_arena_strdup(struct lk_arena *a, const char *s);
char *lk_arena_strndup(struct lk_arena *a, const char *s, size_t n);
char *lk_arena_printf(struct lk_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Bytes handed out so far. */
size_t lk_arena_used(const struct lk_arena *a);

/* Zeroes and drops everything allocated; the arena can be used again. */
void lk_arena_reset(struct lk_arena *a);

/* Zeroes and frees the arena and everything in it. NULL is a no-op. */
void lk_arena_free(struct lk_arena *a);

#endif
