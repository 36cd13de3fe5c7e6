// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One interface as the kernel has it (see inspect.h): its XDP programs
 * through libxdp, its clsact filters and qdisc through rtnetlink dumps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "chimney.h"
#include "instance.h"
#include "inspect.h"
#include "log.h"
#include "nl.h"

/* The parents of clsact's two hooks, as tc names them. */
static __u32 hook_parent(enum iface_hook h)
{
	return TC_H_MAKE(TC_H_CLSACT, h == HOOK_TC_INGRESS ? TC_H_MIN_INGRESS :
							     TC_H_MIN_EGRESS);
}

const char *iface_hook_name(enum iface_hook h)
{
	return h == HOOK_XDP ? "xdp" :
	       h == HOOK_TC_INGRESS ? "tc ingress" : "tc egress";
}

bool iface_prog_chimney(const struct iface_prog *p)
{
	if (!p->id)
		return false;
	if (p->hook == HOOK_XDP)
		return !strcmp(p->name, CHIMNEY_XDP_PROG_NAME);
	return !strcmp(p->kind, "bpf") && !strcmp(p->name, CHIMNEY_TC_PROG_NAME);
}

/* The name and tag of program id; left empty when it is gone already. */
static void prog_ident(struct iface_prog *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, i;

	fd = bpf_prog_get_fd_by_id(p->id);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		snprintf(p->name, sizeof(p->name), "%s", info.name);
		for (i = 0; i < BPF_TAG_SIZE; i++)
			snprintf(p->tag + 2 * i, 3, "%02x", info.tag[i]);
	}
	close(fd);
}

static struct iface_prog *view_add(struct iface_view *v, enum iface_hook h,
				   __u32 id)
{
	struct iface_prog *p;

	p = realloc(v->p, (v->n + 1) * sizeof(*p));
	if (!p)
		return NULL;
	v->p = p;
	p = &v->p[v->n++];
	memset(p, 0, sizeof(*p));
	p->hook = h;
	p->id = id;
	if (id)
		prog_ident(p);
	return p;
}

static int xdp_add(struct iface_view *v, struct xdp_program *xp,
		   __u32 mode)
{
	struct iface_prog *p = view_add(v, HOOK_XDP, xdp_program__id(xp));

	if (!p)
		return -ENOMEM;
	p->xdp_mode = mode;
	return 0;
}

/* The XDP programs: the one attached, or each one the dispatcher runs. */
static int xdp_inspect(struct iface_view *v)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	__u32 mode;
	int err = 0;

	mp = xdp_multiprog__get_from_ifindex(v->ifindex);
	if (!mp || libxdp_get_error(mp))
		return 0;
	mode = xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB ? CHIMNEY_XDP_SKB :
								 CHIMNEY_XDP_NATIVE;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p)
			err = xdp_add(v, p, mode);
	} else {
		v->xdp_multi = true;
		for (p = xdp_multiprog__next_prog(NULL, mp); p && !err;
		     p = xdp_multiprog__next_prog(p, mp))
			err = xdp_add(v, p, mode);
	}
	xdp_multiprog__close(mp);
	return err;
}

struct tc_req {
	struct nlmsghdr nh;
	struct tcmsg t;
	char attrs[64];
};

static void tc_req_init(struct tc_req *r, __u16 type, __u16 flags,
			int ifindex, __u32 parent)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(r->t));
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = flags;
	r->t.tcm_family = AF_UNSPEC;
	r->t.tcm_ifindex = ifindex;
	r->t.tcm_parent = parent;
}

/* A message's attributes, after its struct tcmsg. */
static const struct nlattr *tc_attrs(const struct nlmsghdr *nh, int *len)
{
	*len = (int)nh->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct tcmsg)));
	return (const void *)((const char *)NLMSG_DATA(nh) +
			      NLMSG_ALIGN(sizeof(struct tcmsg)));
}

/* The length of the payload nla_find() returned. */
static int nla_payload_len(const void *payload)
{
	const struct nlattr *a = (const void *)((const char *)payload - NLA_HDRLEN);

	return a->nla_len - NLA_HDRLEN;
}

struct tc_dump {
	struct iface_view *v;
	enum iface_hook hook;
};

static int tc_filter_msg(const struct nlmsghdr *nh, void *arg)
{
	const struct tcmsg *t = NLMSG_DATA(nh);
	struct tc_dump *d = arg;
	const struct nlattr *a;
	const void *kind, *opts, *chain, *id;
	struct iface_prog *p;
	int len;

	if (nh->nlmsg_type != RTM_NEWTFILTER ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*t)))
		return 0;
	d->v->tc_entries++;
	/* handle 0: the head of a classifier instance, no filter */
	if (!t->tcm_handle)
		return 0;
	a = tc_attrs(nh, &len);
	kind = nla_find(a, len, TCA_KIND, 1);
	chain = nla_find(a, len, TCA_CHAIN, sizeof(__u32));
	opts = nla_find(a, len, TCA_OPTIONS, 0);
	id = NULL;
	if (kind && !strcmp(kind, "bpf") && opts)
		id = nla_find(opts, nla_payload_len(opts), TCA_BPF_ID,
			      sizeof(__u32));
	p = view_add(d->v, d->hook, id ? *(const __u32 *)id : 0);
	if (!p)
		return -ENOMEM;
	snprintf(p->kind, sizeof(p->kind), "%s", kind ? (const char *)kind : "?");
	p->handle = t->tcm_handle;
	p->prio = TC_H_MAJ(t->tcm_info) >> 16;
	p->proto = TC_H_MIN(t->tcm_info);
	p->chain = chain ? *(const __u32 *)chain : 0;
	return 0;
}

static int clsact_msg(const struct nlmsghdr *nh, void *arg)
{
	const struct tcmsg *t = NLMSG_DATA(nh);
	struct iface_view *v = arg;
	const struct nlattr *a;
	const char *kind;
	int len;

	if (nh->nlmsg_type != RTM_NEWQDISC ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*t)) ||
	    t->tcm_ifindex != v->ifindex)
		return 0;
	a = tc_attrs(nh, &len);
	kind = nla_find(a, len, TCA_KIND, 1);
	if (kind && !strcmp(kind, "clsact"))
		v->clsact = true;
	return 0;
}

static int tc_inspect(struct iface_view *v)
{
	static const enum iface_hook hooks[] = { HOOK_TC_INGRESS, HOOK_TC_EGRESS };
	struct tc_dump d = { .v = v };
	struct tc_req r;
	size_t i;
	int err;

	tc_req_init(&r, RTM_GETQDISC, NLM_F_DUMP, v->ifindex, 0);
	err = rtnl_talk(&r.nh, clsact_msg, v);
	for (i = 0; !err && v->clsact && i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		d.hook = hooks[i];
		tc_req_init(&r, RTM_GETTFILTER, NLM_F_DUMP, v->ifindex,
			    hook_parent(d.hook));
		err = rtnl_talk(&r.nh, tc_filter_msg, &d);
	}
	return err;
}

int iface_inspect(int ifindex, struct iface_view *v)
{
	int err;

	memset(v, 0, sizeof(*v));
	v->ifindex = ifindex;
	if (!if_indextoname(ifindex, v->name))
		return -errno;
	err = xdp_inspect(v);
	if (!err)
		err = tc_inspect(v);
	if (err)
		iface_view_free(v);
	return err;
}

void iface_view_free(struct iface_view *v)
{
	free(v->p);
	v->p = NULL;
	v->n = 0;
}

/*
 * A filter by its identity on its hook (kind, chain, priority, protocol
 * and handle): RTM_DELTFILTER, as `tc filter del` sends it.
 * bpf_tc_detach() cannot: it knows only protocol all and chain 0.
 */
static int tc_filter_delete(int ifindex, const struct iface_prog *p)
{
	struct tc_req r;

	tc_req_init(&r, RTM_DELTFILTER, 0, ifindex, hook_parent(p->hook));
	r.t.tcm_handle = p->handle;
	r.t.tcm_info = TC_H_MAKE((__u32)p->prio << 16, p->proto);
	nla_put(&r.nh, TCA_KIND, p->kind, strlen(p->kind) + 1);
	if (p->chain)
		nla_put(&r.nh, TCA_CHAIN, &p->chain, sizeof(p->chain));
	return rtnl_talk(&r.nh, NULL, NULL);
}

int iface_prog_remove(int ifindex, const struct iface_prog *p)
{
	if (p->hook == HOOK_XDP)
		return instance_xdp_detach(ifindex, p->id, p->xdp_mode);
	return tc_filter_delete(ifindex, p);
}

const struct iface_prog *iface_tc_recorded(const struct iface_view *v,
					    const struct chimney_meta *m)
{
	const struct iface_prog *p;
	int i;

	for (i = 0; i < v->n; i++) {
		p = &v->p[i];
		if (p->hook != HOOK_TC_EGRESS || p->handle != m->tc_handle ||
		    p->prio != m->tc_priority || p->chain)
			continue;
		/* Our slot, but is it our program? Another tool may have
		 * put its filter there after ours went. */
		if (p->id == m->tc_prog_id || iface_prog_chimney(p))
			return p;
	}
	return NULL;
}

int iface_clsact_release(int ifindex)
{
	struct iface_view v;
	int err;

	err = iface_inspect(ifindex, &v);
	if (err)
		return err;
	if (v.clsact && v.tc_entries) {
		iface_view_free(&v);
		return 1;
	}
	iface_view_free(&v);
	return v.clsact ? clsact_destroy(ifindex) : 0;
}
