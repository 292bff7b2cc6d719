/*
 * The checks that involve more than one key, and the values derived from
 * others, made once every source has been applied.
 */
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/table.h"
#include "core/addr.h"

/* The most request threads; the same bound as [server] workers in the table. */
#define WORKERS_MAX 256

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

/* The server reads these files at start-up; saying now which one is wrong is kinder. */
static enum lk_err check_readable(const char *path, const char *key, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum lk_err e = LK_OK;

	if (fd < 0)
		return say(err, errlen, "[server] %s: cannot read %s: %s", key, path,
			   strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		e = say(err, errlen, "[server] %s: %s is not a regular file", key, path);
	close(fd);
	return e;
}

static enum lk_err check_server(const struct lk_config *cfg, char *err, size_t errlen)
{
	char host[256];
	unsigned port;
	bool cert = cfg->tls_cert[0] != '\0', key = cfg->tls_key[0] != '\0';
	enum lk_err e = LK_OK;

	if (lk_addr_split(cfg->listen, host, sizeof(host), &port))
		return say(err, errlen, "[server] listen: expected HOST:PORT");
	if (cert != key)
		return say(err, errlen, "[server] tls_cert and tls_key must be given together");
	if (cert)
		e = check_readable(cfg->tls_cert, "tls_cert", err, errlen);
	if (!e && key)
		e = check_readable(cfg->tls_key, "tls_key", err, errlen);
	if (e)
		return e;
	/*
	 * RFC 9700 §2.6 and RFC 6749 §3.1: credentials and tokens must not
	 * travel in the clear. A loopback address is a development set-up; a
	 * proxy is trusted to terminate TLS.
	 */
	if (!cert && !cfg->behind_proxy && !lk_addr_is_loopback(cfg->listen))
		return say(err, errlen,
			   "plain HTTP is allowed only on a loopback address; give --tls-cert and "
			   "--tls-key, or --behind-proxy");
	return LK_OK;
}

/*
 * The issuer: as given (checked, one trailing '/' removed so that URLs built
 * by appending "/oauth2/..." have no double slash), or http(s)://LISTEN.
 */
static enum lk_err make_issuer(const struct lk_config *cfg, char **out, char *err, size_t errlen)
{
	bool tls = cfg->tls_cert[0] != '\0';
	const char *reason;
	size_t len;
	char *s;

	if (cfg->issuer[0] == '\0') {
		len = strlen(cfg->listen) + sizeof("https://");
		s = malloc(len);
		if (!s)
			return LK_ENOMEM;
		snprintf(s, len, "%s://%s", tls ? "https" : "http", cfg->listen);
		*out = s;
		return LK_OK;
	}
	reason = lk_config_check_url(cfg->issuer, false);
	if (reason)
		return say(err, errlen, "[server] issuer: %s", reason);
	s = strdup(cfg->issuer);
	if (!s)
		return LK_ENOMEM;
	len = strlen(s);
	if (s[len - 1] == '/')
		s[len - 1] = '\0';
	*out = s;
	return LK_OK;
}

/* True when alg is one of the space-separated algorithms in list. */
static bool alg_listed(const char *list, const char *alg)
{
	size_t n, len = strlen(alg);

	for (list += strspn(list, " "); *list != '\0'; list += strspn(list, " ")) {
		n = strcspn(list, " ");
		if (n == len && memcmp(list, alg, n) == 0)
			return true;
		list += n;
	}
	return false;
}

static enum lk_err check_algs(const struct lk_config *cfg, char *err, size_t errlen)
{
	/* A token can only be signed with an algorithm that has a signing key. */
	if (!alg_listed(cfg->signing_algs, cfg->access_alg))
		return say(err, errlen,
			   "[tokens] access_alg: %s is not in [keys] signing_algs (%s)",
			   cfg->access_alg, cfg->signing_algs);
	if (!alg_listed(cfg->signing_algs, cfg->id_token_alg))
		return say(err, errlen,
			   "[tokens] id_token_alg: %s is not in [keys] signing_algs (%s)",
			   cfg->id_token_alg, cfg->signing_algs);
	return LK_OK;
}

static enum lk_err check_upstreams(const struct lk_config *cfg, char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < cfg->nupstreams; i++) {
		const struct lk_upstream_config *u = &cfg->upstreams[i];

		for (j = 0; j < lk_config_upstream_nkeys; j++) {
			const struct lk_config_key *k = &lk_config_upstream_keys[j];

			if (k->required && *(*LK_CONFIG_FIELD(u, k, char *const)) == '\0')
				return say(err, errlen, "[upstream.%s] %s: required", u->name,
					   k->name);
		}
	}
	return LK_OK;
}

static int core_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > WORKERS_MAX ? WORKERS_MAX : (int)n;
}

enum lk_err lk_config_finish(struct lk_config *cfg, char *err, size_t errlen)
{
	char *issuer = NULL, *names[LK_CONFIG_MAX_UPSTREAMS] = {NULL};
	enum lk_err e;
	size_t i;

	e = check_server(cfg, err, errlen);
	if (!e)
		e = check_algs(cfg, err, errlen);
	if (!e)
		e = check_upstreams(cfg, err, errlen);
	if (!e)
		e = make_issuer(cfg, &issuer, err, errlen);
	/* Everything that can fail happens before cfg changes. */
	for (i = 0; !e && i < cfg->nupstreams; i++) {
		if (cfg->upstreams[i].display_name[0] != '\0')
			continue;
		names[i] = strdup(cfg->upstreams[i].name);
		if (!names[i])
			e = LK_ENOMEM;
	}
	if (e)
		goto out;
	free(cfg->issuer);
	cfg->issuer = issuer;
	issuer = NULL;
	for (i = 0; i < cfg->nupstreams; i++) {
		if (!names[i])
			continue;
		free(cfg->upstreams[i].display_name);
		cfg->upstreams[i].display_name = names[i];
		names[i] = NULL;
	}
	if (cfg->workers == 0)
		cfg->workers = core_count();
out:
	free(issuer);
	for (i = 0; i < LK_CONFIG_MAX_UPSTREAMS; i++)
		free(names[i]);
	return e;
}
