/*
 * Internals shared by the two files of src/ui/: template.c parses and renders
 * templates, assets.c owns the built-in and loaded files and hands out their
 * compiled forms. Nothing outside src/ui/ includes this header.
 */
#ifndef LK_UI_UI_INT_H
#define LK_UI_UI_INT_H

#include <stddef.h>

#include "core/err.h"

/* A template parsed once into a flat list of nodes; immutable afterwards. */
struct lk_ui_tpl;

/*
 * Parses len bytes of text into *out. The nodes point into text, which must
 * outlive the result. what names the file in the log line that reports a
 * malformed tag or an unbalanced section (LK_EPARSE, with the line number).
 * LK_ENOMEM.
 */
enum lk_err lk_ui_tpl_parse(const char *what, const char *text, size_t len, struct lk_ui_tpl **out);

/* Frees a parsed template; NULL is a no-op. The text is not touched. */
void lk_ui_tpl_free(struct lk_ui_tpl *t);

/*
 * The compiled template of that file name: the loaded one when
 * lk_ui_load_dir replaced it, the built-in one otherwise. Owned by assets.c,
 * valid until the next lk_ui_load_dir or lk_ui_reset. Safe to call from many
 * threads. LK_ENOTFOUND for a name that is not a template, LK_ENOMEM or
 * LK_EINTERNAL when the built-in templates cannot be compiled.
 */
enum lk_err lk_ui_tpl_get(const char *name, const struct lk_ui_tpl **out);

#endif
