/*
 * The claims request parameter (OpenID Connect Core §5.5): which claims
 * about the user an application asks for, in the ID token and at userinfo,
 * beyond those its scopes release. latchkey honours the claims it keeps for
 * a user (Core §5.1, the profile, email and phone claims of userinfo.c) and
 * a sub value asked of the ID token (§5.5.1); it ignores every other claim,
 * and the essential, value and values members of the claims it honours,
 * since it releases what the user has either way.
 *
 * A parsed request travels with the authorization as its normalised JSON
 * (lk_claims_to_json): a claims parameter itself, of the honoured claims
 * only, which lk_claims_parse reads back.
 */
#ifndef LK_OAUTH_CLAIMS_H
#define LK_OAUTH_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* The longest claims parameter accepted, in bytes. */
#define LK_CLAIMS_PARAM_MAX 4096

/* The longest sub value kept (a user's id has at most 19 digits). */
#define LK_CLAIMS_SUB_MAX 64

/*
 * The claims about a user that latchkey releases, each with its name and the
 * scope that releases it (Core §5.4). Their order is that of the output.
 */
#define LK_USER_CLAIMS(X)                                                                          \
	X(LK_CL_NAME, LK_CLAIM_NAME, LK_SCOPE_PROFILE)                                             \
	X(LK_CL_GIVEN_NAME, LK_CLAIM_GIVEN_NAME, LK_SCOPE_PROFILE)                                 \
	X(LK_CL_FAMILY_NAME, LK_CLAIM_FAMILY_NAME, LK_SCOPE_PROFILE)                               \
	X(LK_CL_PREFERRED_USERNAME, LK_CLAIM_PREFERRED_USERNAME, LK_SCOPE_PROFILE)                 \
	X(LK_CL_UPDATED_AT, LK_CLAIM_UPDATED_AT, LK_SCOPE_PROFILE)                                 \
	X(LK_CL_EMAIL, LK_CLAIM_EMAIL, LK_SCOPE_EMAIL)                                             \
	X(LK_CL_EMAIL_VERIFIED, LK_CLAIM_EMAIL_VERIFIED, LK_SCOPE_EMAIL)                           \
	X(LK_CL_PHONE_NUMBER, LK_CLAIM_PHONE_NUMBER, LK_SCOPE_PHONE)                               \
	X(LK_CL_PHONE_NUMBER_VERIFIED, LK_CLAIM_PHONE_NUMBER_VERIFIED, LK_SCOPE_PHONE)

/* The position of each claim; a set of claims has bit 1u << position. */
enum lk_claim_pos {
#define LK_CLAIM_POS(id, name, scope) id##_POS,
	LK_USER_CLAIMS(LK_CLAIM_POS)
#undef LK_CLAIM_POS
		LK_CL__COUNT
};

/* A set of user claims, one bit each (1u << LK_CL_..._POS). */
#define LK_CL_BIT(id) (1u << id##_POS)

/* What a claims request asks for. */
struct lk_claims_req {
	unsigned userinfo; /* user claims for userinfo, a set of LK_CL_BIT */
	unsigned id_token; /* user claims for the ID token */
	/* Core §5.5.1: the only user the ID token may name; "" when not asked. */
	char sub[LK_CLAIMS_SUB_MAX + 1];
};

/*
 * Parses a claims parameter (the empty string is an empty request): a JSON
 * object of at most LK_CLAIMS_PARAM_MAX bytes, whose members userinfo and
 * id_token, when present, are objects mapping claim names to null or to an
 * object whose essential member, when present, is a boolean and whose values
 * member, when present, is an array. Other top-level members and the
 * members of unknown claims are ignored (§5.5: an OP ignores what it does
 * not understand). The sub value, when asked of the ID token, must be a
 * string of at most LK_CLAIMS_SUB_MAX bytes. *out is written on success.
 * LK_ETOOBIG for a longer parameter, LK_EPARSE for anything else malformed
 * (repeated keys included), LK_ENOMEM.
 */
enum lk_err lk_claims_parse(const char *text, struct lk_claims_req *out);

/* The user claims the scopes of a space-separated list release (Core §5.4). */
unsigned lk_claims_of_scope(const char *scope);

/* Keeps of r only the claims that the scopes of `scope` could release. */
void lk_claims_limit(struct lk_claims_req *r, const char *scope);

/* Whether the request asks for nothing. */
bool lk_claims_empty(const struct lk_claims_req *r);

/*
 * The request as normalised JSON text (free it): the members that ask for
 * something, each honoured claim as null, and the sub value as
 * {"value": ...}; "" for an empty request. LK_ENOMEM.
 */
enum lk_err lk_claims_to_json(const struct lk_claims_req *r, char **out);

/* The name of the claim at position pos ("email"); NULL out of range. */
const char *lk_claim_name(unsigned pos);

#endif
