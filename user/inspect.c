// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Pinned instances against the kernel (see inspect.h): which of their
 * programs are really attached, where their interface went, and which
 * of chimney's programs no pins record.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "chimney.h"
#include "inspect.h"
#include "log.h"

#define NETNS_RUN_DIR	"/run/netns"

bool netns_exists(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (!name || !strcmp(name, CHIMNEY_DEFAULT_NS))
		return true;
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	return !stat(path, &st);
}

/* From wherever the last ns_enter() left us into name (NULL: root). */
static int netns_switch(const char *name)
{
	int err = ns_restore();

	if (err)
		return err;
	return name && strcmp(name, CHIMNEY_DEFAULT_NS) ? ns_enter(name) : 0;
}

int for_each_netns(const char *only, netns_fn fn, void *arg)
{
	struct dirent *de;
	DIR *d;
	int err;

	if (only) {
		if (!strcmp(only, CHIMNEY_DEFAULT_NS))
			only = NULL;
		err = netns_switch(only);
		if (!err)
			err = fn(only, arg);
		ns_restore();
		return err;
	}
	err = netns_switch(NULL);
	if (!err)
		err = fn(NULL, arg);
	d = opendir(NETNS_RUN_DIR);
	while (!err && d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		/* ns_enter() says why it cannot; the others still count */
		if (netns_switch(de->d_name))
			continue;
		err = fn(de->d_name, arg);
	}
	if (d)
		closedir(d);
	ns_restore();
	return err;
}

int inst_check(const char *netns, const char *ifname, struct inst_check *c)
{
	struct chimney_ctx ctx = { .netns = netns, .ifname = ifname };
	const struct iface_prog *f;
	struct iface_view v;
	int err, i;

	memset(c, 0, sizeof(*c));
	c->netns = netns;
	snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
	err = pin_dir_path(c->pin_dir, sizeof(c->pin_dir), netns, ifname);
	if (err)
		return err;
	snprintf(ctx.pin_dir, sizeof(ctx.pin_dir), "%s", c->pin_dir);
	c->meta_err = instance_read_meta(&ctx, &c->meta);
	if (!netns_exists(netns)) {
		c->netns_gone = true;
		return 0;
	}
	c->netns_err = netns_switch(netns);
	if (c->netns_err || c->meta_err)
		goto out;
	/* The interface is the one with the recorded ifindex, whatever
	 * it is called now. */
	if (!if_indextoname(c->meta.ifindex, c->ifname_now)) {
		c->iface_gone = true;
		goto out;
	}
	err = iface_inspect(c->meta.ifindex, &v);
	if (err == -ENODEV || err == -ENXIO) {
		c->iface_gone = true;	/* went while we looked */
		err = 0;
	}
	if (err)
		goto out;
	for (i = 0; i < v.n; i++) {
		if (v.p[i].hook != HOOK_XDP)
			continue;
		if (v.p[i].id == c->meta.xdp_prog_id) {
			c->xdp_ok = true;
		} else if (!v.xdp_multi) {
			c->xdp_other_id = v.p[i].id;
			snprintf(c->xdp_other, sizeof(c->xdp_other), "%s",
				 v.p[i].name);
		}
	}
	f = iface_tc_recorded(&v, &c->meta);
	c->tc_ok = f && f->id == c->meta.tc_prog_id;
	c->clsact = v.clsact;
	c->xdp_multi = v.xdp_multi;
	iface_view_free(&v);
out:
	ns_restore();
	return err;
}

const char *inst_missing(const struct inst_check *c)
{
	if (c->meta_err || c->netns_gone || c->netns_err || c->iface_gone)
		return NULL;
	if (!c->xdp_ok && !c->tc_ok)
		return "both programs";
	if (!c->xdp_ok)
		return "the XDP program";
	return c->tc_ok ? NULL : "the TC egress filter";
}

struct pinned_place {
	char netns[IFNAMSIZ * 4];	/* the pins' namespace directory */
	struct chimney_meta meta;
};

struct pinned_places {
	int n;
	struct pinned_place *p;
};

static int places_add(const char *netns, const char *ifname, void *arg)
{
	struct chimney_ctx ctx = { .netns = netns, .ifname = ifname };
	struct pinned_places *pp = arg;
	struct pinned_place *p;
	struct chimney_meta m;

	if (pin_dir_path(ctx.pin_dir, sizeof(ctx.pin_dir), netns, ifname) ||
	    instance_read_meta(&ctx, &m))
		return 0;
	p = realloc(pp->p, (pp->n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	pp->p = p;
	p = &pp->p[pp->n++];
	snprintf(p->netns, sizeof(p->netns), "%s",
		 netns ? netns : CHIMNEY_DEFAULT_NS);
	p->meta = m;
	return 0;
}

struct pinned_places *pinned_places_read(void)
{
	struct pinned_places *pp = calloc(1, sizeof(*pp));

	if (pp && for_each_instance(places_add, pp)) {
		pinned_places_free(pp);
		return NULL;
	}
	return pp;
}

bool pinned_places_has(const struct pinned_places *pp, const char *netns,
		       int ifindex, const struct iface_prog *p)
{
	const struct chimney_meta *m;
	int i;

	for (i = 0; i < pp->n; i++) {
		m = &pp->p[i].meta;
		if (strcmp(pp->p[i].netns, netns ? netns : CHIMNEY_DEFAULT_NS) ||
		    m->ifindex != (__u32)ifindex)
			continue;
		if (p->hook == HOOK_XDP ? p->id == m->xdp_prog_id :
		    p->hook == HOOK_TC_EGRESS && p->id == m->tc_prog_id &&
		    p->handle == m->tc_handle && p->prio == m->tc_priority &&
		    !p->chain)
			return true;
	}
	return false;
}

void pinned_places_free(struct pinned_places *pp)
{
	if (pp)
		free(pp->p);
	free(pp);
}

int instance_find_by_ifindex(const char *netns, int ifindex,
			     const char *skip, char *name, size_t len)
{
	struct chimney_ctx ctx = { .netns = netns };
	struct chimney_meta m;
	char dir[PATH_MAX];
	struct dirent *de;
	int err = -ENOENT;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", CHIMNEY_PIN_ROOT,
		 netns ? netns : CHIMNEY_DEFAULT_NS);
	d = opendir(dir);
	if (!d)
		return -ENOENT;
	while (err && (de = readdir(d))) {
		if (de->d_name[0] == '.' || (skip && !strcmp(de->d_name, skip)))
			continue;
		ctx.ifname = de->d_name;
		if (pin_dir_path(ctx.pin_dir, sizeof(ctx.pin_dir), netns,
				 de->d_name) ||
		    instance_read_meta(&ctx, &m) || m.ifindex != (__u32)ifindex)
			continue;
		snprintf(name, len, "%s", de->d_name);
		err = 0;
	}
	closedir(d);
	return err;
}

const char *cmd_prefix(const char *netns, char *buf, size_t len)
{
	if (!netns)
		return "chimney ";
	snprintf(buf, len, "chimney -n %s ", netns);
	return buf;
}

/* Is either program m records attached to m's interface? */
static bool recorded_attached(const struct chimney_meta *m)
{
	const struct iface_prog *f;
	struct iface_view v;
	bool any = false;
	int i;

	if (iface_inspect(m->ifindex, &v))
		return false;
	for (i = 0; i < v.n; i++)
		any |= v.p[i].hook == HOOK_XDP && v.p[i].id == m->xdp_prog_id;
	f = iface_tc_recorded(&v, m);
	any |= f && f->id == m->tc_prog_id;
	iface_view_free(&v);
	return any;
}

int instance_adopt_renamed(struct chimney_ctx *ctx)
{
	char old[IFNAMSIZ * 4], old_dir[PATH_MAX], now[IF_NAMESIZE], pfx[64];
	struct chimney_meta m;
	const char *cmd;
	int err;

	if (instance_exists(ctx)) {
		if (instance_read_meta(ctx, &m) || m.ifindex == (__u32)ctx->ifindex ||
		    !if_indextoname(m.ifindex, now) || !recorded_attached(&m))
			return 0;
		cmd = cmd_prefix(ctx->netns, pfx, sizeof(pfx));
		pr_err("attach: the pins at %s are the instance of ifindex %u, now named %s, where chimney is attached: `%sdetach %s` removes it, `%sattach %s` moves its pins to that name\n",
		       ctx->pin_dir, m.ifindex, now, cmd, now, cmd, now);
		return -EEXIST;
	}
	if (instance_find_by_ifindex(ctx->netns, ctx->ifindex, ctx->ifname,
				     old, sizeof(old)))
		return 0;
	err = pin_dir_path(old_dir, sizeof(old_dir), ctx->netns, old);
	if (err)
		return err;
	/* A `chimney run` serving the old name lets go of it at its next
	 * rescan and adopts the new one: it follows the move. */
	if (rename(old_dir, ctx->pin_dir)) {
		err = -errno;
		pr_err("attach: moving the pins of %s (renamed to %s) from %s to %s failed: %s\n",
		       old, ctx->ifname, old_dir, ctx->pin_dir, strerror(-err));
		return err;
	}
	pr_info("%s: the instance pinned as %s is this interface (ifindex %d, renamed); its pins moved to %s\n",
		ctx->ifname, old, ctx->ifindex, ctx->pin_dir);
	return 0;
}
