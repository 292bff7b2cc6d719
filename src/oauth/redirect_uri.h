/*
 * Redirect URIs: what may be registered (DESIGN §1) and whether a requested
 * URI matches a registered one (DESIGN §2, RFC 8252 §7.3 for loopback).
 */
#ifndef LK_OAUTH_REDIRECT_URI_H
#define LK_OAUTH_REDIRECT_URI_H

#include <stdbool.h>
#include <stddef.h>

#include "store/records.h"

/* The redirect URI of mobile-title applications (the result goes in the title). */
#define LK_OOB_AUTO_URI "urn:ietf:wg:oauth:2.0:oob:auto"

/* The parts of an absolute hierarchical URI, pointing into the parsed string. */
struct lk_uri {
	const char *scheme;
	size_t scheme_len;
	const char *host; /* without brackets for IPv6 */
	size_t host_len;
	bool host_ipv6;
	int port;         /* -1 when absent */
	const char *rest; /* path, query and fragment: everything after the authority */
	const char *port_start; /* the ':' before the port, or the end of the host */
	const char *authority_end;
	bool has_userinfo;
	bool has_fragment;
};

/*
 * Parses scheme "://" authority [path] [? query] [# fragment] strictly: ASCII
 * only, no spaces, controls or backslashes, a valid port. false otherwise.
 */
bool lk_uri_parse(const char *s, struct lk_uri *out);

/*
 * The Content-Security-Policy source a page's form-action needs when its form
 * ends in a redirect to uri: a browser checks every redirect that follows
 * the form, and the target may redirect on to another origin (an identity
 * provider's callback to its own application), so an https URI gives
 * "https:", any other its scheme and host on any port ("http://127.0.0.1:*",
 * a native app's loopback URI, RFC 8252 §7.3); "" for anything else. Written
 * to out; LK_ETOOBIG (out "") when it does not fit.
 */
enum lk_err lk_uri_form_source(const char *uri, char *out, size_t outlen);

/* True for an absolute http(s) URL with a host (websites, logo URLs). */
bool lk_uri_is_web_url(const char *s);

/*
 * Whether uri may be registered for the strategy: web needs https; mobile-
 * localhost needs http://127.0.0.1, http://[::1] or https://localhost; none
 * may have a fragment or user info. On false, why receives the reason
 * ("must use https").
 */
bool lk_redirect_uri_check(const char *uri, enum lk_strategy strategy, char *why,
			   size_t whylen);

/*
 * Whether a requested redirect_uri matches one of the registered ones
 * (space-separated): an exact string match, except that for mobile-localhost
 * the port of a loopback URI is ignored (RFC 8252 §7.3).
 */
bool lk_redirect_uri_match(const char *registered, const char *requested,
			   enum lk_strategy strategy);

#endif
