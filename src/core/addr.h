/*
 * Listen addresses: "HOST:PORT" with HOST a name, an IPv4 address or an IPv6
 * address in brackets ("[::1]:8080").
 */
#ifndef LK_CORE_ADDR_H
#define LK_CORE_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/*
 * Splits a listen address into host (brackets removed) and port. LK_EINVAL
 * when there is no port, the port is not 0-65535, or host does not fit.
 */
enum lk_err lk_addr_split(const char *listen, char *host, size_t hostlen, unsigned *port);

/*
 * True when the host of a listen address is a loopback address: 127.0.0.0/8,
 * ::1 or "localhost". Plain HTTP is allowed only there (or behind a proxy).
 */
bool lk_addr_is_loopback(const char *listen);

#endif
