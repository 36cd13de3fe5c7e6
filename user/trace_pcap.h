/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The pcap writer behind `chimney trace -w`, through libpcap; the unit
 * runner's -w and the test tools' --pcap use it too. Apart from
 * trace.c because libpcap's <pcap/bpf.h> and the kernel's <linux/bpf.h>
 * both define struct bpf_insn and cannot meet in one file.
 */
#ifndef CHIMNEY_TRACE_PCAP_H
#define CHIMNEY_TRACE_PCAP_H

#include <stddef.h>
#include <linux/types.h>

struct trace_pcap;

/* An Ethernet pcap at path; NULL with a reason in err on failure. */
struct trace_pcap *trace_pcap_open(const char *path, int snaplen, char *err,
				   size_t errlen);
/* One frame: caplen bytes of a frame of len, at real_ns (CLOCK_REALTIME). */
void trace_pcap_write(struct trace_pcap *p, __s64 real_ns, const void *data,
		      __u32 caplen, __u32 len);
void trace_pcap_close(struct trace_pcap *p);

#endif
