/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one loader of an instance: chimney's TC egress, cpumap and XDP
 * ingress objects with one set of maps. `chimney attach`, `chimney run
 * --config`, `chimney --version -v`, the unit tests and the bench all
 * load through it, so what the tests check and the bench times is what
 * attach loads.
 *
 * A fresh attach:
 *   instance_open()    open the three objects, size the flow table
 *   instance_load()    load them: TC first, which creates every map,
 *                      then the cpumap and XDP objects, which reuse
 *                      those maps by the names of <chimney/maps.h>
 *   instance_commit()  write a config and what derives from it
 *   instance_guard()   hold SIGINT, SIGTERM, SIGHUP; fork the guard
 *   instance_pin()     pin the list's maps and cpumap_prog into a
 *                      staging directory beside the instance's
 *   instance_attach()  XDP, clsact, TC egress, each recorded in the
 *                      staged meta map before and after it is done
 *   instance_publish() rename the staging directory to the instance's:
 *                      the commit point
 *   instance_close()   let go of this process's handles
 *
 * All or nothing: a step that fails undoes every step before it, prints
 * one line that names itself ("attach: step 'attach TC egress' failed:
 * ...") and returns -errno. instance_close() is called in every case,
 * after instance_open(); before instance_publish() succeeded it undoes
 * the steps taken, afterwards the instance lives on in its pins.
 *
 * A signal cannot leave half an instance either. From instance_guard()
 * to instance_publish() (and through instance_update()) SIGINT, SIGTERM
 * and SIGHUP wait, and a guard process forked for the purpose undoes the
 * staged attach if this one dies (SIGKILL) before the commit point, as
 * instance_recover() does for one whose guard died with it: everything
 * such an attach made is in the staging directory or recorded in its
 * meta, so nothing it made is left without a record.
 *
 * An attached instance is repaired (a half gone) or upgraded (this
 * build's programs differ) with opts.reuse_dir: the programs are loaded
 * against its pinned maps, and instance_update() attaches what is
 * missing and replaces what differs, atomically, keeping every map.
 */
#ifndef CHIMNEY_USER_INSTANCE_H
#define CHIMNEY_USER_INSTANCE_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <linux/types.h>

#include "chimney.h"
#include "hooks.h"

/*
 * The kernel's BPF_COMPLEXITY_LIMIT_INSNS (include/linux/bpf.h, not
 * UAPI): the verifier gives up on a program after this many steps, so
 * verified_insns is measured against it.
 */
#define CHIMNEY_VERIFIER_LIMIT	1000000

struct instance_opts {
	/* Errors start with it; NULL: "attach". */
	const char *verb;
	/* max_entries of the flow table (flow.size); 0: the objects'. */
	__u32 flow_size;
	/* Load only, never attach (unit tests, bench, --version -v). */
	bool load_only;
	/*
	 * Bind the objects to the maps pinned in this directory, an
	 * attached instance's, instead of creating new ones (repair,
	 * upgrade). This build's layout version must be the one the
	 * instance's meta records: else instance_load() fails with
	 * -ESTALE and says what differs in inst->why, printing nothing.
	 */
	const char *reuse_dir;
};

enum instance_prog_id {
	INSTANCE_XDP,		/* xdp_ingress: chimney_xdp */
	INSTANCE_TC,		/* tc_egress: chimney_tc */
	INSTANCE_CPUMAP,	/* xdp_cpumap: chimney_cpumap */
	INSTANCE_NR_PROGS,
};

struct instance_prog {
	const char *name;		/* the program */
	const char *object;		/* the object it is in */
	struct bpf_object *obj;
	int fd;				/* -1 until loaded */
	__u32 id;
	/* Instructions the verifier processed (bpf_prog_info, kernel
	 * 5.16 or later; 0 where it does not say). */
	__u32 verified_insns;
};

struct xdp_ingress;
struct tc_egress;
struct xdp_cpumap;
struct xdp_program;

struct instance {
	struct instance_opts opts;
	struct instance_prog progs[INSTANCE_NR_PROGS];
	/* The objects' maps and the cpumap program, borrowed: valid
	 * until instance_close(), never maps_close()d. */
	struct chimney_maps maps;
	/* What instance_attach() did, as the meta map records it. */
	struct chimney_meta meta;
	/* the step in progress, named by errors */
	const char *step;
	/* This build: its maps' layout version, its objects' hash. */
	__u32 layout;
	__u64 build;
	/* -ESTALE from instance_load(): what differs, for the caller */
	char why[256];

	/* private */
	struct tc_egress *tc;
	struct xdp_cpumap *cpumap;
	struct xdp_ingress *xdp;
	struct xdp_program *xp;		/* XDP through libxdp's dispatcher */
	struct chimney_maps pinned;	/* reuse_dir's, opened here */
	int ifindex;
	int xdp_mode;			/* enum xdp_attach_mode */
	bool xdp_attached, tc_attached, stage_made, published;
	/* the guarded section: the guard process, the signals held */
	int guard_fd, guard_pid;
	bool guarded;
	sigset_t sigmask_saved;
	char pin_dir[PATH_MAX];
	char stage_dir[PATH_MAX];
};

int instance_open(struct instance *inst, const struct instance_opts *opts);
int instance_load(struct instance *inst);
/* cfg as the first config of the instance (config_commit(), no old). */
int instance_commit(struct instance *inst, const struct chimney_config *cfg);
/* Into the staging directory of pin_dir (instance_stage_dir()). */
int instance_pin(struct instance *inst, const char *pin_dir);
/*
 * Before instance_pin() (and inside instance_update()): the guarded
 * section that ends with instance_publish() or instance_close(). A
 * no-op for load_only instances, which attach nothing.
 */
int instance_guard(struct instance *inst, const struct chimney_ctx *ctx);
/* On ctx's resolved interface; mode: 0 (native, else skb) or libxdp's. */
int instance_attach(struct instance *inst, const struct chimney_ctx *ctx,
		    int mode);
/*
 * The commit point: rename the staging directory to pin_dir. Pins that
 * were there already (an instance of an interface since re-created) are
 * swapped out in the same rename (RENAME_EXCHANGE) and taken down after.
 */
int instance_publish(struct instance *inst);
void instance_close(struct instance *inst);

/*
 * Where instance_pin() stages pin_dir: "<netns dir>/attach:<ifname>".
 * No interface name has a ':', so no instance's directory is named so,
 * and for_each_instance() passes over it (bpffs refuses names with a
 * '.', so it cannot be hidden the usual way).
 */
int instance_stage_dir(char *buf, size_t len, const char *pin_dir);

/*
 * What ctx's interface has: its instance's pins and meta, and whose
 * programs are on its hooks, judged by the instance's pinned maps.
 */
struct instance_state {
	bool pinned;		/* pins at ctx->pin_dir */
	bool meta_ok;		/* and a readable meta map */
	struct chimney_meta meta;
	struct hook_prog xdp, tc;
	__u32 xdp_mode;		/* CHIMNEY_XDP_*, of the XDP attachment */
	bool xdp_multi;		/* under the libxdp dispatcher */
	/* pinned for another ifindex whose hooks still run its programs
	 * (the interface was renamed): that ifindex, else 0 */
	__u32 live_elsewhere;
};
int instance_inspect(const struct chimney_ctx *ctx, struct instance_state *st);

/* What instance_update() did, for the caller to say. */
struct instance_change {
	__u32 xdp_old, xdp_new;	/* replaced (both set) or attached (new only) */
	__u32 tc_old, tc_new;
	__u32 cpumap_old, cpumap_new;
	bool clsact_created;
};
/*
 * Repair and upgrade of the attached instance st describes, loaded with
 * opts.reuse_dir = ctx->pin_dir: a missing half is attached, a program
 * whose tag differs from this build's is replaced (XDP_FLAGS_REPLACE
 * with the running program as the expected one; BPF_TC_F_REPLACE on
 * chimney's handle and priority; the cpumap entries rewritten), and
 * meta updated. A failure puts back what it changed. mode: as for
 * instance_attach(), for a missing XDP half (0: the recorded mode).
 */
int instance_update(struct instance *inst, const struct chimney_ctx *ctx,
		    const struct instance_state *st, int mode,
		    struct instance_change *chg);
/*
 * What an interrupted attach of ctx's interface left: a staging
 * directory is taken down (whatever its recorded attachments and its
 * pins), and an instance's meta is brought in line with the programs
 * that use its maps. attach runs it first, under the config lock; the
 * guard process runs it when the attach it guards dies.
 */
int instance_recover(const struct chimney_ctx *ctx);

/*
 * Orphans on ctx's hooks (chimney's programs whose maps are pinned
 * nowhere: left by an attach that was killed before this chimney, or
 * whose pins were removed by hand) are removed, with a warning: their
 * state is lost already, and they would keep an attach from starting.
 */
int instance_remove_orphans(const struct chimney_ctx *ctx,
			    struct instance_state *st);

/* This build's hash: of the three objects the skeletons carry. */
__u64 instance_build_hash(void);
/*
 * Does the kernel let an EXT (freplace) program attach, as libxdp's
 * dispatcher needs? 1 yes; 0 refused, *step the step that was ("load",
 * "attach") and *err why; -errno when the probe itself did not load.
 */
int instance_probe_freplace(const char **step, int *err);

/*
 * The interface's TC filter as meta records it, and the clsact qdisc
 * when chimney created it; the XDP program by id. For detach, and for
 * an attach that finds pins whose XDP half is gone.
 */
int instance_tc_detach(int ifindex, const struct chimney_meta *m);
int instance_xdp_detach(int ifindex, __u32 id, __u32 mode);
/* The clsact qdisc, and every filter on it, whoever made them. */
int clsact_destroy(int ifindex);

#endif /* CHIMNEY_USER_INSTANCE_H */
