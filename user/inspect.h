/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the operator sees and removes: chimney's programs as the kernel
 * has them, set against what the pins record.
 *
 * iface.c asks the kernel about one interface: its XDP programs (through
 * libxdp, dispatcher or not), the filters on both hooks of its clsact
 * qdisc (an RTM_GETTFILTER dump: libbpf has no "list the filters") and
 * whether the qdisc is there. A program is chimney's by its name,
 * chimney_xdp or chimney_tc; nothing else is ever removed as chimney's.
 *
 * inspect.c holds an instance against that view. The identity of an
 * instance is the ifindex its meta map records, in the namespace its
 * pin directory is named after: the name the pins are under is only a
 * label, and it is wrong once the interface is renamed.
 *
 * Everything here that touches an interface runs in the network
 * namespace the caller is in, except where it says it enters one.
 */
#ifndef CHIMNEY_USER_INSPECT_H
#define CHIMNEY_USER_INSPECT_H

#include <stdbool.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/types.h>

#include "chimney.h"

#define CHIMNEY_XDP_PROG_NAME	"chimney_xdp"
#define CHIMNEY_TC_PROG_NAME	"chimney_tc"

enum iface_hook {
	HOOK_XDP,
	HOOK_TC_INGRESS,
	HOOK_TC_EGRESS,
};

/* An XDP program, or a filter of a clsact hook (bpf or not). */
struct iface_prog {
	enum iface_hook hook;
	__u32 id;			/* 0: no BPF program (a matchall...) */
	char name[BPF_OBJ_NAME_LEN];	/* the program's, as the kernel has it */
	char tag[BPF_TAG_SIZE * 2 + 1];	/* hex, as bpftool prints it */
	__u32 xdp_mode;			/* XDP: CHIMNEY_XDP_*, 0 for others */
	/* TC: the filter's identity on its hook */
	char kind[16];
	__u32 handle, chain;
	__u16 prio, proto;		/* proto in network order */
};

struct iface_view {
	int ifindex;
	char name[IF_NAMESIZE];
	bool clsact;		/* a clsact qdisc is there */
	bool xdp_multi;		/* XDP through libxdp's dispatcher */
	/* every message of both hooks' filter dumps, the head each
	 * classifier instance reports included: 0 means no filter */
	int tc_entries;
	int n;
	struct iface_prog *p;
};

/* iface.c */
int iface_inspect(int ifindex, struct iface_view *v);
void iface_view_free(struct iface_view *v);
/* Whether p is one of chimney's programs on the hook it may be on. */
bool iface_prog_chimney(const struct iface_prog *p);
/* "xdp", "tc ingress", "tc egress" */
const char *iface_hook_name(enum iface_hook h);
/* Remove p from the interface (XDP by id and mode, a filter by its
 * identity, whatever program it runs). */
int iface_prog_remove(int ifindex, const struct iface_prog *p);
/*
 * The filter instance_attach() puts on egress, as meta records it: at
 * its handle and priority, and chimney's by program id or name. NULL
 * when another program sits there, or none.
 */
const struct iface_prog *iface_tc_recorded(const struct iface_view *v,
					    const struct chimney_meta *m);
/*
 * The clsact qdisc chimney created, once no filter is left on it:
 * another tool's filters on either hook keep it, and it them. 1 when
 * it stays for them, 0 when it is gone (or was), or -errno.
 */
int iface_clsact_release(int ifindex);

/*
 * inspect.c: one pinned instance, against the kernel.
 *
 * inst_check() fills it for the instance pinned under netns/ifname,
 * entering the namespace (and leaving it again): a namespace that is
 * gone, or an interface with the recorded ifindex that is gone, is no
 * error but what the struct says.
 */
struct inst_check {
	const char *netns;		/* NULL: the root namespace */
	char ifname[IFNAMSIZ * 4];	/* the pin directory's name */
	char pin_dir[PATH_MAX];
	int meta_err;			/* the meta map unreadable: -errno */
	struct chimney_meta meta;
	bool netns_gone;		/* no /run/netns/NETNS */
	int netns_err;			/* entering it failed otherwise */
	bool iface_gone;		/* no interface has meta.ifindex */
	char ifname_now[IF_NAMESIZE];	/* the name of meta.ifindex now */
	bool xdp_ok;			/* meta.xdp_prog_id is attached */
	bool xdp_multi;
	/* without the dispatcher, the XDP program there instead */
	__u32 xdp_other_id;
	char xdp_other[BPF_OBJ_NAME_LEN];
	bool tc_ok;			/* the filter at meta's handle/prio on
					 * egress runs meta.tc_prog_id */
	bool clsact;
};

int inst_check(const char *netns, const char *ifname, struct inst_check *c);
/* Both programs attached, on the interface the pins are named after. */
static inline bool inst_ok(const struct inst_check *c)
{
	return !c->meta_err && c->xdp_ok && c->tc_ok;
}
static inline bool inst_renamed(const struct inst_check *c)
{
	return !c->meta_err && !c->netns_gone && !c->iface_gone &&
	       strcmp(c->ifname, c->ifname_now);
}
/* What `chimney gc` removes: the namespace or the interface is gone. */
static inline bool inst_collectable(const struct inst_check *c)
{
	return c->netns_gone || (!c->meta_err && !c->netns_err && c->iface_gone);
}
/* Which of the instance's programs are missing, for people:
 * "the XDP program", "the TC egress filter", "both programs" or NULL. */
const char *inst_missing(const struct inst_check *c);

/*
 * Where the pins of every instance say its programs are: each program
 * chimney finds elsewhere (another interface or namespace, another hook
 * or priority) is an orphan, even when it is an instance's program.
 */
struct pinned_places;
struct pinned_places *pinned_places_read(void);
/* p, on ifindex in netns (NULL: root), is where some pins record it. */
bool pinned_places_has(const struct pinned_places *pp, const char *netns,
		       int ifindex, const struct iface_prog *p);
void pinned_places_free(struct pinned_places *pp);

/* "chimney -n NETNS " or "chimney " (netns NULL): the start of the
 * commands a message tells the operator to run. buf holds len bytes. */
const char *cmd_prefix(const char *netns, char *buf, size_t len);

/* Does /run/netns/name exist? (NULL, the root namespace, always does.) */
bool netns_exists(const char *name);
/*
 * fn(netns, arg) inside the root namespace (netns NULL) and then inside
 * each namespace `ip netns list` shows, or only inside only (a name, or
 * CHIMNEY_DEFAULT_NS for the root one); the root namespace is restored
 * after each. A namespace that cannot be entered is skipped with a
 * warning. Stops at and returns fn's first non-zero return.
 */
typedef int (*netns_fn)(const char *netns, void *arg);
int for_each_netns(const char *only, netns_fn fn, void *arg);

/*
 * The pin directory name of the instance in netns whose meta records
 * ifindex and whose directory is not named skip (NULL: any), into
 * name; 0, or -ENOENT when there is none. For the interface renamed
 * since attach.
 */
int instance_find_by_ifindex(const char *netns, int ifindex,
			     const char *skip, char *name, size_t len);

/*
 * attach's first look (attach_config()): the interface ctx names is
 * chimney's, pinned under the name it had before a rename. Then the
 * pin directory moves to the new name (bpffs renames like any file
 * system), so the instance keeps its programs, config, counters and
 * flows, and the attach goes on as on an attached interface. Refused
 * (-EEXIST) when ctx's own pins are the instance of another interface
 * whose programs are attached: attach would remove them as stale and
 * leave those programs running unmanaged. 0 when there is nothing to
 * adopt. Printed.
 */
int instance_adopt_renamed(struct chimney_ctx *ctx);

#endif /* CHIMNEY_USER_INSPECT_H */
