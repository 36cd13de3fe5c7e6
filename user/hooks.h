/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What sits on an interface's XDP hook and in chimney's slot of its TC
 * egress hook, and whose it is; whether it has a clsact qdisc. For the
 * attach path: an attach that was interrupted, an instance missing a
 * half, or a program someone else put there, are told apart by these.
 *
 * A program belongs to an instance when it uses the instance's maps (its
 * bpf_prog_info map ids include one of the maps pinned for it): that
 * holds whatever id the meta map recorded, and whichever build loaded
 * it. A program named like chimney's (chimney_xdp, chimney_tc) whose
 * maps no pinned instance has is an orphan: chimney's, left without
 * pins. Anything else is another tool's. All of these run inside the
 * interface's network namespace.
 */
#ifndef CHIMNEY_USER_HOOKS_H
#define CHIMNEY_USER_HOOKS_H

#include <limits.h>
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/types.h>

#include "chimney.h"

enum hook_owner {
	HOOK_EMPTY,	/* nothing there */
	HOOK_OURS,	/* uses the maps of the instance asked about */
	HOOK_INSTANCE,	/* uses the maps of another pinned instance */
	HOOK_ORPHAN,	/* named like chimney's, its maps pinned nowhere */
	HOOK_FOREIGN,	/* another tool's */
};

struct hook_prog {
	enum hook_owner owner;
	__u32 id;
	char name[BPF_OBJ_NAME_LEN];
	__u8 tag[BPF_TAG_SIZE];
	/* HOOK_INSTANCE: that instance's pin directory */
	char owner_dir[PATH_MAX];
};

/* The ids of the maps pinned in one directory. */
struct map_ids {
	__u32 id[CHIMNEY_NR_MAPS];
	int n;
};

/* The pinned maps' ids in dir; n == 0 when there are none. */
int map_ids_read(const char *dir, struct map_ids *ids);

/*
 * The XDP program on ifindex that matters to the instance whose maps
 * are mine (NULL: none): its own, else an orphan, another instance's,
 * a foreign one, or HOOK_EMPTY. Under the libxdp dispatcher every
 * program in it is looked at (*multi set). *mode: CHIMNEY_XDP_*.
 */
int hook_xdp(int ifindex, const struct map_ids *mine, struct hook_prog *p,
	     __u32 *mode, bool *multi);
/* The filter at handle/prio of ifindex's egress hook; HOOK_EMPTY when
 * there is none, or no clsact. */
int hook_tc(int ifindex, __u32 handle, __u32 prio, const struct map_ids *mine,
	    struct hook_prog *p);
/* 1 when ifindex has a clsact qdisc, 0 when not, or -errno. */
int hook_clsact_exists(int ifindex);

/*
 * Take the XDP program p off ifindex, only if it is still there:
 * netlink's XDP_FLAGS_REPLACE with it as the expected program, or
 * libxdp's detach under the dispatcher. 0 when it was gone already.
 */
int hook_xdp_remove(int ifindex, const struct hook_prog *p, __u32 mode,
		    bool multi);

#endif /* CHIMNEY_USER_HOOKS_H */
