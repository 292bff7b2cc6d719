/*
 * The HTML pages of sign-in (login, consent, results, errors) and their
 * static assets. Templates are files under src/ui/templates/ built into the
 * binary; an administrator re-themes the pages by putting files of the same
 * names in [ui] template_dir, which replace the built-in ones at start.
 *
 * Template syntax (small on purpose, so a theme cannot run code):
 *   {{name}}            the value, HTML-escaped (& < > " ' are escaped)
 *   {{{name}}}          the value as is: only for fragments the server built
 *                       from other templates, never for request data
 *   {{#name}}...{{/name}} the inside when the value is non-empty
 *   {{^name}}...{{/name}} the inside when the value is empty or absent
 * An unknown name is empty. Sections may nest (different names).
 */
#ifndef LK_UI_UI_H
#define LK_UI_UI_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Largest template or static file accepted from template_dir. */
#define LK_UI_FILE_MAX (256 * 1024)

/* One template variable. value NULL is the same as "". */
struct lk_ui_var {
	const char *name;
	const char *value;
};

/*
 * Loads the files of dir (NULL or "" = none) over the built-in templates and
 * assets: a file whose name is a built-in one replaces it; other names are
 * ignored with a warning. Call once at start, before serving; not
 * thread-safe with rendering. LK_EIO (logged, naming the file) when a file
 * cannot be read, LK_ETOOBIG past LK_UI_FILE_MAX, LK_EPARSE (logged with
 * the line) for a template with an unbalanced section; nothing is replaced
 * then.
 */
enum lk_err lk_ui_load_dir(const char *dir);

/* Drops what lk_ui_load_dir loaded (back to the built-in files). */
void lk_ui_reset(void);

/*
 * Renders template name (e.g. "login.html") with n variables, appending to
 * out. LK_ENOTFOUND for an unknown template, LK_ETOOBIG when out would pass
 * its limit.
 */
enum lk_err lk_ui_render(const char *name, const struct lk_ui_var *vars, size_t n,
			 struct lk_buf *out);

/*
 * Renders template name, then wraps the result in "layout.html" with the
 * variables title (escaped) and content (the rendered page, raw), appending
 * the whole document to out.
 */
enum lk_err lk_ui_page(const char *name, const char *title, const struct lk_ui_var *vars, size_t n,
		       struct lk_buf *out);

/*
 * A static asset by file name ("latchkey.css", "form_post.js"): its bytes
 * (static storage, not NUL-terminated) and Content-Type. LK_ENOTFOUND.
 */
enum lk_err lk_ui_static(const char *name, const unsigned char **data, size_t *len,
			 const char **content_type);

/* Appends s HTML-escaped to out (the same escaping as {{name}}). */
enum lk_err lk_ui_escape(struct lk_buf *out, const char *s);

#endif
