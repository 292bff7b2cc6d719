/*
 * The SCIM filter parser (RFC 7644 §3.4.2.2): a lexer over the raw bytes and
 * a recursive-descent parser with one function per precedence level
 * ("or" < "and" < "not"/parentheses/attribute expressions). Recursion only
 * deepens at "(", "not (" and "[", which are counted against
 * LK_SCIM_FILTER_DEPTH_MAX, so hostile input cannot exhaust the stack; "and"
 * and "or" chains are built in loops. JSON literals are decoded by jansson so
 * string escapes and numbers follow RFC 8259 exactly.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/filter.h"
#include "scim/filter_int.h"

/* How many bytes of a token are quoted back in an error message. */
#define SNIPPET_MAX 40

enum tok_kind {
	T_END,
	T_LPAREN,
	T_RPAREN,
	T_LBRACK,
	T_RBRACK,
	T_DOT,
	T_WORD,
	T_STRING,
	T_NUMBER,
	T_UNTERMINATED, /* a string without its closing quote */
	T_BAD		/* a byte that starts no token */
};

struct tok {
	enum tok_kind kind;
	size_t start;
	size_t len;
};

struct parser {
	const char *s;
	size_t len;
	struct tok tok; /* the current token */
	int depth;
	size_t nodes;
	char *err;
	size_t errlen;
};

static const struct {
	const char *name;
	enum lk_scim_op op;
} ops[] = {
	{"eq", LK_SCIM_EQ}, {"ne", LK_SCIM_NE}, {"co", LK_SCIM_CO},
	{"sw", LK_SCIM_SW}, {"ew", LK_SCIM_EW}, {"gt", LK_SCIM_GT},
	{"lt", LK_SCIM_LT}, {"ge", LK_SCIM_GE}, {"le", LK_SCIM_LE},
};

static enum lk_err vsay(char *err, size_t errlen, enum lk_err rc, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static enum lk_err say(char *err, size_t errlen, enum lk_err rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Writes a message into err (when there is room) and returns rc. */
static enum lk_err vsay(char *err, size_t errlen, enum lk_err rc, const char *fmt, va_list ap)
{
	if (err && errlen > 0)
		vsnprintf(err, errlen, fmt, ap);
	return rc;
}

static enum lk_err say(char *err, size_t errlen, enum lk_err rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vsay(err, errlen, rc, fmt, ap);
	va_end(ap);
	return rc;
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* ATTRNAME characters after the first (RFC 7643 §2.1 nameChar). */
static bool is_name_char(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '_';
}

/* The bytes of a bare word: attribute paths with their schema URI, keywords. */
static bool is_word_char(unsigned char c)
{
	return is_name_char(c) || c == '.' || c == ':' || c == '$' || c == '/';
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The token that starts at or after pos. Never fails: bad bytes become T_BAD. */
static struct tok lex(const struct parser *p, size_t pos)
{
	struct tok t = {T_END, 0, 0};
	unsigned char c;
	size_t i;

	while (pos < p->len && is_space((unsigned char)p->s[pos]))
		pos++;
	t.start = pos;
	if (pos >= p->len)
		return t;
	c = (unsigned char)p->s[pos];
	t.len = 1;
	switch (c) {
	case '(':
		t.kind = T_LPAREN;
		return t;
	case ')':
		t.kind = T_RPAREN;
		return t;
	case '[':
		t.kind = T_LBRACK;
		return t;
	case ']':
		t.kind = T_RBRACK;
		return t;
	case '.':
		t.kind = T_DOT;
		return t;
	default:
		break;
	}
	if (c == '"') {
		/* Find the closing quote, stepping over each escaped character. */
		for (i = pos + 1; i < p->len && p->s[i] != '"'; i++) {
			if (p->s[i] == '\\')
				i++;
		}
		t.kind = i < p->len ? T_STRING : T_UNTERMINATED;
		t.len = (i < p->len ? i + 1 : p->len) - pos;
		return t;
	}
	if (c == '-' || is_digit(c)) {
		for (i = pos + 1; i < p->len; i++) {
			c = (unsigned char)p->s[i];
			if (!is_digit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' &&
			    c != '-')
				break;
		}
		t.kind = T_NUMBER;
		t.len = i - pos;
		return t;
	}
	if (is_alpha(c) || c == '$') {
		for (i = pos + 1; i < p->len && is_word_char((unsigned char)p->s[i]); i++)
			;
		t.kind = T_WORD;
		t.len = i - pos;
		return t;
	}
	t.kind = T_BAD;
	return t;
}

static void advance(struct parser *p)
{
	p->tok = lex(p, p->tok.start + p->tok.len);
}

static bool tok_is(const struct parser *p, const struct tok *t, const char *word)
{
	size_t n = strlen(word);

	return t->kind == T_WORD && t->len == n && strncasecmp(p->s + t->start, word, n) == 0;
}

/* Describes a token for an error message, quoting at most SNIPPET_MAX bytes. */
static const char *describe(const struct parser *p, const struct tok *t, char *buf, size_t n)
{
	unsigned char c = t->start < p->len ? (unsigned char)p->s[t->start] : 0;
	int shown = t->len > SNIPPET_MAX ? SNIPPET_MAX : (int)t->len;

	switch (t->kind) {
	case T_END:
		return "the end of the filter";
	case T_STRING:
	case T_UNTERMINATED:
		return "a string";
	case T_BAD:
		if (c > 0x20 && c < 0x7f)
			snprintf(buf, n, "'%c'", c);
		else
			snprintf(buf, n, "byte 0x%02x", c);
		return buf;
	default:
		snprintf(buf, n, "'%.*s%s'", shown, p->s + t->start,
			 t->len > SNIPPET_MAX ? "..." : "");
		return buf;
	}
}

static enum lk_err fail(struct parser *p, enum lk_err rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the parse error: the message for the caller, rc for the return. */
static enum lk_err fail(struct parser *p, enum lk_err rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vsay(p->err, p->errlen, rc, fmt, ap);
	va_end(ap);
	return rc;
}

static void node_free(struct lk_scim_node *n)
{
	if (!n)
		return;
	node_free(n->left);
	node_free(n->right);
	json_decref(n->value);
	free(n->folded);
	free(n);
}

static enum lk_err node_new(struct parser *p, enum lk_scim_kind kind, struct lk_scim_node **out)
{
	struct lk_scim_node *n;

	if (p->nodes >= LK_SCIM_FILTER_NODES_MAX)
		return fail(p, LK_ETOOMANY, "filter has more than %d terms",
			    LK_SCIM_FILTER_NODES_MAX);
	n = calloc(1, sizeof(*n));
	if (!n)
		return fail(p, LK_ENOMEM, "out of memory");
	p->nodes++;
	n->kind = kind;
	*out = n;
	return LK_OK;
}

static enum lk_err enter(struct parser *p)
{
	if (++p->depth > LK_SCIM_FILTER_DEPTH_MAX)
		return fail(p, LK_ETOOMANY, "filter nests deeper than %d levels at offset %zu",
			    LK_SCIM_FILTER_DEPTH_MAX, p->tok.start);
	return LK_OK;
}

/* Checks one ATTRNAME: ["$"] ALPHA *nameChar, shorter than LK_SCIM_NAME_MAX. */
static bool valid_name(const char *s, size_t len)
{
	size_t i = 0;

	if (len > 0 && s[0] == '$')
		i = 1;
	if (i >= len || len >= LK_SCIM_NAME_MAX || !is_alpha((unsigned char)s[i]))
		return false;
	for (i++; i < len; i++) {
		if (!is_name_char((unsigned char)s[i]))
			return false;
	}
	return true;
}

/*
 * Splits an attribute path at its last ':' (schema URI) and its '.'
 * (sub-attribute). base is the path's offset in the text, for messages.
 */
static enum lk_err split_attr(const char *s, size_t len, size_t base, struct lk_scim_attr *out,
			      char *err, size_t errlen)
{
	size_t colon = len, dot, i, shown = len > SNIPPET_MAX ? SNIPPET_MAX : len;
	const char *name;
	size_t nlen;

	for (i = 0; i < len; i++) {
		if (!is_word_char((unsigned char)s[i]))
			return say(err, errlen, LK_EPARSE,
				   "invalid character in attribute path at offset %zu", base + i);
		if (s[i] == ':')
			colon = i;
	}
	memset(out, 0, sizeof(*out));
	name = s;
	nlen = len;
	if (colon < len) {
		/* A leading ':' cannot get here: both callers want a letter first. */
		if (colon == 0 || colon >= LK_SCIM_URI_MAX)
			return say(err, errlen, LK_EPARSE,
				   "schema URI at offset %zu is empty or longer than %d bytes",
				   base, LK_SCIM_URI_MAX - 1);
		/*
		 * RFC 7644 §3.10: the prefix is a schema URN. Anything else before
		 * a ':' would name an ordinary attribute ("meta:x", "id:x") as if
		 * it were an extension and reach past its mutability.
		 */
		if (colon < 4 || strncasecmp(s, "urn:", 4) != 0)
			return say(err, errlen, LK_EPARSE,
				   "schema URI at offset %zu must be a URN (urn:...)", base);
		memcpy(out->uri, s, colon);
		name = s + colon + 1;
		nlen = len - colon - 1;
	}
	for (dot = 0; dot < nlen && name[dot] != '.'; dot++)
		;
	if (!valid_name(name, dot) || (dot < nlen && !valid_name(name + dot + 1, nlen - dot - 1)))
		return say(err, errlen, LK_EPARSE, "invalid attribute path '%.*s%s' at offset %zu",
			   (int)shown, s, len > SNIPPET_MAX ? "..." : "", base);
	memcpy(out->name, name, dot);
	if (dot < nlen)
		memcpy(out->sub, name + dot + 1, nlen - dot - 1);
	return LK_OK;
}

enum lk_err lk_scim_attr_parse(const char *text, size_t len, struct lk_scim_attr *out, char *err,
			       size_t errlen)
{
	struct lk_scim_attr a;
	enum lk_err rc;

	if (!text || !out)
		return say(err, errlen, LK_EINVAL, "no attribute path");
	if (len == 0)
		return say(err, errlen, LK_EPARSE, "empty attribute path");
	if (!is_alpha((unsigned char)text[0]) && text[0] != '$')
		return say(err, errlen, LK_EPARSE, "attribute path must start with a letter");
	rc = split_attr(text, len, 0, &a, err, errlen);
	if (rc == LK_OK)
		*out = a;
	return rc;
}

/* Decodes the literal at the current token into *out (a new reference). */
static enum lk_err parse_literal(struct parser *p, const char *opname, json_t **out)
{
	const struct tok *t = &p->tok;
	json_error_t jerr;
	json_t *v = NULL;
	char d[SNIPPET_MAX + 8];

	if (tok_is(p, t, "true"))
		v = json_true();
	else if (tok_is(p, t, "false"))
		v = json_false();
	else if (tok_is(p, t, "null"))
		v = json_null();
	else if (t->kind == T_END)
		return fail(p, LK_EPARSE, "missing value after '%s' at offset %zu", opname,
			    t->start);
	else if (t->kind == T_UNTERMINATED)
		return fail(p, LK_EPARSE, "unterminated string starting at offset %zu", t->start);
	else if (t->kind != T_STRING && t->kind != T_NUMBER)
		return fail(p, LK_EPARSE,
			    "expected a string, number, true, false or null after '%s' at "
			    "offset %zu, found %s",
			    opname, t->start, describe(p, t, d, sizeof(d)));
	if (!v) {
		v = json_loadb(p->s + t->start, t->len, JSON_DECODE_ANY, &jerr);
		if (!v)
			return fail(p, LK_EPARSE, "invalid %s at offset %zu: %s",
				    t->kind == T_STRING ? "string" : "number", t->start, jerr.text);
	}
	*out = v;
	return LK_OK;
}

/* Whether RFC 7644 §3.4.2.2 lets op compare with a literal of this type. */
static bool op_fits(enum lk_scim_op op, const json_t *v)
{
	if (json_is_string(v))
		return true;
	if (op == LK_SCIM_EQ || op == LK_SCIM_NE)
		return true;
	return json_is_number(v) && op != LK_SCIM_CO && op != LK_SCIM_SW && op != LK_SCIM_EW;
}

static bool exact_attr(const struct lk_scim_attr *a)
{
	const char *leaf = a->sub[0] ? a->sub : a->name;

	return strcasecmp(leaf, "id") == 0 || strcasecmp(leaf, "externalId") == 0;
}

/* Lower-cases a string literal once so that evaluation need not. */
static enum lk_err fold_literal(struct parser *p, struct lk_scim_node *n)
{
	size_t len = json_string_length(n->value), i;
	const char *s = json_string_value(n->value);

	n->folded = malloc(len + 1);
	if (!n->folded)
		return fail(p, LK_ENOMEM, "out of memory");
	for (i = 0; i < len; i++)
		n->folded[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
	n->folded[len] = '\0';
	return LK_OK;
}

/* attrPath "pr" / attrPath compareOp compValue, the path already read. */
static enum lk_err parse_test(struct parser *p, const struct lk_scim_attr *attr, const char *label,
			      struct lk_scim_node **out)
{
	struct lk_scim_node *n = NULL;
	char opname[3], d[SNIPPET_MAX + 8];
	enum lk_err rc;
	size_t i;

	if (p->tok.kind == T_END)
		return fail(p, LK_EPARSE, "missing operator after '%s' at offset %zu", label,
			    p->tok.start);
	if (tok_is(p, &p->tok, "pr")) {
		rc = node_new(p, LK_SCIM_PRESENT, &n);
		if (rc != LK_OK)
			return rc;
		n->attr = *attr;
		advance(p);
		*out = n;
		return LK_OK;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (tok_is(p, &p->tok, ops[i].name))
			break;
	}
	if (i == sizeof(ops) / sizeof(ops[0]))
		return fail(p, LK_EPARSE, "unknown operator %s after '%s' at offset %zu",
			    describe(p, &p->tok, d, sizeof(d)), label, p->tok.start);
	memcpy(opname, ops[i].name, sizeof(opname));
	advance(p);
	rc = node_new(p, LK_SCIM_CMP, &n);
	if (rc != LK_OK)
		return rc;
	n->attr = *attr;
	n->op = ops[i].op;
	n->exact = exact_attr(attr);
	rc = parse_literal(p, opname, &n->value);
	if (rc != LK_OK)
		goto out;
	if (!op_fits(n->op, n->value)) {
		rc = fail(p, LK_EPARSE, "operator '%s' cannot compare with %s at offset %zu",
			  opname, describe(p, &p->tok, d, sizeof(d)), p->tok.start);
		goto out;
	}
	if (json_is_string(n->value) && !n->exact) {
		rc = fold_literal(p, n);
		if (rc != LK_OK)
			goto out;
	}
	advance(p);
	*out = n;
	n = NULL;
out:
	node_free(n);
	return rc;
}

static enum lk_err parse_or(struct parser *p, struct lk_scim_node **out);

/* Reads the closing token of a group opened at offset open. */
static enum lk_err close_group(struct parser *p, enum tok_kind want, size_t open)
{
	char c = want == T_RPAREN ? ')' : ']';
	char o = want == T_RPAREN ? '(' : '[';
	char d[SNIPPET_MAX + 8];

	if (p->tok.kind == want) {
		p->depth--;
		advance(p);
		return LK_OK;
	}
	if (p->tok.kind == T_END)
		return fail(p, LK_EPARSE,
			    "unbalanced brackets: missing '%c' to close the '%c' at offset %zu", c,
			    o, open);
	return fail(p, LK_EPARSE, "expected 'and', 'or' or '%c' at offset %zu, found %s", c,
		    p->tok.start, describe(p, &p->tok, d, sizeof(d)));
}

/* attrPath "[" FILTER "]" [ "." ATTRNAME test ], at the "[". */
static enum lk_err parse_value_path(struct parser *p, const struct lk_scim_attr *attr,
				    const char *label, struct lk_scim_node **out)
{
	struct lk_scim_node *n = NULL;
	struct lk_scim_attr sub;
	size_t open = p->tok.start;
	enum lk_err rc;

	if (attr->sub[0])
		return fail(p, LK_EPARSE,
			    "a value filter needs a multi-valued attribute, not the sub-attribute "
			    "'%s' (offset %zu)",
			    label, open);
	rc = node_new(p, LK_SCIM_VALUEPATH, &n);
	if (rc != LK_OK)
		return rc;
	n->attr = *attr;
	rc = enter(p);
	if (rc != LK_OK)
		goto out;
	advance(p);
	rc = parse_or(p, &n->left);
	if (rc == LK_OK)
		rc = close_group(p, T_RBRACK, open);
	if (rc != LK_OK || p->tok.kind != T_DOT)
		goto out;
	/* Entra ID's extension: a sub-attribute test on the selected element. */
	advance(p);
	if (p->tok.kind != T_WORD) {
		rc = fail(p, LK_EPARSE, "expected a sub-attribute name after '.' at offset %zu",
			  p->tok.start);
		goto out;
	}
	memset(&sub, 0, sizeof(sub));
	if (!valid_name(p->s + p->tok.start, p->tok.len)) {
		rc = fail(p, LK_EPARSE, "invalid sub-attribute name at offset %zu", p->tok.start);
		goto out;
	}
	memcpy(sub.name, p->s + p->tok.start, p->tok.len);
	advance(p);
	rc = parse_test(p, &sub, sub.name, &n->right);
out:
	if (rc == LK_OK)
		*out = n;
	else
		node_free(n);
	return rc;
}

/* An attribute expression or value path, at its attribute path. */
static enum lk_err parse_attr_exp(struct parser *p, struct lk_scim_node **out)
{
	struct lk_scim_attr attr;
	char label[SNIPPET_MAX + 4];
	enum lk_err rc;
	int shown = p->tok.len > SNIPPET_MAX ? SNIPPET_MAX : (int)p->tok.len;

	rc = split_attr(p->s + p->tok.start, p->tok.len, p->tok.start, &attr, p->err, p->errlen);
	if (rc != LK_OK)
		return rc;
	snprintf(label, sizeof(label), "%.*s%s", shown, p->s + p->tok.start,
		 p->tok.len > SNIPPET_MAX ? "..." : "");
	advance(p);
	if (p->tok.kind == T_LBRACK)
		return parse_value_path(p, &attr, label, out);
	return parse_test(p, &attr, label, out);
}

/* "not" "(" FILTER ")" / "(" FILTER ")" / an attribute expression. */
static enum lk_err parse_unary(struct parser *p, struct lk_scim_node **out)
{
	struct lk_scim_node *n = NULL, *inner = NULL;
	bool negate = false;
	size_t open;
	enum lk_err rc;
	char d[SNIPPET_MAX + 8];

	if (tok_is(p, &p->tok, "not")) {
		struct tok next = lex(p, p->tok.start + p->tok.len);

		if (next.kind != T_LPAREN)
			return fail(p, LK_EPARSE, "'not' must be followed by '(' at offset %zu",
				    next.start);
		negate = true;
		advance(p);
	}
	if (p->tok.kind == T_WORD)
		return parse_attr_exp(p, out);
	if (p->tok.kind != T_LPAREN)
		return fail(p, LK_EPARSE,
			    "expected an attribute, '(' or 'not' at offset %zu, found %s",
			    p->tok.start, describe(p, &p->tok, d, sizeof(d)));
	open = p->tok.start;
	rc = enter(p);
	if (rc != LK_OK)
		return rc;
	advance(p);
	rc = parse_or(p, &inner);
	if (rc == LK_OK)
		rc = close_group(p, T_RPAREN, open);
	if (rc == LK_OK && negate) {
		rc = node_new(p, LK_SCIM_NOT, &n);
		if (rc == LK_OK) {
			n->left = inner;
			inner = n;
		}
	}
	if (rc == LK_OK) {
		*out = inner;
		inner = NULL;
	}
	node_free(inner);
	return rc;
}

/* A chain of one kind of logical operator over terms parsed by term(). */
static enum lk_err parse_chain(struct parser *p, const char *word, enum lk_scim_kind kind,
			       enum lk_err (*term)(struct parser *, struct lk_scim_node **),
			       struct lk_scim_node **out)
{
	struct lk_scim_node *left = NULL, *right = NULL, *n;
	enum lk_err rc;

	rc = term(p, &left);
	while (rc == LK_OK && tok_is(p, &p->tok, word)) {
		advance(p);
		rc = term(p, &right);
		if (rc != LK_OK)
			break;
		rc = node_new(p, kind, &n);
		if (rc != LK_OK)
			break;
		n->left = left;
		n->right = right;
		left = n;
		right = NULL;
	}
	if (rc == LK_OK) {
		*out = left;
		left = NULL;
	}
	node_free(left);
	node_free(right);
	return rc;
}

static enum lk_err parse_and(struct parser *p, struct lk_scim_node **out)
{
	return parse_chain(p, "and", LK_SCIM_AND, parse_unary, out);
}

/* RFC 7644 §3.4.2.2: "and" binds tighter than "or". */
static enum lk_err parse_or(struct parser *p, struct lk_scim_node **out)
{
	return parse_chain(p, "or", LK_SCIM_OR, parse_and, out);
}

enum lk_err lk_scim_filter_parse(const char *text, size_t len, struct lk_scim_filter **out,
				 char *err, size_t errlen)
{
	struct parser p = {.s = text, .len = len, .err = err, .errlen = errlen};
	struct lk_scim_node *root = NULL;
	struct lk_scim_filter *f;
	char d[SNIPPET_MAX + 8];
	enum lk_err rc;

	if (!text || !out)
		return fail(&p, LK_EINVAL, "no filter");
	if (len > LK_SCIM_FILTER_MAX)
		return fail(&p, LK_ETOOBIG, "filter longer than %d bytes", LK_SCIM_FILTER_MAX);
	p.tok = lex(&p, 0);
	if (p.tok.kind == T_END)
		return fail(&p, LK_EPARSE, "empty filter");
	rc = parse_or(&p, &root);
	if (rc != LK_OK)
		goto out;
	if (p.tok.kind == T_RPAREN || p.tok.kind == T_RBRACK) {
		rc = fail(&p, LK_EPARSE, "unbalanced brackets: unexpected '%c' at offset %zu",
			  p.tok.kind == T_RPAREN ? ')' : ']', p.tok.start);
		goto out;
	}
	if (p.tok.kind != T_END) {
		rc = fail(&p, LK_EPARSE,
			  "unexpected %s at offset %zu: expected 'and', 'or' or "
			  "the end of the filter",
			  describe(&p, &p.tok, d, sizeof(d)), p.tok.start);
		goto out;
	}
	f = malloc(sizeof(*f));
	if (!f) {
		rc = fail(&p, LK_ENOMEM, "out of memory");
		goto out;
	}
	f->root = root;
	root = NULL;
	*out = f;
out:
	node_free(root);
	return rc;
}

void lk_scim_filter_free(struct lk_scim_filter *f)
{
	if (!f)
		return;
	node_free(f->root);
	free(f);
}
