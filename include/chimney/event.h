/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Records in the `events` ring buffer: packets the data path samples for
 * `chimney trace` (today: frames with a checksum proven wrong). Each one
 * carries the first CHIMNEY_EVENT_SNAP bytes of the frame as received,
 * so `trace -w` can write a pcap with the original bytes.
 */
#ifndef CHIMNEY_EVENT_H
#define CHIMNEY_EVENT_H

#include <linux/types.h>

#include <chimney/pkt.h>

#define CHIMNEY_EVENT_SNAP	512		/* bytes of the frame kept */
#define CHIMNEY_EVENTS_SIZE	(256 * 1024)	/* ring buffer bytes (~440 records) */

enum chimney_event_type {
	CHIMNEY_EV_CSUM = 1,	/* a checksum proven wrong */
};

struct chimney_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 type;		/* enum chimney_event_type */
	__u32 ifindex;		/* receiving interface */
	__u32 pkt_len;		/* whole frame, all buffers */
	__u32 cap_len;		/* bytes of it in data[] */
	__u32 reason;		/* counter index (csum_bad_*), see counters.h */
	__be16 found;		/* checksum field as received */
	__be16 expected;	/* the value that field should hold */
	__u16 l3_off;		/* offsets into the frame, as parsed */
	__u16 l4_off;
	__u32 pad;
	struct chimney_tuple tuple;
	__u8 data[CHIMNEY_EVENT_SNAP];
};

#endif /* CHIMNEY_EVENT_H */
