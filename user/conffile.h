/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The config file of `chimney run --config`: INI, one section per
 * interface, [IFACE] or [NETNS/IFACE], holding the same KEY = VALUE
 * pairs as `attach` and `set`, plus `mode = native|skb` (attach --mode).
 */
#ifndef CHIMNEY_USER_CONFFILE_H
#define CHIMNEY_USER_CONFFILE_H

#include <chimney/config.h>

#include "config.h"

struct conf_iface {
	char *netns;		/* NULL: the root namespace */
	char *ifname;
	int line;		/* of the [section] header */
	char *mode;		/* "native", "skb" or NULL */
	struct config_line *lines;	/* the config keys, file order */
	int n;
	struct chimney_config cfg;	/* defaults + lines, validated */
};

struct conf_file {
	struct conf_iface *ifs;
	int n;
};

/*
 * Read and validate the whole file. On the first problem, print
 * "FILE:LINE: reason" and return -EINVAL (-errno when the file cannot
 * be read). only_netns (from `run -n NETNS`) makes [IFACE] mean that
 * namespace and refuses sections of other namespaces.
 */
int conf_load(const char *path, const char *only_netns, struct conf_file *cf);
void conf_free(struct conf_file *cf);

#endif /* CHIMNEY_USER_CONFFILE_H */
