// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gc: remove the pins of every instance whose namespace or interface
 * (by the ifindex its pins record) no longer exists.
 *
 * Such pins are all that is left of the instance: deleting a namespace
 * destroys its virtual interfaces and the programs on them, but a pin
 * keeps its map alive, the flow table (flow.size entries, hundreds of
 * MB when large) among them, and `detach` in a namespace that is gone
 * has no interface to work on. An instance whose interface is there is
 * never collected, whatever state it is in: `status` says what to do
 * about it, and `detach` does it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "chimney.h"
#include "cli.h"
#include "inspect.h"
#include "log.h"

struct gc_opts {
	bool dry_run;
};

struct gc_arg {
	const char *only_ns;
	int n;
	struct inst_check *c;	/* the collectable ones */
	int err;
};

static int gc_one(const char *netns, const char *ifname, void *p)
{
	struct gc_arg *a = p;
	struct inst_check *c;
	char pfx[64];
	int err;

	if (a->only_ns && strcmp(a->only_ns, netns ? netns : CHIMNEY_DEFAULT_NS))
		return 0;
	c = realloc(a->c, (a->n + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	a->c = c;
	c = &a->c[a->n];
	err = inst_check(netns, ifname, c);
	if (err) {
		pr_warn("%s/%s: cannot tell whether its interface exists: %s; kept\n",
			netns ? netns : CHIMNEY_DEFAULT_NS, ifname, strerror(-err));
		return 0;
	}
	if (!inst_collectable(c)) {
		if (c->meta_err && !c->netns_err)
			pr_warn("%s/%s: unreadable pins (%s): no ifindex to look for; kept (`%sdetach %s` removes them)\n",
				netns ? netns : CHIMNEY_DEFAULT_NS, ifname,
				strerror(-c->meta_err),
				cmd_prefix(netns, pfx, sizeof(pfx)), ifname);
		return 0;
	}
	/* Its netns points into the walk's directory entry: keep a copy. */
	c->netns = netns ? strdup(netns) : NULL;
	if (netns && !c->netns)
		return -ENOMEM;
	a->n++;
	return 0;
}

static void gc_reason(const struct inst_check *c, char *buf, size_t len)
{
	if (c->netns_gone)
		snprintf(buf, len, "namespace %s is gone", c->netns);
	else
		snprintf(buf, len, "no interface has ifindex %u any more",
			 c->meta.ifindex);
}

static const struct cli_opt gc_cli_opts[] = {
	CLI_OPT("dry-run", CLI_FLAG, struct gc_opts, dry_run,
		.help = "say what would be removed; remove nothing"),
	{}
};

const struct cli_spec gc_cli = {
	.name = "gc",
	.min_args = 0,
	.max_args = 0,
	.about =
	"Remove the pins of every instance whose network namespace, or whose\n"
	"interface (by the ifindex the pins record), no longer exists: the maps\n"
	"they keep alive, the flow table among them, are freed with them. An\n"
	"instance whose interface exists is never removed (see `chimney status`\n"
	"and `chimney detach`). Running it again finds nothing more.\n",
	.opts = gc_cli_opts,
	.common = CLI_COMMON,
	.netns_help = "only instances pinned for this namespace (which may be gone)",
	.json_help = "what was removed (or, with --dry-run, would be) as JSON",
};

int cmd_gc(int argc, char **argv)
{
	struct gc_opts o = {};
	struct gc_arg a = {};
	struct json_object *arr = NULL, *e;
	struct cli_args args;
	char why[128];
	int i, err, ret = 0;

	err = cli_parse(&gc_cli, argc, argv, &o, &args);
	if (err)
		return err < 0;
	a.only_ns = opt_netns;
	if (require_root("gc") || bpffs_ensure() ||
	    (a.only_ns && check_name("namespace", a.only_ns)))
		return 1;
	/* First the list, then the removals: the walk reads the
	 * directories that removing the last instance of a namespace
	 * deletes. */
	err = for_each_instance(gc_one, &a);
	if (err) {
		pr_err("gc: reading %s failed: %s\n", CHIMNEY_PIN_ROOT,
		       strerror(-err));
		ret = err;
		goto out;
	}
	if (opt_json)
		arr = json_object_new_array();
	for (i = 0; i < a.n; i++) {
		struct inst_check *c = &a.c[i];

		gc_reason(c, why, sizeof(why));
		err = o.dry_run ? 0 : unpin_instance(c->pin_dir);
		if (err) {
			pr_err("gc: removing the pins at %s failed: %s\n",
			       c->pin_dir, strerror(-err));
			ret = err;
			continue;
		}
		if (!arr) {
			printf("%s %s/%s (%s): %s\n",
			       o.dry_run ? "would remove" : "removed",
			       c->netns ? c->netns : CHIMNEY_DEFAULT_NS,
			       c->ifname, why, c->pin_dir);
			continue;
		}
		e = json_object_new_object();
		json_object_object_add(e, "netns", json_object_new_string(
			c->netns ? c->netns : CHIMNEY_DEFAULT_NS));
		json_object_object_add(e, "ifname", json_object_new_string(c->ifname));
		if (!c->meta_err)
			json_object_object_add(e, "ifindex",
					       json_object_new_int(c->meta.ifindex));
		json_object_object_add(e, "reason", json_object_new_string(
			c->netns_gone ? "netns_gone" : "iface_gone"));
		json_object_object_add(e, "why", json_object_new_string(why));
		json_object_object_add(e, "pin_dir", json_object_new_string(c->pin_dir));
		json_object_array_add(arr, e);
	}
	if (arr) {
		e = json_object_new_object();
		json_object_object_add(e, "dry_run", json_object_new_boolean(o.dry_run));
		/* with --dry-run, the ones that would be removed */
		json_object_object_add(e, "instances", arr);
		cli_json_print(e, false);
	} else if (!a.n) {
		printf("nothing to collect: every instance's namespace and interface exist\n");
	}
out:
	for (i = 0; i < a.n; i++)
		free((char *)a.c[i].netns);
	free(a.c);
	return ret ? 1 : 0;
}
