/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flow table (bpf/lib/flow.h). An LRU hash: a full table evicts its
 * least recently used flow rather than refusing a new one, so it can
 * never lock out new connections. max_entries is flow.size, set by the
 * loader before the first object is loaded.
 * Part of maps.h; on its own for the query program of user space
 * (bpf/flow_count.bpf.c), which binds it to an instance's pin.
 */
#ifndef CHIMNEY_BPF_FLOW_MAPS_H
#define CHIMNEY_BPF_FLOW_MAPS_H

#include "common.h"
#include <chimney/flow.h>

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CHIMNEY_FLOW_SIZE_DEFAULT);
	__type(key, struct chimney_flow_key);
	__type(value, struct chimney_flow);
} flows SEC(".maps");

#endif /* CHIMNEY_BPF_FLOW_MAPS_H */
