/*
 * Outbound HTTP with libcurl (see outbound.h for
 * the limits and why).
 */
#include "http/outbound.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/secure.h"
#include "http/curl_lib.h"

/* The body being received: grown by doubling, the old copy zeroed each time. */
struct body {
	char *data;
	size_t len;
	size_t cap;
	bool too_big;
};

enum lk_err lk_outbound_global_init(void)
{
	enum lk_err err = lk_curl_load();

	if (err)
		return err;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? LK_OK : LK_EINTERNAL;
}

void lk_outbound_global_cleanup(void)
{
	if (lk_curl_load() == LK_OK)
		curl_global_cleanup();
}

/* A loopback host as libcurl's URL parser gives it (IPv6 without brackets). */
static bool loopback_host(const char *host)
{
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	    strcmp(host, "[::1]") == 0)
		return true;
	/* 127.0.0.0/8 in dotted-quad form; the parser has normalised the address. */
	return strncmp(host, "127.", 4) == 0 && strspn(host, "0123456789.") == strlen(host);
}

bool lk_outbound_url_allowed(const char *url)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
	bool ok = false;

	if (lk_curl_load() != LK_OK)
		return false;
	if (!url || strnlen(url, LK_OUTBOUND_URL_MAX + 1) > LK_OUTBOUND_URL_MAX)
		return false;
	u = curl_url();
	if (!u)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	/* Credentials in a URL would be sent to whoever the URL names. */
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
		goto out;
	if (strcmp(scheme, "https") == 0)
		ok = true;
	else if (strcmp(scheme, "http") == 0)
		ok = loopback_host(host);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(u);
	return ok;
}

/* libcurl's write callback: keeps at most LK_OUTBOUND_MAX_BODY bytes. */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb, cap;
	char *grown;

	if (n > LK_OUTBOUND_MAX_BODY - b->len) {
		b->too_big = true;
		return 0; /* a short count makes libcurl stop */
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		grown = malloc(cap);
		if (!grown)
			return 0;
		if (b->data) {
			memcpy(grown, b->data, b->len);
			lk_wipe(b->data, b->cap);
			free(b->data);
		}
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* The media type of a Content-Type value, lower-cased, without parameters. */
static void media_type(const char *ct, char *out, size_t outlen)
{
	size_t i = 0;

	for (; ct && ct[i] && ct[i] != ';' && !isspace((unsigned char)ct[i]) && i + 1 < outlen; i++)
		out[i] = (char)tolower((unsigned char)ct[i]);
	out[i] = '\0';
}

/* Sets the options every request shares; false when libcurl refuses one. */
static bool set_options(CURL *h, const struct lk_outbound_request *req, struct curl_slist *headers,
			struct body *b, char *errbuf)
{
	const char *ca = getenv("SSL_CERT_FILE");
	bool ok = curl_easy_setopt(h, CURLOPT_URL, req->url) == CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)LK_OUTBOUND_CONNECT_MS) ==
			  CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)LK_OUTBOUND_TOTAL_MS) == CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
				   (curl_off_t)LK_OUTBOUND_MAX_BODY) == CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_USERAGENT, "latchkey") == CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers) == CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) == CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_WRITEDATA, b) == CURLE_OK &&
		  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK;

	if (ok && ca && *ca)
		ok = curl_easy_setopt(h, CURLOPT_CAINFO, ca) == CURLE_OK;
	if (ok && req->form)
		ok = curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->form) == CURLE_OK &&
		     curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				      (curl_off_t)strlen(req->form)) == CURLE_OK;
	return ok;
}

/* The request's headers; the Authorization line is zeroed by free_headers. */
static struct curl_slist *make_headers(const struct lk_outbound_request *req, char **auth_line)
{
	struct curl_slist *list = NULL, *next;
	size_t n;

	*auth_line = NULL;
	list = curl_slist_append(list, "Accept: application/json");
	if (list && req->form) {
		next = curl_slist_append(list, "Content-Type: application/x-www-form-urlencoded");
		if (!next)
			goto fail;
		list = next;
	}
	if (list && req->authorization) {
		n = strlen("Authorization: ") + strlen(req->authorization) + 1;
		*auth_line = malloc(n);
		if (!*auth_line)
			goto fail;
		snprintf(*auth_line, n, "Authorization: %s", req->authorization);
		next = curl_slist_append(list, *auth_line);
		if (!next)
			goto fail;
		list = next;
	}
	return list;
fail:
	curl_slist_free_all(list);
	lk_free_secret(*auth_line);
	*auth_line = NULL;
	return NULL;
}

/* Frees the header list, zeroing the copy libcurl made of the Authorization line. */
static void free_headers(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		lk_wipe(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

enum lk_err lk_outbound_fetch(const struct lk_outbound_request *req,
			      struct lk_outbound_response *out)
{
	struct lk_outbound_response r = {0};
	struct body b = {0};
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	char *auth_line = NULL, *ct = NULL;
	CURL *h = NULL;
	CURLcode rc;
	enum lk_err err = LK_EINVAL;

	if (!req || !out || !lk_outbound_url_allowed(req->url))
		goto out;
	err = LK_ENOMEM;
	h = curl_easy_init();
	headers = make_headers(req, &auth_line);
	if (!h || !headers)
		goto out;
	err = LK_EINTERNAL;
	if (!set_options(h, req, headers, &b, errbuf))
		goto out;
	rc = curl_easy_perform(h);
	if (b.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		lk_warn("upstream %s: the answer is larger than %d bytes", req->url,
			LK_OUTBOUND_MAX_BODY);
		err = LK_ETOOBIG;
		goto out;
	}
	err = LK_EIO;
	if (rc != CURLE_OK) {
		lk_warn("upstream %s: %s", req->url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
	if (r.status >= 300 && r.status < 400) {
		lk_warn("upstream %s: redirected (%ld), which is not followed", req->url, r.status);
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		media_type(ct, r.content_type, sizeof(r.content_type));
	err = LK_ENOMEM;
	if (!b.data) {
		b.data = calloc(1, 1);
		if (!b.data)
			goto out;
		b.cap = 1;
	}
	r.body = b.data;
	r.len = b.len;
	b.data = NULL;
	*out = r;
	err = LK_OK;
out:
	if (b.data) {
		lk_wipe(b.data, b.cap);
		free(b.data);
	}
	free_headers(headers);
	lk_free_secret(auth_line);
	curl_easy_cleanup(h);
	return err;
}

void lk_outbound_response_release(struct lk_outbound_response *r)
{
	if (!r)
		return;
	if (r->body) {
		lk_wipe(r->body, r->len);
		free(r->body);
	}
	memset(r, 0, sizeof(*r));
}
