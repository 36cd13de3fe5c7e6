// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The instance loader and the list of maps: every map the loaded
 * objects have is in <chimney/maps.h> and every listed one is in them,
 * pinning makes exactly the list's pins, and no program uses more of
 * the verifier's budget than leaves room to grow.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "env.h"
#include "instance.h"
#include "test.h"
#include "flow_count.skel.h"

/*
 * A program at 70% of the verifier's limit has little room left for a
 * new stage, and its count moves with the kernel's verifier: past this,
 * make a stage a global function (see the README's design notes) before
 * adding more.
 */
#define VERIFIER_BUDGET_PCT	70

static const struct chimney_map_desc *listed_map(const char *name)
{
	int i;

	for (i = 0; i < CHIMNEY_NR_MAPS; i++)
		if (chimney_map_descs[i].kind != CHIMNEY_PINNED_PROG &&
		    !strcmp(chimney_map_descs[i].name, name))
			return &chimney_map_descs[i];
	return NULL;
}

/* A map of the objects that the list lacks is neither shared nor pinned. */
UNIT_TEST(map_list_has_every_map_of_the_objects)
{
	struct instance *inst = env_instance();
	struct bpf_map *m;
	int i, n = 0;

	if (!ASSERT_OK_PTR(inst, "instance"))
		return;
	for (i = 0; i < INSTANCE_NR_PROGS; i++) {
		bpf_object__for_each_map(m, inst->progs[i].obj) {
			/* .rodata, .bss: the object's own, by design */
			if (bpf_map__is_internal(m))
				continue;
			n++;
			if (!listed_map(bpf_map__name(m)))
				unit_fail("map '%s' of %s is not in <chimney/maps.h>",
					  bpf_map__name(m), inst->progs[i].object);
		}
	}
	ASSERT_TRUE(n > 0, "the objects have maps");
}

/* A listed map that no object has would be a pin nothing fills. */
UNIT_TEST(map_list_names_only_maps_of_the_objects)
{
	struct instance *inst = env_instance();
	const struct chimney_map_desc *d;
	int i, j, fd;
	bool found;

	if (!ASSERT_OK_PTR(inst, "instance"))
		return;
	for (i = 0; i < CHIMNEY_NR_MAPS; i++) {
		d = &chimney_map_descs[i];
		fd = *maps_fd(&inst->maps, i);
		if (d->kind == CHIMNEY_PINNED_PROG) {
			ASSERT_TRUE(fd >= 0, d->name);
			continue;
		}
		found = false;
		for (j = 0; j < INSTANCE_NR_PROGS; j++)
			found |= !!bpf_object__find_map_by_name(
				inst->progs[j].obj, d->name);
		if (!found)
			unit_fail("'%s' of <chimney/maps.h> is a map of none of the objects",
				  d->name);
		else if (fd < 0)
			unit_fail("'%s': the instance has no fd for it", d->name);
	}
}

/*
 * flow_count binds each of its maps to the instance's pin of the same
 * name (user/flowtab.c): each must be a pinned map of the list.
 */
UNIT_TEST(map_list_flow_count_binds_to_pins)
{
	const struct chimney_map_desc *d;
	struct flow_count *q;
	struct bpf_map *m;

	q = flow_count__open();
	if (!ASSERT_OK_PTR(q, "flow_count open"))
		return;
	bpf_object__for_each_map(m, q->obj) {
		if (bpf_map__is_internal(m))
			continue;
		d = listed_map(bpf_map__name(m));
		if (!d || d->kind != CHIMNEY_PINNED_MAP)
			unit_fail("flow_count's map '%s' is no pinned map of <chimney/maps.h>",
				  bpf_map__name(m));
	}
	flow_count__destroy(q);
}

/* instance_pin() and _publish() make one pin per pinned entry of the
 * list, no other. */
UNIT_TEST(map_list_pins_are_the_list)
{
	struct instance *inst = env_instance();
	bool seen[CHIMNEY_NR_MAPS] = {};
	const struct chimney_map_desc *d;
	char dir[64];
	struct dirent *de;
	DIR *dd;
	int i;

	if (!ASSERT_OK_PTR(inst, "instance"))
		return;
	/* A machine just booted may have no bpffs: mount it as chimney does. */
	if (!ASSERT_OK(bpffs_ensure(), "bpffs"))
		return;
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/chimney-unit-pins-%d", getpid());
	unpin_instance(dir);
	if (!ASSERT_OK(instance_pin(inst, dir), "instance_pin") ||
	    !ASSERT_OK(instance_publish(inst), "instance_publish"))
		return;
	dd = opendir(dir);
	if (!ASSERT_OK_PTR(dd, "pin directory"))
		goto out;
	while ((de = readdir(dd))) {
		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < CHIMNEY_NR_MAPS; i++)
			if (!strcmp(chimney_map_descs[i].name, de->d_name))
				break;
		if (i == CHIMNEY_NR_MAPS ||
		    chimney_map_descs[i].kind == CHIMNEY_INTERNAL_MAP)
			unit_fail("pin '%s' is no pinned entry of the list", de->d_name);
		else
			seen[i] = true;
	}
	closedir(dd);
	for (i = 0; i < CHIMNEY_NR_MAPS; i++) {
		d = &chimney_map_descs[i];
		if (d->kind != CHIMNEY_INTERNAL_MAP && !seen[i])
			unit_fail("'%s' was not pinned", d->name);
	}
out:
	ASSERT_OK(unpin_instance(dir), "remove the pins");
}

UNIT_TEST(verifier_budget)
{
	struct instance *inst = env_instance();
	const struct instance_prog *p;
	__u32 budget = CHIMNEY_VERIFIER_LIMIT / 100 * VERIFIER_BUDGET_PCT;
	int i;

	if (!ASSERT_OK_PTR(inst, "instance"))
		return;
	for (i = 0; i < INSTANCE_NR_PROGS; i++) {
		p = &inst->progs[i];
		unit_log("%-15s %7u instructions verified (%.1f%% of %u)\n",
			 p->name, p->verified_insns,
			 100.0 * p->verified_insns / CHIMNEY_VERIFIER_LIMIT,
			 CHIMNEY_VERIFIER_LIMIT);
		/* every program verifies at least one instruction */
		if (!ASSERT_TRUE(p->verified_insns > 0,
				 "the kernel reports verified_insns (5.16 or later)"))
			continue;
		if (p->verified_insns > budget)
			unit_fail("%s: %u instructions verified, more than %d%% of the verifier's %u",
				  p->name, p->verified_insns, VERIFIER_BUDGET_PCT,
				  CHIMNEY_VERIFIER_LIMIT);
	}
}
