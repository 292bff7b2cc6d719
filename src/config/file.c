/*
 * The configuration file: INI, parsed by inih. Each key = value line goes
 * through the table like any other source; the file adds line numbers to the
 * messages and makes relative paths relative to its own directory.
 *
 * Syntax, as inih is set up here: "[section]" headers, "key = value" lines,
 * whole-line comments starting with '#' or ';'. There are no inline comments
 * (a ';' after a value is part of it, so that secrets and URLs are taken
 * literally) and no continuation lines. A key given twice keeps the later
 * value; a section given twice is one section.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config/table.h"
#include "core/buf.h"
#include "core/secure.h"

/* The largest configuration file, in bytes. */
#define FILE_MAX (1024 * 1024)

/* The longest line, in bytes: a value of LK_CONFIG_VALUE_MAX and room to spare. */
#define LINE_LEN_MAX 8000

/* What the parser is working on, for the key handler. */
struct file_ctx {
	struct lk_config *cfg; /* the copy being filled */
	enum lk_err err;       /* why the handler stopped the parser */
	char why[768];	       /* "[section] key: reason" when it did */
};

__attribute__((format(printf, 3, 4))) static enum lk_err say(char *err, size_t errlen,
							     const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return LK_ECONFIG;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return LK_ECONFIG;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct file_ctx *ctx = user;
	const struct lk_config_key *k = NULL;
	char why[512], qs[80], qn[80];
	void *base = NULL;
	bool added;
	enum lk_err err;

	err = lk_config_target(ctx->cfg, section, name, &base, &k, &added, why, sizeof(why));
	if (!err)
		err = lk_config_apply(base, k, value, ctx->cfg->file_dir, why, sizeof(why));
	if (!err)
		return 1;
	ctx->err = err;
	lk_config_quote(section, strlen(section), qs, sizeof(qs));
	lk_config_quote(name, strlen(name), qn, sizeof(qn));
	if (section[0] == '\0')
		snprintf(ctx->why, sizeof(ctx->why), "%s: %s", qn, why);
	else
		snprintf(ctx->why, sizeof(ctx->why), "[%s] %s: %s", qs, qn, why);
	/* inih then stops and returns the line number of this key. */
	return 0;
}

/*
 * Checks a section header line the way inih reads it (after leading spaces,
 * '[' up to the first ']'), so that a misspelt section is refused even when
 * it holds no key, and an [upstream.NAME] without keys still exists (and
 * lk_config_finish says what it lacks). Other lines are left to inih.
 */
static enum lk_err check_header(struct lk_config *cfg, const char *s, size_t n, char *why,
				size_t whylen)
{
	const struct lk_config_key *k;
	const char *close;
	char section[LINE_LEN_MAX + 1], qs[80], reason[256];
	void *base;
	bool added;
	enum lk_err err;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	if (n == 0 || *s != '[')
		return LK_OK;
	close = memchr(s, ']', n);
	if (!close)
		return LK_OK;
	n = (size_t)(close - s - 1);
	memcpy(section, s + 1, n);
	section[n] = '\0';
	err = lk_config_target(cfg, section, NULL, &base, &k, &added, reason, sizeof(reason));
	if (err == LK_ECONFIG) {
		lk_config_quote(section, n, qs, sizeof(qs));
		snprintf(why, whylen, "[%s]: %s", qs, reason);
	}
	return err;
}

/*
 * Looks at every line before inih does: a line too long for inih's buffer
 * would be split in two, its tail read as a line of its own.
 */
static enum lk_err prescan(struct lk_config *cfg, const char *text, size_t len, size_t *line,
			   char *why, size_t whylen)
{
	const char *s, *nl;
	size_t pos = 0, n;
	enum lk_err err = LK_OK;

	*line = 0;
	while (!err && pos < len) {
		s = text + pos;
		nl = memchr(s, '\n', len - pos);
		n = nl ? (size_t)(nl - s) : len - pos;
		pos += n + 1;
		++*line;
		/* A UTF-8 byte order mark may open the file (inih skips it). */
		if (*line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
			s += 3;
			n -= 3;
		}
		if (n > LINE_LEN_MAX)
			err = say(why, whylen, "line longer than %d bytes", LINE_LEN_MAX);
		else
			err = check_header(cfg, s, n, why, whylen);
	}
	return err;
}

/*
 * Sets up inih for lk_config_load_buffer; see the comment at the top. These
 * options are process-wide variables of the Debian build of inih; nothing
 * else in latchkey uses inih, and configuration is read before threads start.
 */
static void inih_setup(void)
{
	ini_allow_multiline = false;
	ini_allow_inline_comments = false;
	ini_allow_no_value = false;
	ini_allow_bom = true;
	ini_stop_on_first_error = true;
	/* A heap line buffer that may grow to hold any line prescan lets through. */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = LINE_LEN_MAX + 16;
}

/* dir = the directory part of path: "." when it has none. */
static enum lk_err set_origin(struct lk_config *cfg, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *p, *d;

	p = strdup(path);
	if (!slash)
		d = strdup(".");
	else
		d = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!p || !d) {
		free(p);
		free(d);
		return LK_ENOMEM;
	}
	free(cfg->file_path);
	free(cfg->file_dir);
	cfg->file_path = p;
	cfg->file_dir = d;
	return LK_OK;
}

enum lk_err lk_config_load_buffer(struct lk_config *cfg, const char *data, size_t len,
				  const char *path, char *err, size_t errlen)
{
	struct lk_config scratch;
	struct file_ctx ctx;
	char *text = NULL, why[768];
	const char *nul;
	size_t line;
	enum lk_err e = LK_OK;
	int rc;

	memset(&scratch, 0, sizeof(scratch));
	if (len > FILE_MAX) {
		e = say(err, errlen, "%s: larger than %d bytes", path, FILE_MAX);
		goto out;
	}
	nul = memchr(data, '\0', len);
	if (nul) {
		for (line = 1; data < nul; data++)
			line += *data == '\n';
		e = say(err, errlen, "%s:%zu: contains a NUL byte", path, line);
		goto out;
	}
	text = malloc(len + 1);
	if (!text) {
		e = LK_ENOMEM;
		goto out;
	}
	memcpy(text, data, len);
	text[len] = '\0';
	/* Work on a copy so that a bad file changes nothing. */
	e = lk_config_copy(&scratch, cfg);
	if (!e)
		e = set_origin(&scratch, path);
	if (e)
		goto out;
	e = prescan(&scratch, text, len, &line, why, sizeof(why));
	if (e == LK_ECONFIG)
		say(err, errlen, "%s:%zu: %s", path, line, why);
	if (e)
		goto out;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = &scratch;
	inih_setup();
	rc = ini_parse_string(text, on_key, &ctx);
	if (rc < 0 || (rc > 0 && ctx.err && ctx.err != LK_ECONFIG))
		e = ctx.err ? ctx.err : LK_ENOMEM;
	else if (rc > 0 && ctx.err)
		e = say(err, errlen, "%s:%d: %s", path, rc, ctx.why);
	else if (rc > 0)
		e = say(err, errlen, "%s:%d: expected [section] or key = value", path, rc);
	if (e)
		goto out;
	lk_config_release(cfg);
	*cfg = scratch;
	memset(&scratch, 0, sizeof(scratch));
out:
	lk_config_release(&scratch);
	if (text) {
		lk_wipe(text, len);
		free(text);
	}
	return e;
}

enum lk_err lk_config_load_file(struct lk_config *cfg, const char *path, bool must_exist, char *err,
				size_t errlen)
{
	struct lk_buf b;
	char chunk[4096];
	size_t n;
	enum lk_err e = LK_OK;
	FILE *f;

	lk_buf_init(&b, FILE_MAX);
	f = fopen(path, "rb");
	if (!f && errno == ENOENT && !must_exist)
		return LK_OK;
	if (!f)
		return say(err, errlen, "%s: cannot open: %s", path, strerror(errno));
	while (!e && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		e = lk_buf_add(&b, chunk, n);
	if (e == LK_ETOOBIG)
		e = say(err, errlen, "%s: larger than %d bytes", path, FILE_MAX);
	else if (!e && ferror(f))
		e = say(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	fclose(f);
	if (!e)
		e = lk_config_load_buffer(cfg, b.data ? b.data : "", b.len, path, err, errlen);
	/* The file may hold secrets (client_secret, a database password). */
	lk_wipe(chunk, sizeof(chunk));
	lk_buf_wipe(&b);
	return e;
}
