/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A little netlink: attributes in and out, and rtnetlink requests and
 * dumps. libbpf keeps its netlink code private and has no "list the
 * filters of a hook", so what chimney asks of rtnetlink itself (the TC
 * filters and qdiscs of an interface) goes through here. Every request
 * runs in the network namespace the calling thread is in.
 */
#ifndef CHIMNEY_USER_NL_H
#define CHIMNEY_USER_NL_H

#include <linux/netlink.h>
#include <linux/types.h>

/* Append attribute type with len bytes of data to the message. */
void nla_put(struct nlmsghdr *nlh, __u16 type, const void *data, __u16 len);
/* The payload of attribute type among len bytes of attributes, or NULL. */
const void *nla_find(const struct nlattr *a, int len, __u16 type,
		     __u16 min_len);

/*
 * Send req on a fresh NETLINK_ROUTE socket. With NLM_F_DUMP, fn sees
 * every message of the reply until NLMSG_DONE (a non-zero return stops
 * the dump and is returned); without it, req is acked (NLM_F_ACK is
 * set here) and fn is not called. 0 or a negative errno, the kernel's
 * own for a refused request.
 */
typedef int (*rtnl_msg_fn)(const struct nlmsghdr *nh, void *arg);
int rtnl_talk(struct nlmsghdr *req, rtnl_msg_fn fn, void *arg);

#endif /* CHIMNEY_USER_NL_H */
