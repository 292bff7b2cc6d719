/*
 * The policy a password chosen at self sign-up must meet (DESIGN §3): long
 * enough in characters, not absurdly long in bytes, not one of the common
 * passwords shipped with latchkey, and not the person's own user name or
 * email. Pure logic: no store, no HTTP.
 */
#ifndef LK_OAUTH_PASSWORD_POLICY_H
#define LK_OAUTH_PASSWORD_POLICY_H

#include <stdbool.h>
#include <stddef.h>

/* What is wrong with a password, in the order the checks run. */
enum lk_pw_problem {
	LK_PW_OK = 0,
	LK_PW_ENCODING,	 /* not valid UTF-8, so its characters cannot be counted */
	LK_PW_TOO_SHORT, /* fewer than the minimum of characters (code points) */
	LK_PW_TOO_LONG,	 /* more than LK_PASSWORD_MAX bytes */
	LK_PW_COMMON,	 /* on the list of common passwords */
	LK_PW_NAME,	 /* the user name, the email or the email's local part */
};

/*
 * Checks password against the policy: at least min_chars Unicode code points,
 * at most LK_PASSWORD_MAX bytes, not on the common list (case-insensitively),
 * and not equal, case-insensitively, to username, email or the part of email
 * before its last '@'. username and email may be NULL or "" (not compared).
 * The first problem found, or LK_PW_OK.
 */
enum lk_pw_problem lk_password_policy_check(const char *password, int min_chars,
					    const char *username, const char *email);

/*
 * A sentence for the person choosing the password, naming min_chars where it
 * matters, written into out (n bytes, always terminated). Never contains the
 * password.
 */
void lk_password_policy_message(enum lk_pw_problem problem, int min_chars, char *out, size_t n);

/*
 * The number of Unicode code points in the UTF-8 text s (len bytes) into
 * *chars; false, with *chars untouched, when s is not valid UTF-8 (overlong
 * forms, surrogates, values past U+10FFFF and truncated sequences included).
 */
bool lk_utf8_count(const char *s, size_t len, size_t *chars);

/*
 * Whether password is on the common list, compared without regard to ASCII
 * case. The list is embedded in the binary and indexed on first use.
 */
bool lk_password_is_common(const char *password);

/* How many entries the common list has (for tests). */
size_t lk_password_common_count(void);

#endif
