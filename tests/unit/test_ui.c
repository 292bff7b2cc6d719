/*
 * The sign-in page layer (src/ui/): escaping, the template language, the
 * built-in pages and their form fields, static assets, and replacing files
 * from a template directory.
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ui/ui.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define OUT_MAX (64 * 1024)

static const char *const templates[] = {
	"layout.html", "login.html",	 "consent.html",	 "consent_scope.html", "error.html",
	"result.html", "form_post.html", "form_post_field.html", "message.html",
};

/* A fresh temporary directory; remove it with remove_dir. */
static void make_dir(char *path, size_t size)
{
	assert_true(size > sizeof("/tmp/lk-ui-XXXXXX"));
	memcpy(path, "/tmp/lk-ui-XXXXXX", sizeof("/tmp/lk-ui-XXXXXX"));
	assert_non_null(mkdtemp(path));
}

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	write_file(dir, name, text, strlen(text));
}

static void remove_dir(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(unlink(path), 0);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

/* Renders name into a fresh buffer; the caller releases it. */
static void render_ok(const char *name, const struct lk_ui_var *vars, size_t n, struct lk_buf *b)
{
	lk_buf_init(b, OUT_MAX);
	assert_int_equal(lk_ui_render(name, vars, n, b), LK_OK);
}

static void assert_has(const struct lk_buf *b, const char *what)
{
	if (!strstr(lk_buf_str(b), what))
		fail_msg("'%s' not found in:\n%s", what, lk_buf_str(b));
}

static void assert_lacks(const struct lk_buf *b, const char *what)
{
	if (strstr(lk_buf_str(b), what))
		fail_msg("'%s' unexpectedly found in:\n%s", what, lk_buf_str(b));
}

/*
 * Loads text as message.html from a temporary directory and renders it:
 * the way to try template syntax through the public interface.
 */
static char *render_text(const char *text, const struct lk_ui_var *vars, size_t n)
{
	char dir[64];
	struct lk_buf b;
	char *s;

	make_dir(dir, sizeof(dir));
	write_text(dir, "message.html", text);
	assert_int_equal(lk_ui_load_dir(dir), LK_OK);
	remove_dir(dir);
	render_ok("message.html", vars, n, &b);
	lk_ui_reset();
	s = lk_buf_detach(&b, NULL);
	return s ? s : strdup("");
}

static void assert_renders(const char *text, const struct lk_ui_var *vars, size_t n,
			   const char *want)
{
	char *got = render_text(text, vars, n);

	assert_string_equal(got, want);
	free(got);
}

/* What lk_ui_load_dir says of text as message.html. */
static enum lk_err load_text(const char *text)
{
	char dir[64];
	enum lk_err err;

	make_dir(dir, sizeof(dir));
	write_text(dir, "message.html", text);
	err = lk_ui_load_dir(dir);
	remove_dir(dir);
	return err;
}

static void escape_each_special_character(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"&", "&amp;"},
		{"<", "&lt;"},
		{">", "&gt;"},
		{"\"", "&quot;"},
		{"'", "&#39;"},
		{"plain text", "plain text"},
		{"", ""},
		{"a<b>&c\"d'e", "a&lt;b&gt;&amp;c&quot;d&#39;e"},
		{"<<&&>>", "&lt;&lt;&amp;&amp;&gt;&gt;"},
		{"&amp;", "&amp;amp;"},
		{"caf\xc3\xa9", "caf\xc3\xa9"},
	};
	struct lk_buf b;
	char want[64];

	for (size_t i = 0; i < N(cases); i++) {
		/* Escaping appends to what is there. */
		lk_buf_init(&b, 100);
		assert_int_equal(lk_buf_addstr(&b, "["), LK_OK);
		assert_int_equal(lk_ui_escape(&b, cases[i].in), LK_OK);
		snprintf(want, sizeof(want), "[%s", cases[i].out);
		assert_string_equal(lk_buf_str(&b), want);
		lk_buf_release(&b);
	}
	/* NULL is the empty string. */
	lk_buf_init(&b, 100);
	assert_int_equal(lk_ui_escape(&b, NULL), LK_OK);
	assert_int_equal(b.len, 0);
	lk_buf_release(&b);
}

static void escape_respects_the_limit(void **state)
{
	struct lk_buf b;

	lk_buf_init(&b, 8);
	assert_int_equal(lk_buf_addstr(&b, "ab"), LK_OK);
	/* "<<" becomes 8 bytes: too many after "ab"; nothing is appended. */
	assert_int_equal(lk_ui_escape(&b, "<<"), LK_ETOOBIG);
	assert_string_equal(lk_buf_str(&b), "ab");
	assert_int_equal(lk_ui_escape(&b, "<x"), LK_OK);
	assert_string_equal(lk_buf_str(&b), "ab&lt;x");
	lk_buf_release(&b);
}

static void values_escaped_and_raw(void **state)
{
	const struct lk_ui_var vars[] = {{"v", "<b>\"x\" & 'y'</b>"}, {"n", NULL}};

	assert_renders("{{v}}", vars, N(vars),
		       "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
	assert_renders("{{{v}}}", vars, N(vars), "<b>\"x\" & 'y'</b>");
	assert_renders("a{{ v }}b", vars, N(vars),
		       "a&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;b");
	/* NULL and unknown names are empty. */
	assert_renders("[{{n}}][{{{n}}}][{{nope}}][{{{nope}}}]", vars, N(vars), "[][][][]");
	assert_renders("[{{nope}}]", NULL, 0, "[]");
	/* A name is matched whole: "v" is not "vv", nor a prefix of it. */
	assert_renders("[{{vv}}]", vars, N(vars), "[]");
	/* Braces that are not a tag, and a lone closing pair, are text. */
	assert_renders("a { b } c }} d", vars, N(vars), "a { b } c }} d");
	assert_renders("", vars, N(vars), "");
}

static void sections_and_inverted_sections(void **state)
{
	const struct lk_ui_var full[] = {{"a", "x"}};
	const struct lk_ui_var empty[] = {{"a", ""}};
	const struct lk_ui_var null[] = {{"a", NULL}};
	const char *t = "[{{#a}}yes {{a}}{{/a}}|{{^a}}no{{/a}}]";

	assert_renders(t, full, 1, "[yes x|]");
	assert_renders(t, empty, 1, "[|no]");
	assert_renders(t, null, 1, "[|no]");
	assert_renders(t, NULL, 0, "[|no]");
	/* A section may hold a raw value and nothing at all. */
	assert_renders("{{#a}}{{/a}}{{^a}}{{/a}}", full, 1, "");
	assert_renders("{{#a}}<{{{a}}}>{{/a}}", full, 1, "<x>");
	/* Sections can be used again after they close. */
	assert_renders("{{#a}}1{{/a}}{{#a}}2{{/a}}", full, 1, "12");
}

static void nested_sections(void **state)
{
	const char *t = "{{#a}}A{{#b}}B{{^c}}!C{{/c}}{{/b}}{{^b}}-B{{/b}}{{/a}}{{^a}}-A{{/a}}.";
	const struct lk_ui_var ab[] = {{"a", "1"}, {"b", "1"}};
	const struct lk_ui_var abc[] = {{"a", "1"}, {"b", "1"}, {"c", "1"}};
	const struct lk_ui_var a[] = {{"a", "1"}};
	const struct lk_ui_var b[] = {{"b", "1"}};

	assert_renders(t, ab, N(ab), "AB!C.");
	assert_renders(t, abc, N(abc), "AB.");
	assert_renders(t, a, N(a), "A-B.");
	/* The inside of a false section is skipped whatever it holds. */
	assert_renders(t, b, N(b), "-A.");
}

static void unbalanced_templates_refused(void **state)
{
	static const char *const bad[] = {
		"{{#a}}open",
		"{{^a}}open",
		"close{{/a}}",
		"{{#a}}{{/b}}",
		"{{#a}}{{#b}}{{/a}}{{/b}}",
		"{{#a}}{{#b}}{{/b}}",
		"{{a",
		"{{a}",
		"{{{a}}",
		"{{{a}",
		"{{}}",
		"{{ }}",
		"{{#}}{{/}}",
		"{{!comment}}",
		"{{>partial}}",
		"{{a b}}",
		"{{a{{b}}",
		"{{{#a}}}",
		"line 1\nline 2 {{/x}}",
	};
	char deep[1024];
	size_t pos = 0;

	for (size_t i = 0; i < N(bad); i++) {
		if (load_text(bad[i]) != LK_EPARSE)
			fail_msg("accepted '%s'", bad[i]);
	}
	/* Nesting has a limit. */
	for (int i = 0; i < 40; i++)
		pos += (size_t)snprintf(deep + pos, sizeof(deep) - pos, "{{#s%d}}", i);
	for (int i = 39; i >= 0; i--)
		pos += (size_t)snprintf(deep + pos, sizeof(deep) - pos, "{{/s%d}}", i);
	assert_true(pos < sizeof(deep));
	assert_int_equal(load_text(deep), LK_EPARSE);
	lk_ui_reset();
}

static void render_unknown_and_limits(void **state)
{
	const struct lk_ui_var vars[] = {{"heading", "Signed out"}, {"message", "Bye."}};
	struct lk_buf b;

	lk_buf_init(&b, OUT_MAX);
	assert_int_equal(lk_ui_render("nope.html", NULL, 0, &b), LK_ENOTFOUND);
	/* Static files are not templates, and templates are not static files. */
	assert_int_equal(lk_ui_render("latchkey.css", NULL, 0, &b), LK_ENOTFOUND);
	assert_int_equal(lk_ui_render(NULL, NULL, 0, &b), LK_EINVAL);
	assert_int_equal(b.len, 0);
	lk_buf_release(&b);

	/* Past the limit nothing is appended: all of a page or none of it. */
	lk_buf_init(&b, 40);
	assert_int_equal(lk_buf_addstr(&b, "keep"), LK_OK);
	assert_int_equal(lk_ui_render("message.html", vars, N(vars), &b), LK_ETOOBIG);
	assert_string_equal(lk_buf_str(&b), "keep");
	assert_int_equal(lk_ui_page("message.html", "t", vars, N(vars), &b), LK_ETOOBIG);
	assert_string_equal(lk_buf_str(&b), "keep");
	lk_buf_release(&b);
}

static void page_wraps_in_the_layout(void **state)
{
	const struct lk_ui_var vars[] = {{"heading", "Signed out"},
					 {"message", "You have signed out."}};
	struct lk_buf b;
	const char *s, *main_at, *msg_at, *end_at;

	lk_buf_init(&b, OUT_MAX);
	assert_int_equal(lk_ui_page("message.html", "Signed <out> & \"gone\"", vars, N(vars), &b),
			 LK_OK);
	s = lk_buf_str(&b);
	assert_true(strncmp(s, "<!DOCTYPE html>", 15) == 0);
	assert_has(&b, "<html lang=\"en\">");
	assert_has(&b, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
	assert_has(&b, "<title>Signed &lt;out&gt; &amp; &quot;gone&quot;</title>");
	assert_has(&b, "<link rel=\"stylesheet\" href=\"/static/latchkey.css\">");
	assert_has(&b, "latchkey</span>");
	/* The page is inside <main>, unescaped. */
	main_at = strstr(s, "<main");
	msg_at = strstr(s, "<p>You have signed out.</p>");
	end_at = strstr(s, "</main>");
	assert_non_null(main_at);
	assert_non_null(msg_at);
	assert_non_null(end_at);
	assert_true(main_at < msg_at && msg_at < end_at);
	assert_has(&b, "</html>");

	/* The mobile-title strategy reads the title back as text. */
	lk_buf_reset(&b);
	assert_int_equal(
		lk_ui_page("result.html", "Success code=lk_ac_1&state=x y", vars, N(vars), &b),
		LK_OK);
	assert_has(&b, "<title>Success code=lk_ac_1&amp;state=x y</title>");
	assert_int_equal(lk_ui_page("nope.html", "t", NULL, 0, &b), LK_ENOTFOUND);
	lk_buf_release(&b);
}

static void login_page(void **state)
{
	const struct lk_ui_var vars[] = {
		{"app_name", "Reports <Beta>"},
		{"action", "/login"},
		{"request", "req-123"},
		{"csrf", "lk_csrf_abc"},
		{"username", "alice\"x"},
		{"error", "Wrong username or password"},
		{"notice", "Your password was changed"},
		{"upstreams", "<a class=\"lk-button\" href=\"/login/upstream/corp\">Sign in with "
			      "Corp</a>"},
		{"signup_url", "/signup?request=req-123"},
	};
	struct lk_buf b;

	render_ok("login.html", vars, N(vars), &b);
	assert_has(&b, ">Sign in</h1>");
	assert_has(&b, "to continue to <strong>Reports &lt;Beta&gt;</strong>");
	assert_has(&b, "method=\"post\" action=\"/login\"");
	assert_has(&b, "<input type=\"hidden\" name=\"request\" value=\"req-123\">");
	assert_has(&b, "<input type=\"hidden\" name=\"csrf\" value=\"lk_csrf_abc\">");
	assert_has(&b, "name=\"username\" type=\"text\" value=\"alice&quot;x\" "
		       "autocomplete=\"username\"");
	assert_has(&b, "name=\"password\" type=\"password\" autocomplete=\"current-password\"");
	assert_has(&b, "<label for=\"lk-username\">");
	assert_has(&b, "<label for=\"lk-password\">");
	assert_has(&b, "role=\"alert\">Wrong username or password</div>");
	assert_has(&b, ">Your password was changed</div>");
	assert_has(&b, "type=\"submit\">Sign in</button>");
	assert_has(&b, "href=\"/login/upstream/corp\">Sign in with Corp</a>");
	assert_has(&b, "<a href=\"/signup?request=req-123\">Create an account</a>");
	lk_buf_release(&b);

	/* The optional parts disappear when their values are empty. */
	render_ok("login.html", vars, 4, &b);
	assert_lacks(&b, "role=\"alert\"");
	assert_lacks(&b, "Create an account");
	assert_lacks(&b, "lk-upstreams");
	assert_lacks(&b, "lk-alert");
	assert_has(&b, "name=\"username\" type=\"text\" value=\"\"");
	lk_buf_release(&b);
}

static void consent_page(void **state)
{
	const struct lk_ui_var s1[] = {{"name", "email"}, {"description", "See your <email>"}};
	const struct lk_ui_var s2[] = {{"name", "api"}, {"description", ""}};
	struct lk_buf scopes, b;

	lk_buf_init(&scopes, OUT_MAX);
	assert_int_equal(lk_ui_render("consent_scope.html", s1, N(s1), &scopes), LK_OK);
	assert_int_equal(lk_ui_render("consent_scope.html", s2, N(s2), &scopes), LK_OK);
	assert_has(&scopes, "<li");
	assert_has(&scopes, "See your &lt;email&gt;");
	assert_has(&scopes, ">email</small>");
	assert_has(&scopes, ">api</small>");

	const struct lk_ui_var vars[] = {
		{"app_name", "Reports"}, {"app_website", "https://reports.example/?a=1&b=2"},
		{"user", "alice"},	 {"scopes", lk_buf_str(&scopes)},
		{"action", "/consent"},	 {"request", "req-9"},
		{"csrf", "lk_csrf_z"},
	};
	render_ok("consent.html", vars, N(vars), &b);
	assert_has(&b, ">Reports wants to access your account</h1>");
	assert_has(&b, "<a href=\"https://reports.example/?a=1&amp;b=2\"");
	assert_has(&b, ">alice</strong>");
	assert_has(&b, "See your &lt;email&gt;");
	assert_has(&b, "method=\"post\" action=\"/consent\"");
	assert_has(&b, "<input type=\"hidden\" name=\"request\" value=\"req-9\">");
	assert_has(&b, "<input type=\"hidden\" name=\"csrf\" value=\"lk_csrf_z\">");
	assert_has(&b, "type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>");
	assert_has(&b, "type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>");
	/* One form holds both buttons. */
	assert_non_null(strstr(lk_buf_str(&b), "<form"));
	assert_null(strstr(strstr(lk_buf_str(&b), "<form") + 1, "<form"));
	lk_buf_release(&b);

	/* No website, no link. */
	render_ok("consent.html", vars + 2, N(vars) - 2, &b);
	assert_lacks(&b, "<a href");
	lk_buf_release(&b);
	lk_buf_release(&scopes);
}

static void card_pages(void **state)
{
	static const char *const cards[] = {"error.html", "result.html", "message.html"};
	const struct lk_ui_var vars[] = {{"heading", "Access <denied>"},
					 {"message", "Try & again"}};
	struct lk_buf b;

	for (size_t i = 0; i < N(cards); i++) {
		render_ok(cards[i], vars, N(vars), &b);
		assert_has(&b, ">Access &lt;denied&gt;</h1>");
		assert_has(&b, "Try &amp; again");
		lk_buf_release(&b);
	}
}

static void form_post_page(void **state)
{
	const struct lk_ui_var f1[] = {{"name", "code"}, {"value", "lk_ac_1"}};
	const struct lk_ui_var f2[] = {{"name", "state"}, {"value", "\"><script>"}};
	struct lk_buf fields, b;
	const char *s;

	lk_buf_init(&fields, OUT_MAX);
	assert_int_equal(lk_ui_render("form_post_field.html", f1, N(f1), &fields), LK_OK);
	assert_int_equal(lk_ui_render("form_post_field.html", f2, N(f2), &fields), LK_OK);
	assert_has(&fields, "<input type=\"hidden\" name=\"code\" value=\"lk_ac_1\">");
	assert_has(&fields,
		   "<input type=\"hidden\" name=\"state\" value=\"&quot;&gt;&lt;script&gt;\">");

	const struct lk_ui_var vars[] = {
		{"action", "https://app.example/cb?x=1&y=2"},
		{"fields", lk_buf_str(&fields)},
	};
	render_ok("form_post.html", vars, N(vars), &b);
	s = lk_buf_str(&b);
	assert_has(&b, "<form id=\"form_post\"");
	assert_has(&b, "method=\"post\" action=\"https://app.example/cb?x=1&amp;y=2\"");
	assert_has(&b, "name=\"code\" value=\"lk_ac_1\"");
	assert_has(&b, "<noscript>");
	assert_has(&b, "type=\"submit\">Continue</button>");
	/* The script comes last, after the form it submits. */
	assert_true(strstr(s, "<script src=\"/static/form_post.js\"></script>") >
		    strstr(s, "</form>"));
	lk_buf_release(&b);
	lk_buf_release(&fields);
}

/* No attribute such as onclick= or onload=. */
static void assert_no_event_handler(const struct lk_buf *b)
{
	const char *s = lk_buf_str(b);

	for (s = strstr(s, " on"); s; s = strstr(s + 1, " on")) {
		const char *c = s + 3;

		while (*c >= 'a' && *c <= 'z')
			c++;
		if (*c == '=')
			fail_msg("event handler attribute at: %.40s", s);
	}
}

/*
 * Under a CSP of script-src 'self' and style-src 'self', no built-in
 * template may hold an inline script, a style element or a style attribute.
 */
static void builtins_are_csp_clean(void **state)
{
	struct lk_buf b;
	const char *s;

	for (size_t i = 0; i < N(templates); i++) {
		render_ok(templates[i], NULL, 0, &b);
		assert_lacks(&b, "style=");
		assert_lacks(&b, "<style");
		assert_no_event_handler(&b);
		for (s = strstr(lk_buf_str(&b), "<script"); s; s = strstr(s + 1, "<script"))
			assert_true(strncmp(s, "<script src=", 12) == 0);
		lk_buf_release(&b);
	}
}

static void static_assets(void **state)
{
	const unsigned char *data;
	const char *ct;
	size_t len;

	assert_int_equal(lk_ui_static("latchkey.css", &data, &len, &ct), LK_OK);
	assert_string_equal(ct, "text/css; charset=utf-8");
	assert_true(len > 100);
	assert_non_null(memmem(data, len, ":focus-visible", 14));
	assert_non_null(memmem(data, len, "prefers-color-scheme", 20));

	assert_int_equal(lk_ui_static("form_post.js", &data, &len, &ct), LK_OK);
	assert_string_equal(ct, "text/javascript; charset=utf-8");
	assert_non_null(memmem(data, len, "getElementById(\"form_post\")", 27));

	assert_int_equal(lk_ui_static("login.html", &data, &len, &ct), LK_ENOTFOUND);
	assert_int_equal(lk_ui_static("nope.css", &data, &len, &ct), LK_ENOTFOUND);
	assert_int_equal(lk_ui_static("../latchkey.css", &data, &len, &ct), LK_ENOTFOUND);
	assert_int_equal(lk_ui_static("", &data, &len, &ct), LK_ENOTFOUND);
}

static void load_dir_replaces_and_resets(void **state)
{
	const struct lk_ui_var vars[] = {{"heading", "H"}, {"message", "M"}};
	const unsigned char *data;
	const char *ct;
	size_t len, builtin_css_len;
	struct lk_buf b;
	char dir[64];

	assert_int_equal(lk_ui_static("latchkey.css", &data, &len, &ct), LK_OK);
	builtin_css_len = len;

	make_dir(dir, sizeof(dir));
	write_text(dir, "message.html", "<p class=\"mine\">{{heading}}: {{message}}</p>");
	write_text(dir, "latchkey.css", "body{color:red}");
	write_text(dir, "unrelated.txt", "ignored with a warning");
	assert_int_equal(lk_ui_load_dir(dir), LK_OK);

	render_ok("message.html", vars, N(vars), &b);
	assert_string_equal(lk_buf_str(&b), "<p class=\"mine\">H: M</p>");
	lk_buf_release(&b);
	/* The others stay built-in. */
	render_ok("error.html", vars, N(vars), &b);
	assert_has(&b, "lk-card-error");
	lk_buf_release(&b);
	assert_int_equal(lk_ui_static("latchkey.css", &data, &len, &ct), LK_OK);
	assert_int_equal(len, 15);
	assert_memory_equal(data, "body{color:red}", 15);
	assert_string_equal(ct, "text/css; charset=utf-8");

	/* A bad file anywhere in the directory replaces nothing. */
	write_text(dir, "message.html", "{{#heading}}unclosed");
	write_text(dir, "error.html", "<p>new error page</p>");
	assert_int_equal(lk_ui_load_dir(dir), LK_EPARSE);
	render_ok("message.html", vars, N(vars), &b);
	assert_string_equal(lk_buf_str(&b), "<p class=\"mine\">H: M</p>");
	lk_buf_release(&b);
	render_ok("error.html", vars, N(vars), &b);
	assert_has(&b, "lk-card-error");
	lk_buf_release(&b);

	/* Back to the built-in files. */
	lk_ui_reset();
	render_ok("message.html", vars, N(vars), &b);
	assert_lacks(&b, "mine");
	assert_has(&b, ">H</h1>");
	lk_buf_release(&b);
	assert_int_equal(lk_ui_static("latchkey.css", &data, &len, &ct), LK_OK);
	assert_int_equal(len, builtin_css_len);
	remove_dir(dir);
}

static void load_dir_errors(void **state)
{
	const struct lk_ui_var vars[] = {{"heading", "H"}};
	char *big;
	char dir[64];
	char sub[128];
	struct lk_buf b;

	assert_int_equal(lk_ui_load_dir(NULL), LK_OK);
	assert_int_equal(lk_ui_load_dir(""), LK_OK);
	assert_int_equal(lk_ui_load_dir("/nonexistent/lk-ui-dir"), LK_EIO);

	make_dir(dir, sizeof(dir));
	/* One byte past the limit. */
	big = malloc(LK_UI_FILE_MAX + 1);
	assert_non_null(big);
	memset(big, 'x', LK_UI_FILE_MAX + 1);
	write_file(dir, "latchkey.css", big, LK_UI_FILE_MAX + 1);
	assert_int_equal(lk_ui_load_dir(dir), LK_ETOOBIG);
	/* At the limit it is fine. */
	write_file(dir, "latchkey.css", big, LK_UI_FILE_MAX);
	write_file(dir, "message.html", "", 0);
	assert_int_equal(lk_ui_load_dir(dir), LK_OK);
	free(big);
	/* An empty template renders nothing. */
	render_ok("message.html", vars, N(vars), &b);
	assert_int_equal(b.len, 0);
	lk_buf_release(&b);

	/* A directory under a template's name is not a file. */
	snprintf(sub, sizeof(sub), "%s/login.html", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(lk_ui_load_dir(dir), LK_EIO);
	assert_int_equal(rmdir(sub), 0);
	/* The earlier load is still in place. */
	render_ok("message.html", vars, N(vars), &b);
	assert_int_equal(b.len, 0);
	lk_buf_release(&b);

	/* An empty directory, or NULL, goes back to the built-in files. */
	remove_dir(dir);
	make_dir(dir, sizeof(dir));
	assert_int_equal(lk_ui_load_dir(dir), LK_OK);
	render_ok("message.html", vars, N(vars), &b);
	assert_has(&b, ">H</h1>");
	lk_buf_release(&b);
	remove_dir(dir);
	lk_ui_reset();
}

struct render_job {
	int ok;
};

static void *render_many(void *arg)
{
	struct render_job *job = arg;
	const struct lk_ui_var vars[] = {{"app_name", "A"}, {"csrf", "c"}};
	struct lk_buf b;

	job->ok = 1;
	for (int i = 0; i < 200 && job->ok; i++) {
		lk_buf_init(&b, OUT_MAX);
		if (lk_ui_page("login.html", "Sign in", vars, N(vars), &b) != LK_OK ||
		    !strstr(lk_buf_str(&b), "name=\"csrf\" value=\"c\""))
			job->ok = 0;
		lk_buf_release(&b);
	}
	return NULL;
}

/* Runs first, so that the built-in templates are compiled under contention. */
static void concurrent_first_use(void **state)
{
	pthread_t th[8];
	struct render_job jobs[8];

	for (size_t i = 0; i < N(th); i++)
		assert_int_equal(pthread_create(&th[i], NULL, render_many, &jobs[i]), 0);
	for (size_t i = 0; i < N(th); i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_true(jobs[i].ok);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_first_use),
		cmocka_unit_test(escape_each_special_character),
		cmocka_unit_test(escape_respects_the_limit),
		cmocka_unit_test(values_escaped_and_raw),
		cmocka_unit_test(sections_and_inverted_sections),
		cmocka_unit_test(nested_sections),
		cmocka_unit_test(unbalanced_templates_refused),
		cmocka_unit_test(render_unknown_and_limits),
		cmocka_unit_test(page_wraps_in_the_layout),
		cmocka_unit_test(login_page),
		cmocka_unit_test(consent_page),
		cmocka_unit_test(card_pages),
		cmocka_unit_test(form_post_page),
		cmocka_unit_test(builtins_are_csp_clean),
		cmocka_unit_test(static_assets),
		cmocka_unit_test(load_dir_replaces_and_resets),
		cmocka_unit_test(load_dir_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
