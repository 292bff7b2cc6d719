#include "core/addr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

enum lk_err lk_addr_split(const char *listen, char *host, size_t hostlen, unsigned *port)
{
	const char *colon, *hs, *he;
	char *end;
	unsigned long p;

	if (listen[0] == '[') {
		hs = listen + 1;
		he = strchr(hs, ']');
		if (!he || he[1] != ':')
			return LK_EINVAL;
		colon = he + 1;
	} else {
		hs = listen;
		colon = strrchr(listen, ':');
		if (!colon || memchr(listen, ':', (size_t)(colon - listen)))
			return LK_EINVAL;
		he = colon;
	}
	if ((size_t)(he - hs) >= hostlen || he == hs)
		return LK_EINVAL;
	if (colon[1] < '0' || colon[1] > '9')
		return LK_EINVAL;
	p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || p > 65535 || end - (colon + 1) > 5)
		return LK_EINVAL;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	*port = (unsigned)p;
	return LK_OK;
}

bool lk_addr_is_loopback(const char *listen)
{
	char host[256];
	unsigned port;
	struct in_addr a4;
	struct in6_addr a6;

	if (lk_addr_split(listen, host, sizeof(host), &port))
		return false;
	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}
