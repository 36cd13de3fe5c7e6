// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The list of an instance's maps (<chimney/maps.h>) as a table, and what
 * is done by walking it: the fds of struct chimney_maps, opened from the
 * pins or taken from the objects the instance loader loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "log.h"

#define __CHIMNEY_MAP_DESC(n, k, h)					\
	[CHIMNEY_MAP_##n] = { .name = #n, .kind = k, .help = h,		\
			      .off = offsetof(struct chimney_maps, n) },
const struct chimney_map_desc chimney_map_descs[CHIMNEY_NR_MAPS] = {
	CHIMNEY_MAPS(__CHIMNEY_MAP_DESC)
};
#undef __CHIMNEY_MAP_DESC

void maps_init(struct chimney_maps *m)
{
	int i;

	for (i = 0; i < CHIMNEY_NR_MAPS; i++)
		*maps_fd(m, i) = -1;
}

void maps_close(struct chimney_maps *m)
{
	int i;

	for (i = 0; i < CHIMNEY_NR_MAPS; i++) {
		if (*maps_fd(m, i) >= 0)
			close(*maps_fd(m, i));
		*maps_fd(m, i) = -1;
	}
}

int maps_open_dir(const char *dir, struct chimney_maps *m, bool partial)
{
	const struct chimney_map_desc *d;
	char path[PATH_MAX];
	int i, fd, err;

	maps_init(m);
	for (i = 0; i < CHIMNEY_NR_MAPS; i++) {
		d = &chimney_map_descs[i];
		if (d->kind == CHIMNEY_INTERNAL_MAP)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->name);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			*maps_fd(m, i) = fd;
			continue;
		}
		if (partial)
			continue;
		err = -errno;
		pr_err("cannot open pin %s: %s\n", path, strerror(-err));
		maps_close(m);
		return err;
	}
	return 0;
}

int maps_open_pinned(const struct chimney_ctx *ctx, struct chimney_maps *m)
{
	return maps_open_dir(ctx->pin_dir, m, false);
}

int maps_reuse_pinned(struct bpf_object *obj, const char *pin_dir)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int fd, err;

	bpf_object__for_each_map(map, obj) {
		/* .rodata/.bss and friends are the object's own */
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir,
			 bpf_map__name(map));
		fd = bpf_obj_get(path);
		if (fd < 0)
			return -errno;
		err = bpf_map__reuse_fd(map, fd);
		close(fd);
		if (err)
			return err;
	}
	return 0;
}

int map_read0(int fd, void *val, size_t size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	void *buf;
	int err = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	buf = calloc(1, info.value_size > size ? info.value_size : size);
	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, buf))
		err = -errno;
	else
		memcpy(val, buf, size);
	free(buf);
	return err;
}

int map_write0(int fd, const void *val, size_t size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.value_size != size)
		return -EMSGSIZE;
	return bpf_map_update_elem(fd, &zero, val, BPF_ANY) ? -errno : 0;
}
