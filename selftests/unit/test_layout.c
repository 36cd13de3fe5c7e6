// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The layout version of the pinned maps (user/layout.c), and the loader
 * binding a build to an instance's pinned maps (opts.reuse_dir): a build
 * whose maps differ in a value struct is told apart, and refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "env.h"
#include "instance.h"
#include "test.h"

/*
 * struct { __u32 <a>; __u32 <b>; } (or a __u64 first field), in a BTF
 * of its own: the same struct twice has the same shape, a renamed,
 * swapped or resized field another.
 */
static __u32 struct_shape(const char *a, const char *b, bool wide)
{
	struct btf *btf = btf__new_empty();
	int u32, u64, s;
	__u32 shape = 0;

	if (!btf)
		return 0;
	u32 = btf__add_int(btf, "__u32", 4, 0);
	u64 = btf__add_int(btf, "__u64", 8, 0);
	s = btf__add_struct(btf, "chimney_test_value", wide ? 16 : 8);
	if (u32 > 0 && u64 > 0 && s > 0 &&
	    !btf__add_field(btf, a, wide ? u64 : u32, 0, 0) &&
	    !btf__add_field(btf, b, u32, wide ? 64 : 32, 0))
		shape = layout_btf_shape(btf, s);
	btf__free(btf);
	return shape;
}

UNIT_TEST(layout_value_struct_shape)
{
	__u32 base = struct_shape("packets", "bytes", false);

	ASSERT_TRUE(base != 0, "a shape for a struct");
	ASSERT_EQ(struct_shape("packets", "bytes", false), base,
		  "the same struct again");
	ASSERT_TRUE(struct_shape("packets", "drops", false) != base,
		    "a renamed field");
	ASSERT_TRUE(struct_shape("bytes", "packets", false) != base,
		    "two fields swapped");
	ASSERT_TRUE(struct_shape("packets", "bytes", true) != base,
		    "a field grown to 64 bits");
}

/*
 * Objects opened, not loaded: the layout is taken from the definitions
 * as the ELF has them (a load binds maps to others' fds, which brings
 * their BTF ids along, and drops BTF the kernel refuses).
 */
static bool opened(struct instance *o)
{
	struct instance_opts opts = { .verb = "unit", .load_only = true };

	return ASSERT_OK(instance_open(o, &opts), "open the objects");
}

/*
 * Each pinned map: the TC object's definition (it creates them all) as
 * the kernel took it. What layout_why() tells a user rests on this.
 */
UNIT_TEST(layout_objects_match_the_kernels_maps)
{
	struct instance *inst = env_instance();
	struct layout_map obj, kern;
	struct instance o;
	char why[128];
	int i, fd;

	if (!ASSERT_OK_PTR(inst, "instance") || !opened(&o))
		return;
	for (i = 0; i < CHIMNEY_NR_MAPS; i++) {
		if (chimney_map_descs[i].kind != CHIMNEY_PINNED_MAP)
			continue;
		fd = *maps_fd(&inst->maps, i);
		if (!ASSERT_OK(layout_map_from_object(o.progs[INSTANCE_TC].obj,
						      i, &obj),
			       chimney_map_descs[i].name) ||
		    !ASSERT_TRUE(fd >= 0, chimney_map_descs[i].name) ||
		    !ASSERT_OK(layout_map_from_fd(fd, i, &kern), "map info"))
			continue;
		if (layout_describe(&obj, &kern, i, why, sizeof(why)))
			unit_fail("%s (object -> kernel)", why);
		/* a ring buffer has no key or value type */
		if (!obj.has_btf && i != CHIMNEY_MAP_events)
			unit_fail("map %s: no BTF for its key or value type",
				  chimney_map_descs[i].name);
	}
	instance_close(&o);
}

/* A value one field longer: another version, and the map named. */
UNIT_TEST(layout_changed_value_is_another_version)
{
	struct layout_map maps[CHIMNEY_NR_MAPS] = {}, grown;
	char why[128] = "";
	struct instance o;
	__u32 v;
	int i;

	if (!opened(&o))
		return;
	for (i = 0; i < CHIMNEY_NR_MAPS; i++)
		if (chimney_map_descs[i].kind == CHIMNEY_PINNED_MAP)
			layout_map_from_object(o.progs[INSTANCE_TC].obj, i,
					       &maps[i]);
	v = layout_hash(maps);
	ASSERT_EQ(v, o.layout, "the loader's layout is the objects'");
	instance_close(&o);
	grown = maps[CHIMNEY_MAP_counters];
	maps[CHIMNEY_MAP_counters].value_size += 8;
	ASSERT_TRUE(layout_hash(maps) != v, "counters 8 bytes longer");
	ASSERT_TRUE(layout_describe(&grown, &maps[CHIMNEY_MAP_counters],
				    CHIMNEY_MAP_counters, why, sizeof(why)) > 0,
		    "a difference described");
	ASSERT_TRUE(strstr(why, "counters") && strstr(why, "value size"), why);
	maps[CHIMNEY_MAP_counters] = grown;
	maps[CHIMNEY_MAP_counters].shape ^= 1;
	ASSERT_TRUE(layout_hash(maps) != v, "counters' value type changed");
	/* the flow table's size is flow.size's, not the layout's */
	maps[CHIMNEY_MAP_counters] = grown;
	maps[CHIMNEY_MAP_flows].max_entries += 1024;
	ASSERT_EQ(layout_hash(maps), v, "flows: max_entries left out");
}

/* meta.layout in the pins set to layout, then a load bound to them. */
static int reuse_with(struct instance *pinned, const char *dir, __u32 layout,
		      struct instance *other)
{
	struct instance_opts opts = { .verb = "unit", .load_only = true,
				      .reuse_dir = dir };
	struct chimney_meta meta = { .layout = layout };
	__u32 zero = 0;
	int err;

	/* opened first: instance_close() needs what it sets up */
	err = instance_open(other, &opts);
	if (err)
		return err;
	if (!ASSERT_OK(bpf_map_update_elem(pinned->maps.meta, &zero, &meta, 0),
		       "write meta"))
		return -errno;
	return instance_load(other);
}

/*
 * A build binds to an instance's pins only with the layout its meta
 * records: pinned by the env's instance, its meta's version edited,
 * the load is refused before any program is verified; with the right
 * version, the new objects' maps are the pinned ones.
 */
UNIT_TEST(layout_reuse_refuses_another_version)
{
	struct instance *inst = env_instance();
	struct bpf_map_info a = {}, b = {};
	struct instance other;
	__u32 len = sizeof(a);
	char dir[64];
	int err;

	if (!ASSERT_OK_PTR(inst, "instance") || !ASSERT_OK(bpffs_ensure(), "bpffs"))
		return;
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/chimney-unit-layout-%d", getpid());
	unpin_instance(dir);
	if (!ASSERT_OK(instance_pin(inst, dir), "pin") ||
	    !ASSERT_OK(instance_publish(inst), "publish"))
		goto out;

	err = reuse_with(inst, dir, inst->layout ^ 0x10, &other);
	ASSERT_EQ(err, -ESTALE, "another layout refused");
	ASSERT_TRUE(strstr(other.why, "layout") != NULL, other.why);
	ASSERT_TRUE(other.progs[INSTANCE_TC].fd < 0, "nothing loaded");
	unit_log("refused: %s\n", other.why);
	instance_close(&other);

	err = reuse_with(inst, dir, inst->layout, &other);
	if (ASSERT_OK(err, "the same layout loads against the pins")) {
		bpf_obj_get_info_by_fd(inst->maps.counters, &a, &len);
		len = sizeof(b);
		bpf_obj_get_info_by_fd(other.maps.counters, &b, &len);
		ASSERT_EQ(b.id, a.id, "its counters are the pinned map");
	}
	instance_close(&other);
out:
	ASSERT_OK(unpin_instance(dir), "remove the pins");
}
