// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `chimney trace -w`: sampled frames into a pcap, see trace_pcap.h. */
#include <stdio.h>
#include <stdlib.h>
#include <pcap/pcap.h>

#include "trace_pcap.h"

struct trace_pcap {
	pcap_t *pcap;
	pcap_dumper_t *dump;
};

struct trace_pcap *trace_pcap_open(const char *path, int snaplen, char *err,
				   size_t errlen)
{
	struct trace_pcap *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* A "dead" handle: the link type and snap length of a capture,
	 * without a device, is all pcap_dump_open() needs. */
	p->pcap = pcap_open_dead(DLT_EN10MB, snaplen);
	if (!p->pcap) {
		snprintf(err, errlen, "out of memory");
		free(p);
		return NULL;
	}
	p->dump = pcap_dump_open(p->pcap, path);
	if (!p->dump) {
		snprintf(err, errlen, "%s", pcap_geterr(p->pcap));
		pcap_close(p->pcap);
		free(p);
		return NULL;
	}
	return p;
}

void trace_pcap_write(struct trace_pcap *p, __s64 real_ns, const void *data,
		      __u32 caplen, __u32 len)
{
	struct pcap_pkthdr ph = {
		.ts.tv_sec = real_ns / 1000000000LL,
		.ts.tv_usec = (real_ns % 1000000000LL) / 1000,
		.caplen = caplen,
		.len = len,
	};

	pcap_dump((u_char *)p->dump, &ph, data);
	/* Each record reaches the file at once: a trace stopped by a
	 * signal or read while it runs shows every frame so far. */
	pcap_dump_flush(p->dump);
}

void trace_pcap_close(struct trace_pcap *p)
{
	if (!p)
		return;
	pcap_dump_close(p->dump);
	pcap_close(p->pcap);
	free(p);
}
