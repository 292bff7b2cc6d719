/*
 * The files of the sign-in pages: the built-in templates and static assets,
 * embedded in the binary, and the administrator's replacements loaded from
 * [ui] template_dir.
 *
 * The built-in files are pulled into read-only data by the assembler
 * (.incbin), so the binary needs no generated source and cannot drift from
 * the files under src/ui/. Paths are relative to the repository root, where
 * every build runs; the Makefile makes this file's object depend on them.
 *
 * The built-in templates are compiled on first use, once, under a lock;
 * after that a render only reads. Loaded files replace built-in ones as a
 * set: lk_ui_load_dir reads and compiles everything first and swaps the set
 * in only when all of it is good.
 */
#include "ui/ui.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/embed.h"
#include "core/log.h"
#include "ui/ui_int.h"

LK_EMBED(lk_ui_file_layout, "src/ui/templates/layout.html");
LK_EMBED(lk_ui_file_login, "src/ui/templates/login.html");
LK_EMBED(lk_ui_file_consent, "src/ui/templates/consent.html");
LK_EMBED(lk_ui_file_consent_scope, "src/ui/templates/consent_scope.html");
LK_EMBED(lk_ui_file_error, "src/ui/templates/error.html");
LK_EMBED(lk_ui_file_result, "src/ui/templates/result.html");
LK_EMBED(lk_ui_file_form_post, "src/ui/templates/form_post.html");
LK_EMBED(lk_ui_file_form_post_field, "src/ui/templates/form_post_field.html");
LK_EMBED(lk_ui_file_message, "src/ui/templates/message.html");
LK_EMBED(lk_ui_file_logout, "src/ui/templates/logout.html");
LK_EMBED(lk_ui_file_signup, "src/ui/templates/signup.html");
LK_EMBED(lk_ui_file_upstream_link, "src/ui/templates/upstream_link.html");
LK_EMBED(lk_ui_file_admin, "src/ui/templates/admin.html");
LK_EMBED(lk_ui_file_css, "src/ui/static/latchkey.css");
LK_EMBED(lk_ui_file_js, "src/ui/static/form_post.js");
LK_EMBED(lk_ui_file_admin_css, "src/ui/static/admin.css");
LK_EMBED(lk_ui_file_admin_js, "src/ui/static/admin.js");

#define CT_CSS "text/css; charset=utf-8"
#define CT_JS "text/javascript; charset=utf-8"

/* A built-in file; content_type NULL marks a template. */
struct file {
	const char *name;
	const char *content_type;
	const unsigned char *start;
	const unsigned char *end;
};

static const struct file files[] = {
	{"layout.html", NULL, lk_ui_file_layout, lk_ui_file_layout_end},
	{"login.html", NULL, lk_ui_file_login, lk_ui_file_login_end},
	{"consent.html", NULL, lk_ui_file_consent, lk_ui_file_consent_end},
	{"consent_scope.html", NULL, lk_ui_file_consent_scope, lk_ui_file_consent_scope_end},
	{"error.html", NULL, lk_ui_file_error, lk_ui_file_error_end},
	{"result.html", NULL, lk_ui_file_result, lk_ui_file_result_end},
	{"form_post.html", NULL, lk_ui_file_form_post, lk_ui_file_form_post_end},
	{"form_post_field.html", NULL, lk_ui_file_form_post_field, lk_ui_file_form_post_field_end},
	{"message.html", NULL, lk_ui_file_message, lk_ui_file_message_end},
	{"logout.html", NULL, lk_ui_file_logout, lk_ui_file_logout_end},
	{"signup.html", NULL, lk_ui_file_signup, lk_ui_file_signup_end},
	{"upstream_link.html", NULL, lk_ui_file_upstream_link, lk_ui_file_upstream_link_end},
	{"admin.html", NULL, lk_ui_file_admin, lk_ui_file_admin_end},
	{"latchkey.css", CT_CSS, lk_ui_file_css, lk_ui_file_css_end},
	{"form_post.js", CT_JS, lk_ui_file_js, lk_ui_file_js_end},
	{"admin.css", CT_CSS, lk_ui_file_admin_css, lk_ui_file_admin_css_end},
	{"admin.js", CT_JS, lk_ui_file_admin_js, lk_ui_file_admin_js_end},
};

#define NFILES (sizeof(files) / sizeof(files[0]))

/* A file loaded from template_dir in place of a built-in one. */
struct loaded {
	bool present;
	unsigned char *data; /* never NULL when present, even for an empty file */
	size_t len;
	struct lk_ui_tpl *tpl; /* templates only */
};

/* Longest "dir/name" accepted; PATH_MAX on Linux. */
#define PATH_LEN_MAX 4096

static struct lk_ui_tpl *builtin_tpl[NFILES];
static atomic_bool builtin_ready;
static pthread_mutex_t builtin_lock = PTHREAD_MUTEX_INITIALIZER;

/* Written only by lk_ui_load_dir and lk_ui_reset, before serving. */
static struct loaded loaded[NFILES];

/* The two symbols are distinct objects, so the size goes through integers. */
static size_t builtin_len(const struct file *f)
{
	return (size_t)((uintptr_t)f->end - (uintptr_t)f->start);
}

/* The index of a built-in file name, or -1. */
static int find_file(const char *name)
{
	for (size_t i = 0; i < NFILES; i++)
		if (strcmp(files[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Compiles the built-in templates the first time any is needed. What
 * compiled stays compiled, so a failure (out of memory) is retried on the
 * next call; a parse error is a bug in this tree, which the unit tests catch.
 */
static enum lk_err compile_builtins(void)
{
	enum lk_err err = LK_OK;

	if (atomic_load_explicit(&builtin_ready, memory_order_acquire))
		return LK_OK;
	pthread_mutex_lock(&builtin_lock);
	for (size_t i = 0; i < NFILES && !err; i++) {
		if (files[i].content_type || builtin_tpl[i])
			continue;
		err = lk_ui_tpl_parse(files[i].name, (const char *)files[i].start,
				      builtin_len(&files[i]), &builtin_tpl[i]);
	}
	if (!err)
		atomic_store_explicit(&builtin_ready, true, memory_order_release);
	pthread_mutex_unlock(&builtin_lock);
	return err == LK_EPARSE ? LK_EINTERNAL : err;
}

enum lk_err lk_ui_tpl_get(const char *name, const struct lk_ui_tpl **out)
{
	enum lk_err err;
	int i = find_file(name);

	if (i < 0 || files[i].content_type)
		return LK_ENOTFOUND;
	err = compile_builtins();
	if (err)
		return err;
	*out = loaded[i].present ? loaded[i].tpl : builtin_tpl[i];
	return LK_OK;
}

enum lk_err lk_ui_static(const char *name, const unsigned char **data, size_t *len,
			 const char **content_type)
{
	int i;

	if (!name || !data || !len || !content_type)
		return LK_EINVAL;
	i = find_file(name);
	if (i < 0 || !files[i].content_type)
		return LK_ENOTFOUND;
	if (loaded[i].present) {
		*data = loaded[i].data;
		*len = loaded[i].len;
	} else {
		*data = files[i].start;
		*len = builtin_len(&files[i]);
	}
	*content_type = files[i].content_type;
	return LK_OK;
}

static void drop_all(struct loaded *set)
{
	for (size_t i = 0; i < NFILES; i++) {
		lk_ui_tpl_free(set[i].tpl);
		free(set[i].data);
		set[i] = (struct loaded){0};
	}
}

void lk_ui_reset(void)
{
	drop_all(loaded);
}

/* Reads all of fd into body, which refuses to grow past LK_UI_FILE_MAX. */
static enum lk_err read_all(int fd, const char *path, struct lk_buf *body)
{
	char chunk[4096];
	ssize_t got;
	enum lk_err err;

	/* An empty file still gets storage, so present data is never NULL. */
	err = lk_buf_add(body, "", 0);
	while (!err) {
		got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			lk_error("cannot read '%s': %s", path, strerror(errno));
			return LK_EIO;
		}
		if (got == 0)
			break;
		err = lk_buf_add(body, chunk, (size_t)got);
	}
	if (err == LK_ETOOBIG)
		lk_error("'%s' is larger than %d bytes", path, LK_UI_FILE_MAX);
	return err;
}

/* Reads and, for a template, compiles the file of files[i] found in dir. */
static enum lk_err load_file(const char *dir, size_t i, struct loaded *out)
{
	struct lk_buf path, body;
	struct lk_ui_tpl *tpl = NULL;
	struct stat st;
	enum lk_err err;
	int fd = -1;

	lk_buf_init(&path, PATH_LEN_MAX);
	lk_buf_init(&body, LK_UI_FILE_MAX);
	err = lk_buf_addf(&path, "%s/%s", dir, files[i].name);
	if (err) {
		lk_error("template directory '%s': path too long", dir);
		goto out;
	}
	err = LK_EIO;
	fd = open(lk_buf_str(&path), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		lk_error("cannot open '%s': %s", lk_buf_str(&path), strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		lk_error("'%s' is not a regular file", lk_buf_str(&path));
		goto out;
	}
	err = read_all(fd, lk_buf_str(&path), &body);
	if (err)
		goto out;
	if (!files[i].content_type) {
		err = lk_ui_tpl_parse(lk_buf_str(&path), body.data, body.len, &tpl);
		if (err)
			goto out;
	}
	out->present = true;
	out->tpl = tpl;
	out->data = (unsigned char *)lk_buf_detach(&body, &out->len);
out:
	if (fd >= 0)
		close(fd);
	lk_buf_release(&path);
	lk_buf_release(&body);
	return err;
}

/*
 * The loaded set is replaced as a whole: a second call starts again from the
 * built-in files, and NULL or "" leaves only them.
 */
enum lk_err lk_ui_load_dir(const char *dir)
{
	struct loaded staged[NFILES] = {{0}};
	struct dirent *de;
	DIR *d = NULL;
	enum lk_err err;
	int i;

	/* Fail at start, not on the first page, if the built-ins are unusable. */
	err = compile_builtins();
	if (err)
		return err;
	if (!dir || !*dir) {
		lk_ui_reset();
		return LK_OK;
	}
	d = opendir(dir);
	if (!d) {
		lk_error("cannot open template directory '%s': %s", dir, strerror(errno));
		return LK_EIO;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		i = find_file(de->d_name);
		if (i < 0) {
			lk_warn("template directory '%s': ignoring '%s', which is not the name "
				"of a template or asset",
				dir, de->d_name);
			continue;
		}
		err = load_file(dir, (size_t)i, &staged[i]);
		if (err)
			goto out;
	}
	if (errno) {
		lk_error("cannot list template directory '%s': %s", dir, strerror(errno));
		err = LK_EIO;
		goto out;
	}
	drop_all(loaded);
	memcpy(loaded, staged, sizeof(loaded));
	memset(staged, 0, sizeof(staged));
	for (size_t k = 0; k < NFILES; k++)
		if (loaded[k].present)
			lk_info("template directory '%s': using its %s", dir, files[k].name);
out:
	drop_all(staged);
	closedir(d);
	return err;
}
