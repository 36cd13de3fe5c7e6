// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An interface's hooks as the attach path sees them (hooks.h): whose
 * programs are there, and whether there is a clsact qdisc.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "hooks.h"
#include "instance.h"
#include "log.h"

/* More maps than chimney's programs use. Of a program with more, only
 * the first ones are looked at: at worst one of ours is taken for a
 * foreign program, which is refused rather than touched. */
#define PROG_MAPS_MAX	64

int map_ids_read(const char *dir, struct map_ids *ids)
{
	struct bpf_map_info info;
	struct chimney_maps m;
	__u32 len;
	int i, fd;

	ids->n = 0;
	/* partial: a staging directory may be pinned in part */
	maps_open_dir(dir, &m, true);
	for (i = 0; i < CHIMNEY_NR_MAPS; i++) {
		fd = *maps_fd(&m, i);
		if (chimney_map_descs[i].kind != CHIMNEY_PINNED_MAP || fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			ids->id[ids->n++] = info.id;
	}
	maps_close(&m);
	return 0;
}

static bool ids_have(const struct map_ids *ids, const __u32 *map_ids, __u32 n)
{
	__u32 i;
	int j;

	for (i = 0; ids && i < n; i++)
		for (j = 0; j < ids->n; j++)
			if (map_ids[i] == ids->id[j])
				return true;
	return false;
}

struct owner_find {
	const __u32 *map_ids;
	__u32 n;
	char *dir;		/* found: the instance's pin directory */
};

/* One instance's maps against the program's: the first match wins. */
static int owner_cb(const char *netns, const char *ifname, void *arg)
{
	struct owner_find *f = arg;
	char dir[PATH_MAX];
	struct map_ids ids;

	if (pin_dir_path(dir, sizeof(dir), netns, ifname))
		return 0;
	map_ids_read(dir, &ids);
	if (!ids_have(&ids, f->map_ids, f->n))
		return 0;
	snprintf(f->dir, PATH_MAX, "%s", dir);
	return 1;		/* stops the walk */
}

/* Fill p for program id, and say whose it is. */
static int classify(__u32 id, const char *chimney_name,
		    const struct map_ids *mine, struct hook_prog *p)
{
	__u32 map_ids[PROG_MAPS_MAX];
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), n;
	struct owner_find f;
	int fd, err = 0;

	memset(p, 0, sizeof(*p));
	p->id = id;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	info.nr_map_ids = PROG_MAPS_MAX;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	snprintf(p->name, sizeof(p->name), "%s", info.name);
	memcpy(p->tag, info.tag, sizeof(p->tag));
	n = info.nr_map_ids < PROG_MAPS_MAX ? info.nr_map_ids : PROG_MAPS_MAX;
	if (ids_have(mine, map_ids, n)) {
		p->owner = HOOK_OURS;
		goto out;
	}
	f = (struct owner_find){ .map_ids = map_ids, .n = n, .dir = p->owner_dir };
	if (for_each_instance(owner_cb, &f) > 0)
		p->owner = HOOK_INSTANCE;
	else if (!strcmp(p->name, chimney_name))
		p->owner = HOOK_ORPHAN;
	else
		p->owner = HOOK_FOREIGN;
out:
	close(fd);
	return err;
}

/* Which of two programs on one hook tells more about it. */
static int rank(enum hook_owner o)
{
	static const int r[] = {
		[HOOK_EMPTY] = 0, [HOOK_FOREIGN] = 1, [HOOK_INSTANCE] = 2,
		[HOOK_ORPHAN] = 3, [HOOK_OURS] = 4,
	};

	return r[o];
}

int hook_xdp(int ifindex, const struct map_ids *mine, struct hook_prog *p,
	     __u32 *mode, bool *multi)
{
	struct xdp_multiprog *mp;
	struct xdp_program *x;
	struct hook_prog q;
	int err;

	memset(p, 0, sizeof(*p));
	*mode = 0;
	*multi = false;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT || (!err && !mp))
		return 0;
	if (err)
		return err;
	*mode = xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB ?
		CHIMNEY_XDP_SKB : CHIMNEY_XDP_NATIVE;
	if (xdp_multiprog__is_legacy(mp)) {
		x = xdp_multiprog__main_prog(mp);
		err = x ? classify(xdp_program__id(x), "chimney_xdp", mine, p) : 0;
		goto out;
	}
	*multi = true;
	for (x = xdp_multiprog__next_prog(NULL, mp); x;
	     x = xdp_multiprog__next_prog(x, mp)) {
		err = classify(xdp_program__id(x), "chimney_xdp", mine, &q);
		if (err)
			break;
		if (rank(q.owner) > rank(p->owner))
			*p = q;
	}
out:
	xdp_multiprog__close(mp);
	return err;
}

int hook_tc(int ifindex, __u32 handle, __u32 prio, const struct map_ids *mine,
	    struct hook_prog *p)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle,
			    .priority = prio);
	int err;

	memset(p, 0, sizeof(*p));
	err = bpf_tc_query(&hook, &opts);
	/* The kernel answers EINVAL for a hook without clsact (or without
	 * any filter chain yet), ENOENT for an empty slot. */
	if (err == -ENOENT || err == -EINVAL)
		return 0;
	if (err)
		return err;
	return classify(opts.prog_id, "chimney_tc", mine, p);
}

/*
 * libbpf creates clsact with NLM_F_EXCL and has no way to ask whether
 * there is one, so this asks rtnetlink for the qdiscs (a dump: the
 * kernel does not filter it by device) and looks for ifindex's clsact.
 */
int hook_clsact_exists(int ifindex)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		.nh.nlmsg_type = RTM_GETQDISC,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.tc.tcm_family = AF_UNSPEC,
		.tc.tcm_ifindex = ifindex,
	};
	char buf[16384] __attribute__((aligned(4)));
	struct nlmsghdr *nh;
	struct tcmsg *tc;
	struct rtattr *a;
	int fd, len, alen, found = 0, err = 0;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		err = -errno;
		goto out;
	}
	while (!done) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		for (nh = (void *)buf; NLMSG_OK(nh, (__u32)len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
				goto out;
			}
			if (nh->nlmsg_type != RTM_NEWQDISC)
				continue;
			tc = NLMSG_DATA(nh);
			if (tc->tcm_ifindex != ifindex ||
			    tc->tcm_parent != TC_H_CLSACT)
				continue;
			alen = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tc));
			for (a = (void *)(tc + 1); RTA_OK(a, alen);
			     a = RTA_NEXT(a, alen))
				if (a->rta_type == TCA_KIND &&
				    !strcmp(RTA_DATA(a), "clsact"))
					found = 1;
		}
	}
out:
	close(fd);
	return err ? err : found;
}

int hook_xdp_remove(int ifindex, const struct hook_prog *p, __u32 mode,
		    bool multi)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	__u32 flags = XDP_FLAGS_REPLACE |
		(mode == CHIMNEY_XDP_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	int fd, err;

	if (multi)
		return instance_xdp_detach(ifindex, p->id, mode);
	fd = bpf_prog_get_fd_by_id(p->id);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	opts.old_prog_fd = fd;
	err = bpf_xdp_detach(ifindex, flags, &opts);
	close(fd);
	/* EEXIST: another program is there now, which is not ours to take */
	return err == -EEXIST ? 0 : err;
}
