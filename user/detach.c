// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * detach: everything of chimney off an interface, and nothing else.
 *
 * The instance is found by the ifindex its pins record, so that the
 * name the pins are under and the interface's name now both work after
 * a rename. On that interface every program of chimney's goes: those
 * the pins record (by id), and orphans no pins record (by name,
 * chimney_xdp and chimney_tc: a foreign program is never touched). The
 * clsact qdisc goes only when chimney created it and no other filter is
 * left on it. Then the pins. The exit status is 0 only when nothing of
 * chimney is left there, which is checked, not assumed; what was found
 * half done (a program already gone, an orphan, an interface or a
 * namespace that is gone) is said.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "chimney.h"
#include "cli.h"
#include "inspect.h"
#include "log.h"

struct detach_report {
	struct json_object *removed;	/* {"what", "prog_id", "orphan"} */
	struct json_object *notes;	/* what was found, for people */
};

static void note(struct detach_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct detach_report *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_array_add(r->notes, json_object_new_string(buf));
}

static void removed(struct detach_report *r, const char *what, __u32 id,
		    bool orphan)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "what", json_object_new_string(what));
	if (id)
		json_object_object_add(o, "prog_id", json_object_new_int64(id));
	json_object_object_add(o, "orphan", json_object_new_boolean(orphan));
	json_object_array_add(r->removed, o);
}

/* "IFACE: detached" and what was found; under --json one object. */
static void report(const struct chimney_ctx *ctx, struct detach_report *r,
		   int ifindex)
{
	struct json_object *o;
	size_t i;

	if (!ctx->json) {
		printf("%s: detached\n", ctx->ifname);
		for (i = 0; i < json_object_array_length(r->notes); i++)
			printf("  %s\n", json_object_get_string(
				json_object_array_get_idx(r->notes, i)));
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "detached", json_object_new_string(ctx->ifname));
	json_object_object_add(o, "netns", json_object_new_string(
		ctx->netns ? ctx->netns : CHIMNEY_DEFAULT_NS));
	if (ifindex)
		json_object_object_add(o, "ifindex", json_object_new_int(ifindex));
	json_object_object_add(o, "removed", json_object_get(r->removed));
	json_object_object_add(o, "notes", json_object_get(r->notes));
	cli_json_print(o, false);
}

static int unpin(const struct chimney_ctx *ctx, struct detach_report *r)
{
	int err;

	if (!instance_exists(ctx))
		return 0;
	err = unpin_instance(ctx->pin_dir);
	if (err) {
		pr_err("detach: removing pins at %s failed: %s\n", ctx->pin_dir,
		       strerror(-err));
		return err;
	}
	removed(r, "pins", 0, false);
	return 0;
}

/*
 * `detach -n GONE IFACE`: the namespace was deleted, and with it its
 * interfaces and the programs on them; the pins (and the maps they
 * keep, the flow table among them) are all that is left to remove.
 */
static int detach_gone_netns(struct chimney_ctx *ctx)
{
	struct detach_report r = { json_object_new_array(),
				   json_object_new_array() };
	int err;

	err = check_name("interface", ctx->ifname);
	if (!err)
		err = bpffs_ensure();
	if (!err)
		err = pin_dir_path(ctx->pin_dir, sizeof(ctx->pin_dir),
				   ctx->netns, ctx->ifname);
	if (err)
		goto out;
	if (!instance_exists(ctx)) {
		pr_err("detach: network namespace '%s' not found, and chimney has no pins of %s for it\n",
		       ctx->netns, ctx->ifname);
		err = -ENOENT;
		goto out;
	}
	err = unpin(ctx, &r);
	if (err)
		goto out;
	note(&r, "namespace %s no longer exists: only the pins could be removed (the programs went with its interfaces; `chimney status` shows any left elsewhere)",
	     ctx->netns);
	report(ctx, &r, 0);
out:
	json_object_put(r.removed);
	json_object_put(r.notes);
	return err;
}

/* Is p a program the pins recorded (m NULL: there are none)? */
static bool recorded(const struct iface_view *v, const struct iface_prog *p,
		     const struct chimney_meta *m)
{
	if (!m)
		return false;
	if (p->hook == HOOK_XDP)
		return p->id == m->xdp_prog_id;
	return p == iface_tc_recorded(v, m);
}

/*
 * Remove every program of chimney's from ifindex: m's, and orphans.
 * What the interface runs in m's places, when not m's, is said.
 */
static int remove_progs(int ifindex, const struct chimney_meta *m,
			struct detach_report *r, bool *tc_orphan)
{
	bool xdp_found = false, tc_found = false, rec;
	const struct iface_prog *p;
	struct iface_view v;
	int i, err, ret = 0;

	err = iface_inspect(ifindex, &v);
	if (err) {
		pr_err("detach: reading the programs of ifindex %d failed: %s\n",
		       ifindex, strerror(-err));
		return err;
	}
	for (i = 0; i < v.n; i++) {
		p = &v.p[i];
		rec = recorded(&v, p, m);
		if (!rec && !iface_prog_chimney(p)) {
			if (m && p->hook == HOOK_TC_EGRESS &&
			    p->handle == m->tc_handle && p->prio == m->tc_priority)
				note(r, "left the %s filter at chimney's handle 0x%x priority %u on egress: it runs %s id %u, not chimney's",
				     p->kind, p->handle, p->prio,
				     p->name[0] ? p->name : "no program", p->id);
			continue;
		}
		err = iface_prog_remove(ifindex, p);
		if (err) {
			pr_err("detach: removing %s id %u (%s) failed: %s\n",
			       p->name, p->id, iface_hook_name(p->hook),
			       strerror(-err));
			ret = err;
			continue;
		}
		removed(r, iface_hook_name(p->hook), p->id, !rec);
		if (p->hook == HOOK_XDP)
			xdp_found |= rec;
		else
			tc_found |= rec;
		if (!rec)
			note(r, "removed orphan %s id %u (%s): no pins recorded it there",
			     p->name, p->id, iface_hook_name(p->hook));
		if (!rec && p->hook != HOOK_XDP)
			*tc_orphan = true;
	}
	if (m && !xdp_found)
		note(r, "the XDP program (id %u) was not attached any more",
		     m->xdp_prog_id);
	if (m && !tc_found)
		note(r, "the TC egress filter (id %u) was not attached any more%s",
		     m->tc_prog_id, v.clsact ? "" : ", nor the clsact qdisc");
	iface_view_free(&v);
	return ret;
}

/* The clsact qdisc, when chimney made it, and only for the last filter. */
static int remove_clsact(int ifindex, const struct chimney_meta *m,
			 bool tc_orphan, struct detach_report *r)
{
	struct iface_view v;
	int err;

	if (m && m->clsact_created) {
		err = iface_clsact_release(ifindex);
		if (err < 0) {
			pr_err("detach: removing the clsact qdisc failed: %s\n",
			       strerror(-err));
			return err;
		}
		if (err)
			note(r, "kept the clsact qdisc chimney created: other filters are on it");
		else
			removed(r, "clsact", 0, false);
		return 0;
	}
	/* An orphan filter: chimney may have made the qdisc too, but
	 * nothing says so, and a qdisc is never removed on a guess. */
	if (tc_orphan && !iface_inspect(ifindex, &v)) {
		if (v.clsact && !v.tc_entries)
			note(r, "left the clsact qdisc, empty now: no pins say chimney created it (`tc qdisc del dev %s clsact` removes it)",
			     v.name);
		iface_view_free(&v);
	}
	return 0;
}

/* What of chimney's is still on ifindex: printed, -EBUSY; or 0. */
static int check_gone(const struct chimney_ctx *ctx, int ifindex,
		      const struct chimney_meta *m)
{
	struct iface_view v;
	int i, err = 0;

	if (ifindex && !iface_inspect(ifindex, &v)) {
		for (i = 0; i < v.n; i++) {
			if (!recorded(&v, &v.p[i], m) && !iface_prog_chimney(&v.p[i]))
				continue;
			pr_err("detach: %s id %u is still attached to %s (%s)\n",
			       v.p[i].name, v.p[i].id, v.name,
			       iface_hook_name(v.p[i].hook));
			err = -EBUSY;
		}
		iface_view_free(&v);
	}
	if (instance_exists(ctx)) {
		pr_err("detach: the pins at %s are still there\n", ctx->pin_dir);
		err = -EBUSY;
	}
	return err;
}

int detach_iface(struct chimney_ctx *ctx)
{
	struct detach_report r = { json_object_new_array(),
				   json_object_new_array() };
	char old[IFNAMSIZ * 4], now[IF_NAMESIZE];
	struct chimney_meta meta, *m = NULL;
	bool tc_orphan = false;
	int err, ret = 0, target;

	if (instance_exists(ctx)) {
		err = instance_read_meta(ctx, &meta);
		if (err)
			note(&r, "the pins at %s hold no readable metadata (%s): chimney's programs on %s were found by name",
			     ctx->pin_dir, strerror(-err), ctx->ifname);
		else
			m = &meta;
	} else if (ctx->ifindex &&
		   !instance_find_by_ifindex(ctx->netns, ctx->ifindex,
					     ctx->ifname, old, sizeof(old)) &&
		   !pin_dir_path(ctx->pin_dir, sizeof(ctx->pin_dir),
				 ctx->netns, old) &&
		   !instance_read_meta(ctx, &meta)) {
		/* named by its name now; the pins are under the old one */
		m = &meta;
		note(&r, "the pins were under %s, its name when it was attached",
		     ctx->pin_dir);
	}

	/* The interface the instance is on is the one with its ifindex. */
	target = m ? (int)m->ifindex : ctx->ifindex;
	if (m && !if_indextoname(target, now)) {
		note(&r, "no interface has ifindex %d any more: only the pins were left to remove",
		     target);
		target = 0;
	} else if (m && target != ctx->ifindex) {
		note(&r, "ifindex %d is now named %s: its programs were removed there",
		     target, now);
	}
	if (!instance_exists(ctx) && target) {
		/* no pins: only orphans, if any, have something to remove */
		struct iface_view v;
		int i, n = 0;

		if (!iface_inspect(target, &v)) {
			for (i = 0; i < v.n; i++)
				n += iface_prog_chimney(&v.p[i]);
			iface_view_free(&v);
		}
		if (!n)
			target = 0;
	}
	if (!instance_exists(ctx) && !target) {
		pr_err("detach: chimney is not attached to %s in namespace '%s'\n",
		       ctx->ifname, ctx->netns ? ctx->netns : CHIMNEY_DEFAULT_NS);
		ret = -ENOENT;
		goto out;
	}

	if (target) {
		ret = remove_progs(target, m, &r, &tc_orphan);
		err = remove_clsact(target, m, tc_orphan, &r);
		if (err && !ret)
			ret = err;
	}
	err = unpin(ctx, &r);
	if (err && !ret)
		ret = err;
	err = check_gone(ctx, target, m);
	if (err && !ret)
		ret = err;
	if (!ret)
		report(ctx, &r, target);
out:
	json_object_put(r.removed);
	json_object_put(r.notes);
	return ret;
}

const struct cli_spec detach_cli = {
	.name = "detach",
	.forms = (const char *const[]){ "IFACE", NULL },
	.min_args = 1,
	.max_args = 1,
	.about =
	"Remove chimney's XDP and TC programs from IFACE and delete its pins.\n"
	"Leaves no trace: no filter, no XDP program, no qdisc chimney created\n"
	"(unless another tool's filters are on it; they stay), no pin directory.\n"
	"IFACE is the name the pins are under or the interface's name now, after\n"
	"a rename. Programs of chimney's that no pins record (orphans) go too;\n"
	"another tool's never. In a namespace that is gone, or for an interface\n"
	"that is, only the pins are left, and they go. Exit status 0 only when\n"
	"nothing of chimney is left on the interface; what was found half done\n"
	"is said.\n",
	.common = CLI_COMMON,
	.json_help = "the result as JSON: what was removed, and notes",
};

int cmd_detach(int argc, char **argv)
{
	struct chimney_ctx ctx = {};
	struct cli_args a;
	int err;

	err = cli_parse(&detach_cli, argc, argv, NULL, &a);
	if (err)
		return err < 0;
	ctx_from_args(&ctx, &a);
	if (require_root("detach") ||
	    (ctx.netns && check_name("namespace", ctx.netns)))
		return 1;
	if (ctx.netns && strcmp(ctx.netns, CHIMNEY_DEFAULT_NS) &&
	    !netns_exists(ctx.netns))
		return detach_gone_netns(&ctx) ? 1 : 0;
	/* The interface may be gone; its pins still need removing. */
	if (ctx_resolve(&ctx, "detach", false))
		return 1;
	return detach_iface(&ctx) ? 1 : 0;
}
