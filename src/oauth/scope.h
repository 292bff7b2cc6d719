/* Scope lists (RFC 6749 §3.3): space-separated, case-sensitive names. */
#ifndef LK_OAUTH_SCOPE_H
#define LK_OAUTH_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* The longest scope parameter accepted. */
#define LK_SCOPE_MAX 4096

/* Whether a space-separated list holds every scope of `needed` ("" = yes). */
bool lk_scope_covers(const char *granted, const char *needed);

/*
 * The scopes to grant: requested ∩ allowed, in the order of `allowed`, or all
 * of `allowed` when requested is NULL or empty. *out (free it) is "" when
 * nothing is left. LK_EPARSE for a requested value with characters RFC 6749
 * §3.3 forbids or longer than LK_SCOPE_MAX.
 */
enum lk_err lk_scope_grant(const char *requested, const char *allowed, char **out);

#endif
