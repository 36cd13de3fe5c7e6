/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * An IPv4 or IPv6 address and a port, as text, into a socket address:
 * `chimney run --metrics` and the test tools (flowgen, mss_probe) share it.
 */
#ifndef CHIMNEY_NETADDR_H
#define CHIMNEY_NETADDR_H

#include <sys/socket.h>

/* host: a numeric IPv4 or IPv6 address; port: 1-65535, digits only.
 * Returns 0, or -EINVAL with *ss zeroed. */
int netaddr_parse(const char *host, const char *port,
		  struct sockaddr_storage *ss, socklen_t *len);

#endif
