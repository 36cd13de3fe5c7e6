// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The layout version of an instance's pinned maps.
 *
 * An upgrade loads a new build's programs against the maps an earlier
 * build pinned (bpf_map__reuse_fd): the new programs then read and
 * write values laid out by the old definitions. libbpf adopts a reused
 * map as it is, and the verifier only checks that accesses stay inside
 * the value, so a struct whose fields moved, or a value that grew by a
 * counter the old map has no room for, would load and silently misread
 * (or be refused by the verifier with a message about offsets). So each
 * pinned map of the list is summed up as its type, key and value size,
 * flags, max_entries (not for the flow table, sized by flow.size at
 * attach) and the shape of the BTF of its key and value types (member
 * names, offsets and sizes, recursively, type names left out), and the
 * layout version is a hash over those, in the order of the list. attach
 * records it in the meta map; a build with another one is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "log.h"

#define FNV32_INIT	2166136261u
#define FNV32_PRIME	16777619u
/* Deeper than any map value chimney has; a loop in BTF ends here. */
#define SHAPE_DEPTH	16

static __u32 fnv32(__u32 h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--) {
		h ^= *p++;
		h *= FNV32_PRIME;
	}
	return h;
}

static __u32 fnv32_u32(__u32 h, __u32 v)
{
	return fnv32(h, &v, sizeof(v));
}

static __u32 fnv32_str(__u32 h, const char *s)
{
	return fnv32(h, s, strlen(s) + 1);
}

static __u32 shape(const struct btf *btf, __u32 id, __u32 h, int depth)
{
	const struct btf_type *t;
	const struct btf_member *m;
	const struct btf_enum *e;
	int i, kind;

	if (depth > SHAPE_DEPTH)
		return fnv32_u32(h, ~0u);
	t = btf__type_by_id(btf, id);
	if (!t || !id)
		return fnv32_u32(h, 0);
	kind = btf_kind(t);
	/* typedefs and qualifiers name or qualify a layout, they are none */
	if (kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_CONST ||
	    kind == BTF_KIND_VOLATILE || kind == BTF_KIND_RESTRICT ||
	    kind == BTF_KIND_TYPE_TAG)
		return shape(btf, t->type, h, depth + 1);
	h = fnv32_u32(h, kind);
	switch (kind) {
	case BTF_KIND_INT:
		h = fnv32_u32(h, t->size);
		return fnv32_u32(h, *(const __u32 *)(t + 1));
	case BTF_KIND_FLOAT:
		return fnv32_u32(h, t->size);
	case BTF_KIND_ARRAY:
		h = fnv32_u32(h, btf_array(t)->nelems);
		return shape(btf, btf_array(t)->type, h, depth + 1);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		h = fnv32_u32(h, t->size);
		h = fnv32_u32(h, btf_vlen(t));
		for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++) {
			h = fnv32_str(h, btf__name_by_offset(btf, m->name_off));
			h = fnv32_u32(h, btf_member_bit_offset(t, i));
			h = fnv32_u32(h, btf_member_bitfield_size(t, i));
			h = shape(btf, m->type, h, depth + 1);
		}
		return h;
	case BTF_KIND_ENUM:
		h = fnv32_u32(h, t->size);
		for (i = 0, e = btf_enum(t); i < btf_vlen(t); i++, e++) {
			h = fnv32_str(h, btf__name_by_offset(btf, e->name_off));
			h = fnv32_u32(h, e->val);
		}
		return h;
	case BTF_KIND_ENUM64:
		h = fnv32_u32(h, t->size);
		for (i = 0; i < btf_vlen(t); i++) {
			const struct btf_enum64 *e64 = btf_enum64(t) + i;
			__u64 v = btf_enum64_value(e64);

			h = fnv32_str(h, btf__name_by_offset(btf, e64->name_off));
			h = fnv32(h, &v, sizeof(v));
		}
		return h;
	case BTF_KIND_FWD:
		return fnv32_str(h, btf__name_by_offset(btf, t->name_off));
	default:
		/* pointers, functions: their kind is all a map value has */
		return h;
	}
}

__u32 layout_btf_shape(const struct btf *btf, __u32 type_id)
{
	return btf && type_id ? shape(btf, type_id, FNV32_INIT, 0) : 0;
}

static void layout_set_shape(struct layout_map *lm, const struct btf *btf,
			     __u32 key_id, __u32 value_id)
{
	lm->has_btf = btf && (key_id || value_id);
	lm->shape = lm->has_btf ?
		fnv32_u32(layout_btf_shape(btf, key_id),
			  layout_btf_shape(btf, value_id)) : 0;
}

/* The flow table's size is flow.size, chosen at attach: no layout. */
static bool sized_at_attach(int i)
{
	return i == CHIMNEY_MAP_flows;
}

int layout_map_from_object(struct bpf_object *obj, int i,
			   struct layout_map *lm)
{
	struct bpf_map *m;

	memset(lm, 0, sizeof(*lm));
	m = bpf_object__find_map_by_name(obj, chimney_map_descs[i].name);
	if (!m)
		return -ENOENT;
	lm->type = bpf_map__type(m);
	lm->key_size = bpf_map__key_size(m);
	lm->value_size = bpf_map__value_size(m);
	lm->max_entries = sized_at_attach(i) ? 0 : bpf_map__max_entries(m);
	lm->flags = bpf_map__map_flags(m);
	layout_set_shape(lm, bpf_object__btf(obj), bpf_map__btf_key_type_id(m),
			 bpf_map__btf_value_type_id(m));
	return 0;
}

int layout_map_from_fd(int fd, int i, struct layout_map *lm)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct btf *btf = NULL;

	memset(lm, 0, sizeof(*lm));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	lm->type = info.type;
	lm->key_size = info.key_size;
	lm->value_size = info.value_size;
	lm->max_entries = sized_at_attach(i) ? 0 : info.max_entries;
	lm->flags = info.map_flags;
	if (info.btf_id)
		btf = btf__load_from_kernel_by_id(info.btf_id);
	layout_set_shape(lm, btf, info.btf_key_type_id, info.btf_value_type_id);
	btf__free(btf);
	return 0;
}

__u32 layout_hash(const struct layout_map *maps)
{
	const struct layout_map *lm;
	__u32 h = FNV32_INIT;
	int i;

	for (i = 0; i < CHIMNEY_NR_MAPS; i++) {
		if (chimney_map_descs[i].kind != CHIMNEY_PINNED_MAP)
			continue;
		lm = &maps[i];
		h = fnv32_str(h, chimney_map_descs[i].name);
		h = fnv32_u32(h, lm->type);
		h = fnv32_u32(h, lm->key_size);
		h = fnv32_u32(h, lm->value_size);
		h = fnv32_u32(h, sized_at_attach(i) ? 0 : lm->max_entries);
		h = fnv32_u32(h, lm->flags);
		h = fnv32_u32(h, lm->shape);
	}
	/* 0 stands for "not recorded" (meta of a chimney before layouts) */
	return h ? h : 1;
}

int layout_describe(const struct layout_map *was, const struct layout_map *is,
		    int i, char *buf, size_t len)
{
	static const struct {
		const char *what;
		size_t off;
	} fields[] = {
		{ "type", offsetof(struct layout_map, type) },
		{ "key size", offsetof(struct layout_map, key_size) },
		{ "value size", offsetof(struct layout_map, value_size) },
		{ "max_entries", offsetof(struct layout_map, max_entries) },
		{ "flags", offsetof(struct layout_map, flags) },
	};
	const char *name = chimney_map_descs[i].name;
	__u32 a, b;
	size_t f;

	for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		a = *(const __u32 *)((const char *)was + fields[f].off);
		b = *(const __u32 *)((const char *)is + fields[f].off);
		if (a != b)
			return snprintf(buf, len, "map %s: %s %u -> %u", name,
					fields[f].what, a, b);
	}
	/* A map the kernel took without BTF says nothing about it. */
	if (was->has_btf && is->has_btf && was->shape != is->shape)
		return snprintf(buf, len,
				"map %s: its key or value type changed (same size, other fields)",
				name);
	return 0;
}
