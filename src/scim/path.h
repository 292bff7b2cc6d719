/*
 * The "path" of a SCIM PATCH operation (RFC 7644 §3.5.2):
 *
 *     PATH = attrPath / valuePath [subAttr]
 *
 * that is `active`, `name.givenName`, `emails[type eq "work"]`,
 * `emails[type eq "work"].value`, `members[value eq "2819c223"]`, each with an
 * optional schema URI in front (`urn:ietf:params:scim:schemas:extension:
 * enterprise:2.0:User:manager`). A leaf module like filter.h: the PATCH code
 * applies the parsed path to a jansson resource, and turns a parse error into
 * a SCIM error with scimType "invalidPath" (RFC 7644 §3.12).
 */
#ifndef LK_SCIM_PATH_H
#define LK_SCIM_PATH_H

#include <stddef.h>

#include "core/err.h"
#include "scim/filter.h"

/* The longest path text accepted, in bytes. */
#define LK_SCIM_PATH_MAX LK_SCIM_FILTER_MAX

/*
 * A parsed path. Empty strings stand for absent parts. value_filter is set for
 * a valuePath and selects elements of the multi-valued attribute attr: its
 * attribute paths are relative to one element, so the PATCH code tests each
 * element object with lk_scim_filter_match(value_filter, element). sub is then
 * the sub-attribute of the selected elements to change, if any. Find the
 * object holding attr with lk_scim_scope(resource, uri).
 */
struct lk_scim_path {
	char uri[LK_SCIM_URI_MAX];
	char attr[LK_SCIM_NAME_MAX];
	char sub[LK_SCIM_NAME_MAX];
	struct lk_scim_filter *value_filter; /* owned; NULL without brackets */
};

/*
 * Parses len bytes of path text into *out, which the caller releases with
 * lk_scim_path_release. On failure *out is untouched and a one-line message is
 * written into err as for lk_scim_filter_parse (messages about the bracketed
 * filter say so, with offsets inside the brackets). Errors: LK_EINVAL for a
 * NULL text or out; LK_ETOOBIG past LK_SCIM_PATH_MAX; LK_EPARSE for an empty
 * or malformed path, a missing ']', anything but "." and a sub-attribute name
 * after it, or a value filter on a sub-attribute (`name.givenName[...]`); the
 * bracketed filter's own errors (LK_EPARSE, LK_ETOOMANY, LK_ENOMEM).
 */
enum lk_err lk_scim_path_parse(const char *text, size_t len, struct lk_scim_path *out, char *err,
			       size_t errlen);

/* Frees what a parsed path owns and clears it. NULL is a no-op. */
void lk_scim_path_release(struct lk_scim_path *path);

#endif
