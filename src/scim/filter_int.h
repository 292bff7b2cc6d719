/*
 * The tree of a parsed SCIM filter, shared by the parser (filter.c) and the
 * evaluator (filter_eval.c). Not for use outside src/scim/.
 */
#ifndef LK_SCIM_FILTER_INT_H
#define LK_SCIM_FILTER_INT_H

#include <stdbool.h>

#include <jansson.h>

#include "scim/filter.h"

/* RFC 7644 §3.4.2.2, Table 3: the attribute operators. */
enum lk_scim_op {
	LK_SCIM_EQ,
	LK_SCIM_NE,
	LK_SCIM_CO,
	LK_SCIM_SW,
	LK_SCIM_EW,
	LK_SCIM_GT,
	LK_SCIM_LT,
	LK_SCIM_GE,
	LK_SCIM_LE
};

enum lk_scim_kind {
	LK_SCIM_AND,	  /* left and right */
	LK_SCIM_OR,	  /* left or right */
	LK_SCIM_NOT,	  /* not left */
	LK_SCIM_CMP,	  /* attr op value */
	LK_SCIM_PRESENT,  /* attr pr */
	LK_SCIM_VALUEPATH /* attr[left], and then right on the same element if set */
};

struct lk_scim_node {
	enum lk_scim_kind kind;
	enum lk_scim_op op;	  /* LK_SCIM_CMP */
	struct lk_scim_attr attr; /* LK_SCIM_CMP, LK_SCIM_PRESENT, LK_SCIM_VALUEPATH */
	bool exact;		  /* strings compare case-exactly (id, externalId) */
	json_t *value;		  /* LK_SCIM_CMP: the literal, owned */
	char *folded;		  /* a string literal in lower case when !exact, owned */
	struct lk_scim_node *left;
	struct lk_scim_node *right;
};

struct lk_scim_filter {
	struct lk_scim_node *root;
};

/* Evaluates one node against a JSON object (filter_eval.c). */
bool lk_scim_node_match(const struct lk_scim_node *n, const json_t *obj);

#endif
