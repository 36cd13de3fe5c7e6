// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A little netlink (see nl.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "nl.h"

void nla_put(struct nlmsghdr *nlh, __u16 type, const void *data, __u16 len)
{
	struct nlattr *a = (void *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

const void *nla_find(const struct nlattr *a, int len, __u16 type,
		     __u16 min_len)
{
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == type &&
		    a->nla_len - NLA_HDRLEN >= min_len)
			return (const char *)a + NLA_HDRLEN;
		len -= NLA_ALIGN(a->nla_len);
		a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

/*
 * The kernel sizes a dump's messages to the reader's buffer, up to
 * 32 KiB; one that does not fit is cut (MSG_TRUNC), never split.
 */
#define RTNL_BUF	65536

/* One datagram of the reply: 1 to read on, 0 at its end, or -errno. */
static int rtnl_one(const struct nlmsghdr *nh, size_t n, __u32 seq,
		    bool dump, rtnl_msg_fn fn, void *arg)
{
	const struct nlmsgerr *e;
	int err;

	for (; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_seq != seq)
			continue;
		switch (nh->nlmsg_type) {
		case NLMSG_DONE:
			return 0;
		case NLMSG_ERROR:
			e = NLMSG_DATA(nh);
			return e->error;	/* 0: the ack */
		case NLMSG_NOOP:
			continue;
		}
		if (!dump)
			continue;
		err = fn(nh, arg);
		if (err)
			return err;
	}
	return 1;
}

int rtnl_talk(struct nlmsghdr *req, rtnl_msg_fn fn, void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	bool dump = req->nlmsg_flags & NLM_F_DUMP;
	char *buf;
	ssize_t n;
	int fd, err;

	buf = malloc(RTNL_BUF);
	if (!buf)
		return -ENOMEM;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		err = -errno;
		goto out_free;
	}
	req->nlmsg_flags |= NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK);
	req->nlmsg_seq = 1;
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	do {
		n = recv(fd, buf, RTNL_BUF, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			err = 1;
		else if (n < 0)
			err = -errno;
		else if (n > RTNL_BUF)
			err = -EMSGSIZE;
		else
			err = rtnl_one((const void *)buf, n, 1, dump, fn, arg);
	} while (err == 1);
out:
	close(fd);
out_free:
	free(buf);
	return err;
}
