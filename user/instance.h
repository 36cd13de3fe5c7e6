/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one loader of an instance: chimney's TC egress, cpumap and XDP
 * ingress objects with one set of maps. `chimney attach`, `chimney run
 * --config`, `chimney --version -v`, the unit tests and the bench all
 * load through it, so what the tests check and the bench times is what
 * attach loads.
 *
 *   instance_open()    open the three objects, size the flow table
 *   instance_load()    load them: TC first, which creates every map,
 *                      then the cpumap and XDP objects, which reuse
 *                      those maps by the names of <chimney/maps.h>
 *   instance_commit()  write a config and what derives from it
 *   instance_attach()  XDP through libxdp, TC egress through bpf_tc_*,
 *                      then the attach metadata (the meta map)
 *   instance_pin()     pin the list's pinned maps, then cpumap_prog
 *   instance_close()   let go of this process's handles
 *
 * All or nothing: a step that fails undoes every step before it, prints
 * one line that names itself ("attach: step 'attach TC egress' failed:
 * ...") and returns -errno. instance_close() is called in every case,
 * after instance_open(); before instance_pin() succeeded it undoes the
 * steps taken, afterwards the instance lives on in its pins.
 */
#ifndef CHIMNEY_USER_INSTANCE_H
#define CHIMNEY_USER_INSTANCE_H

#include <limits.h>
#include <stdbool.h>
#include <linux/types.h>

#include "chimney.h"

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
	/*
	 * Load only, never attach (unit tests, bench, --version -v): the
	 * XDP object is loaded here like the others, with libbpf, for
	 * BPF_PROG_TEST_RUN. Otherwise libxdp loads it inside
	 * instance_attach(), as its dispatcher needs.
	 */
	bool load_only;
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

	/* private */
	struct tc_egress *tc;
	struct xdp_cpumap *cpumap;
	struct xdp_ingress *xdp;
	struct xdp_program *xp;
	int ifindex;
	int xdp_mode;			/* enum xdp_attach_mode */
	bool xdp_attached, tc_attached, pin_dir_made, pinned;
	char pin_dir[PATH_MAX];
};

int instance_open(struct instance *inst, const struct instance_opts *opts);
int instance_load(struct instance *inst);
/* cfg as the first config of the instance (config_commit(), no old). */
int instance_commit(struct instance *inst, const struct chimney_config *cfg);
/* On ctx's resolved interface; mode: 0 (native, else skb) or libxdp's. */
int instance_attach(struct instance *inst, const struct chimney_ctx *ctx,
		    int mode);
int instance_pin(struct instance *inst, const char *pin_dir);
void instance_close(struct instance *inst);

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
