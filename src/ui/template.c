/*
 * The template language of ui.h: parsing into a flat list of nodes once, and
 * rendering that list against a handful of variables for each page.
 *
 * A parsed template is a sequence of text runs, escaped values, raw values
 * and section openings. A section node records where its inside ends, so
 * rendering is one forward walk that jumps past a section whose condition
 * fails: no recursion, no allocation, and nothing shared is written, which
 * is what lets many threads render the same template at once.
 */
#include "ui/ui.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/secure.h"
#include "ui/ui_int.h"

/* Names are short identifiers; a long one is a typo or not a tag at all. */
#define NAME_MAX_LEN 64
/* Pages nest a few sections at most; the cap keeps the parser's stack fixed. */
#define DEPTH_MAX 16

enum node_kind {
	NODE_TEXT,   /* literal text */
	NODE_VALUE,  /* {{name}}: escaped */
	NODE_RAW,    /* {{{name}}}: as is */
	NODE_IF,     /* {{#name}}: inside when non-empty */
	NODE_UNLESS, /* {{^name}}: inside when empty */
};

struct node {
	enum node_kind kind;
	const char *s; /* the text, or the name; points into the source */
	size_t len;
	size_t skip; /* sections: index of the first node after the inside */
};

struct lk_ui_tpl {
	struct node *nodes;
	size_t n;
	size_t cap;
};

/* One open section while parsing. */
struct open_section {
	size_t node;
	const char *at; /* the tag, for the line in an error */
};

struct parser {
	const char *what;
	const char *text;
	struct lk_ui_tpl *tpl;
	struct open_section stack[DEPTH_MAX];
	size_t depth;
};

/* Logs a parse error with the line of at; always LK_EPARSE. */
static enum lk_err parse_fail(const struct parser *p, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum lk_err parse_fail(const struct parser *p, const char *at, const char *fmt, ...)
{
	char msg[160];
	size_t line = 1;
	va_list ap;

	for (const char *c = p->text; c < at; c++)
		line += *c == '\n';
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lk_error("template '%s' line %zu: %s", p->what, line, msg);
	return LK_EPARSE;
}

static enum lk_err add_node(struct lk_ui_tpl *t, enum node_kind kind, const char *s, size_t len)
{
	struct node *nodes;
	size_t cap;

	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		nodes = realloc(t->nodes, cap * sizeof(*nodes));
		if (!nodes)
			return LK_ENOMEM;
		t->nodes = nodes;
		t->cap = cap;
	}
	t->nodes[t->n] = (struct node){.kind = kind, .s = s, .len = len, .skip = 0};
	t->n++;
	return LK_OK;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/*
 * Trims the spaces around the name between s and end and checks what is
 * left: one to NAME_MAX_LEN identifier characters. Anything else (an empty
 * tag, a stray "{{" inside a tag, a sigil the language does not have) is
 * refused, so a theme's typo shows at load instead of as a blank on a page.
 */
static bool take_name(const char *s, const char *end, const char **name, size_t *len)
{
	while (s < end && *s == ' ')
		s++;
	while (end > s && end[-1] == ' ')
		end--;
	if (end == s || (size_t)(end - s) > NAME_MAX_LEN)
		return false;
	for (const char *c = s; c < end; c++)
		if (!is_name_char(*c))
			return false;
	*name = s;
	*len = (size_t)(end - s);
	return true;
}

static enum lk_err open_section(struct parser *p, enum node_kind kind, const char *at,
				const char *name, size_t len)
{
	enum lk_err err;

	if (p->depth == DEPTH_MAX)
		return parse_fail(p, at, "sections nest deeper than %d", DEPTH_MAX);
	err = add_node(p->tpl, kind, name, len);
	if (err)
		return err;
	p->stack[p->depth].node = p->tpl->n - 1;
	p->stack[p->depth].at = at;
	p->depth++;
	return LK_OK;
}

static enum lk_err close_section(struct parser *p, const char *at, const char *name, size_t len)
{
	struct node *open;

	if (p->depth == 0)
		return parse_fail(p, at, "'{{/%.*s}}' closes no section", (int)len, name);
	open = &p->tpl->nodes[p->stack[p->depth - 1].node];
	if (open->len != len || memcmp(open->s, name, len) != 0)
		return parse_fail(p, at, "'{{/%.*s}}' closes section '%.*s'", (int)len, name,
				  (int)open->len, open->s);
	open->skip = p->tpl->n;
	p->depth--;
	return LK_OK;
}

/* Parses the tag that starts at at ("{{"); *next is where the text resumes. */
static enum lk_err parse_tag(struct parser *p, const char *at, const char *end, const char **next)
{
	const char *s = at + 2;
	const char *closer = "}}";
	enum node_kind kind = NODE_VALUE;
	const char *stop, *name;
	char sigil = 0;
	size_t len;
	int shown;

	if (s < end && *s == '{') {
		closer = "}}}";
		kind = NODE_RAW;
		s++;
	} else if (s < end && (*s == '#' || *s == '^' || *s == '/')) {
		sigil = *s;
		s++;
	}
	stop = memmem(s, (size_t)(end - s), closer, strlen(closer));
	if (!stop)
		return parse_fail(p, at, "tag is not closed with '%s'", closer);
	if (!take_name(s, stop, &name, &len)) {
		/* The whole tag, or its start when it is long. */
		shown = (int)(stop - at + (ptrdiff_t)strlen(closer));
		if (shown > NAME_MAX_LEN)
			shown = NAME_MAX_LEN;
		return parse_fail(p, at, "malformed tag '%.*s'", shown, at);
	}
	*next = stop + strlen(closer);
	if (sigil == '#')
		return open_section(p, NODE_IF, at, name, len);
	if (sigil == '^')
		return open_section(p, NODE_UNLESS, at, name, len);
	if (sigil == '/')
		return close_section(p, at, name, len);
	return add_node(p->tpl, kind, name, len);
}

void lk_ui_tpl_free(struct lk_ui_tpl *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t);
}

enum lk_err lk_ui_tpl_parse(const char *what, const char *text, size_t len, struct lk_ui_tpl **out)
{
	struct parser p = {.what = what, .text = text, .depth = 0};
	const char *pos = text, *end = text + len, *tag;
	enum lk_err err = LK_ENOMEM;

	p.tpl = calloc(1, sizeof(*p.tpl));
	if (!p.tpl)
		goto out;
	err = LK_OK;
	while (pos < end && !err) {
		tag = memmem(pos, (size_t)(end - pos), "{{", 2);
		if (!tag)
			tag = end;
		if (tag > pos)
			err = add_node(p.tpl, NODE_TEXT, pos, (size_t)(tag - pos));
		pos = tag;
		if (!err && tag < end)
			err = parse_tag(&p, tag, end, &pos);
	}
	if (!err && p.depth > 0) {
		const struct node *open = &p.tpl->nodes[p.stack[p.depth - 1].node];

		err = parse_fail(&p, p.stack[p.depth - 1].at, "section '%.*s' is not closed",
				 (int)open->len, open->s);
	}
out:
	if (err) {
		lk_ui_tpl_free(p.tpl);
		return err;
	}
	*out = p.tpl;
	return LK_OK;
}

/* The value of the variable called name (len bytes); "" when there is none. */
static const char *lookup(const struct lk_ui_var *vars, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = vars[i].name;

		if (v && strncmp(v, name, len) == 0 && v[len] == '\0')
			return vars[i].value ? vars[i].value : "";
	}
	return "";
}

/* The entity for a character that HTML text or a quoted attribute must not hold. */
static const char *entity(char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

/* Appends s escaped; runs of plain characters go in one copy. */
static enum lk_err escape_into(struct lk_buf *out, const char *s)
{
	const char *run = s, *ent;
	enum lk_err err = LK_OK;

	for (; *s && !err; s++) {
		ent = entity(*s);
		if (!ent)
			continue;
		err = lk_buf_add(out, run, (size_t)(s - run));
		if (!err)
			err = lk_buf_addstr(out, ent);
		run = s + 1;
	}
	if (!err)
		err = lk_buf_add(out, run, (size_t)(s - run));
	return err;
}

/*
 * Cuts out back to mark after a failed append, so a caller sees all of a
 * rendering or none of it. The cut bytes may hold a CSRF token or an
 * authorization code (form_post), so they are zeroed.
 */
static void cut_back(struct lk_buf *out, size_t mark)
{
	if (!out->data || out->len <= mark)
		return;
	lk_wipe(out->data + mark, out->len - mark);
	out->len = mark;
}

static enum lk_err render(const struct lk_ui_tpl *t, const struct lk_ui_var *vars, size_t n,
			  struct lk_buf *out)
{
	enum lk_err err = LK_OK;
	size_t i = 0;

	while (i < t->n && !err) {
		const struct node *nd = &t->nodes[i];
		const char *v;

		switch (nd->kind) {
		case NODE_TEXT:
			err = lk_buf_add(out, nd->s, nd->len);
			i++;
			break;
		case NODE_VALUE:
			err = escape_into(out, lookup(vars, n, nd->s, nd->len));
			i++;
			break;
		case NODE_RAW:
			err = lk_buf_addstr(out, lookup(vars, n, nd->s, nd->len));
			i++;
			break;
		case NODE_IF:
		case NODE_UNLESS:
			v = lookup(vars, n, nd->s, nd->len);
			i = (*v != '\0') == (nd->kind == NODE_IF) ? i + 1 : nd->skip;
			break;
		}
	}
	return err;
}

enum lk_err lk_ui_escape(struct lk_buf *out, const char *s)
{
	size_t mark;
	enum lk_err err;

	if (!out)
		return LK_EINVAL;
	mark = out->len;
	err = escape_into(out, s ? s : "");
	if (err)
		cut_back(out, mark);
	return err;
}

enum lk_err lk_ui_render(const char *name, const struct lk_ui_var *vars, size_t n,
			 struct lk_buf *out)
{
	const struct lk_ui_tpl *t;
	size_t mark;
	enum lk_err err;

	if (!name || !out || (n > 0 && !vars))
		return LK_EINVAL;
	err = lk_ui_tpl_get(name, &t);
	if (err)
		return err;
	mark = out->len;
	err = render(t, vars, n, out);
	if (err)
		cut_back(out, mark);
	return err;
}

enum lk_err lk_ui_page(const char *name, const char *title, const struct lk_ui_var *vars, size_t n,
		       struct lk_buf *out)
{
	struct lk_buf body;
	struct lk_ui_var outer[2];
	enum lk_err err;

	if (!out)
		return LK_EINVAL;
	/* The body ends up inside out, so it can never be longer than out allows. */
	lk_buf_init(&body, out->max);
	err = lk_ui_render(name, vars, n, &body);
	if (err)
		goto out;
	outer[0] = (struct lk_ui_var){"title", title};
	outer[1] = (struct lk_ui_var){"content", lk_buf_str(&body)};
	err = lk_ui_render("layout.html", outer, 2, out);
out:
	/* The body may hold a CSRF token or, on a form_post page, a code. */
	lk_buf_wipe(&body);
	return err;
}
