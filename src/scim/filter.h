/*
 * The SCIM 2.0 filter language (RFC 7644 §3.4.2.2): a parser from the text of
 * a `filter` query parameter to an opaque tree, and an evaluator of that tree
 * against a SCIM resource held as a jansson object. This is a leaf module: no
 * I/O, no store, no HTTP. The caller decodes the query string first and turns
 * a parse error into a SCIM error with scimType "invalidFilter" (RFC 7644
 * §3.12), using the message written into err.
 *
 * Grammar accepted (keywords, operators and the literals true/false/null are
 * case-insensitive; whitespace between tokens is optional where unambiguous):
 *
 *     FILTER    = FILTER "or" FILTER / FILTER "and" FILTER     ("and" binds tighter)
 *               / "not" "(" FILTER ")" / "(" FILTER ")"
 *               / attrPath "pr" / attrPath compareOp compValue
 *               / attrPath "[" FILTER "]" [ "." ATTRNAME ( "pr" / compareOp compValue ) ]
 *     compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "lt" / "ge" / "le"
 *     compValue = false / null / true / number / string        (JSON, RFC 8259)
 *     attrPath  = [URI ":"] ATTRNAME [ "." ATTRNAME ]
 *     ATTRNAME  = [ "$" ] ALPHA *( ALPHA / DIGIT / "-" / "_" )
 *
 * The trailing ".ATTRNAME op value" after a value path is not in the RFC but
 * Microsoft Entra ID sends it (`emails[type eq "work"].value eq "x"`): it
 * matches when one element satisfies both the bracketed filter and the
 * comparison on its sub-attribute.
 */
#ifndef LK_SCIM_FILTER_H
#define LK_SCIM_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/err.h"

/* The longest filter text accepted, in bytes. */
#define LK_SCIM_FILTER_MAX 4096
/* The deepest nesting of "(", "not (" and "[" in one filter. */
#define LK_SCIM_FILTER_DEPTH_MAX 32
/* The most tree nodes (comparisons, "and", "or", "not", value paths). */
#define LK_SCIM_FILTER_NODES_MAX 256
/* Buffer sizes, terminating NUL included, of the parts of an attribute path. */
#define LK_SCIM_URI_MAX 256
#define LK_SCIM_NAME_MAX 128
/* A good size for the err buffer of the parse functions. */
#define LK_SCIM_ERR_MAX 256

/*
 * An attribute path split into its parts: `urn:...:2.0:User:name.givenName`
 * gives uri "urn:...:2.0:User", name "name", sub "givenName". The schema URI
 * is everything before the last ':'. Empty strings stand for absent parts.
 */
struct lk_scim_attr {
	char uri[LK_SCIM_URI_MAX];
	char name[LK_SCIM_NAME_MAX];
	char sub[LK_SCIM_NAME_MAX];
};

struct lk_scim_filter;

/*
 * Parses len bytes of filter text (NUL not needed, and not allowed inside) into
 * a new tree stored in *out, which the caller frees with lk_scim_filter_free.
 * On failure *out is untouched and a one-line message naming the problem and
 * its byte offset is written into err (errlen bytes, truncated, always
 * terminated; err may be NULL when errlen is 0). Errors: LK_EINVAL for a NULL
 * text or out; LK_ETOOBIG when len passes LK_SCIM_FILTER_MAX; LK_ETOOMANY
 * past LK_SCIM_FILTER_DEPTH_MAX nesting or LK_SCIM_FILTER_NODES_MAX nodes;
 * LK_EPARSE for every syntax error, including an empty filter and operators
 * that cannot apply to a literal (`active gt true`, `x co 3`); LK_ENOMEM.
 * All but LK_ENOMEM and LK_EINVAL are the client's fault (invalidFilter).
 */
enum lk_err lk_scim_filter_parse(const char *text, size_t len, struct lk_scim_filter **out,
				 char *err, size_t errlen);

/* Frees a tree made by lk_scim_filter_parse. NULL is a no-op. */
void lk_scim_filter_free(struct lk_scim_filter *f);

/*
 * Whether the resource (a json_t object, borrowed) satisfies the filter, per
 * RFC 7644 §3.4.2.2. Attribute names are looked up case-insensitively (RFC
 * 7643 §2.1). A path through a multi-valued attribute matches when any value
 * does; a complex value compared directly is compared by its "value"
 * sub-attribute. Strings compare case-insensitively (ASCII folding) except for
 * the attributes "id" and "externalId", which are caseExact (RFC 7643 §3.1);
 * gt/ge/lt/le order strings byte-wise and numbers numerically; booleans
 * support eq and ne. "ne" is the negation of "eq", so an absent attribute or
 * one of another type is "not equal"; every other operator is false on such
 * values. `eq null` matches an absent or null attribute. "pr" matches a value
 * that is not null, "", [] or {}. Attributes in a schema extension are found
 * under the member named by their URI; a core schema URI refers to the
 * top-level members. Inside brackets, paths are relative to each element, so
 * a value filter of a PATCH path can be matched against one element directly.
 * A NULL filter, or a resource that is not an object, never matches.
 */
bool lk_scim_filter_match(const struct lk_scim_filter *f, const void *resource /* json_t */);

/*
 * Parses an attribute path (`userName`, `name.givenName`, `urn:...:User:manager`)
 * of len bytes into *out; nothing else may surround it. Errors: LK_EINVAL,
 * LK_EPARSE with a message in err as for lk_scim_filter_parse (a part too long
 * for its buffer is a parse error). *out is written only on success.
 */
enum lk_err lk_scim_attr_parse(const char *text, size_t len, struct lk_scim_attr *out, char *err,
			       size_t errlen);

/*
 * The member of a JSON object named name, compared case-insensitively (RFC
 * 7643 §2.1) after an exact match is tried first, so that lookups are stable
 * when a resource holds both spellings. Borrowed; NULL when absent or when
 * object is not an object.
 */
json_t *lk_scim_member(const json_t *object, const char *name);

/*
 * The object whose members are the attributes of schema uri in resource: the
 * resource itself for "" or a core schema URI (urn:ietf:params:scim:schemas:
 * core:2.0:...), the extension's object when the resource has a member named
 * uri holding one, NULL otherwise. Borrowed.
 */
json_t *lk_scim_scope(const json_t *resource, const char *uri);

#endif
