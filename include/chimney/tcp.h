/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * TCP header constants, for the BPF programs, user space and the test
 * library alike: the flag bits of header byte 13, the header sizes, and
 * the option kinds and lengths the MSS clamp reads and writes
 * (RFC 9293). Prefixed, because glibc's <netinet/tcp.h>, which user
 * space and the test tools include, has TCPOPT_* and TH_* of its own,
 * and no UAPI header has them for BPF.
 */
#ifndef CHIMNEY_TCP_H
#define CHIMNEY_TCP_H

/* Flags: byte 13 of the TCP header. */
#define CHIMNEY_TCP_FIN		0x01
#define CHIMNEY_TCP_SYN		0x02
#define CHIMNEY_TCP_RST		0x04
#define CHIMNEY_TCP_PSH		0x08
#define CHIMNEY_TCP_ACK		0x10

#define CHIMNEY_TCP_HDR_LEN	20	/* without options */
#define CHIMNEY_TCP_HDR_MAX	60	/* data offset 15 */
#define CHIMNEY_TCP_OPT_SPACE	(CHIMNEY_TCP_HDR_MAX - CHIMNEY_TCP_HDR_LEN)

/* Option kinds, and the one option length chimney writes. */
#define CHIMNEY_TCPOPT_EOL	0
#define CHIMNEY_TCPOPT_NOP	1
#define CHIMNEY_TCPOPT_MSS	2
#define CHIMNEY_TCPOLEN_MSS	4

#endif /* CHIMNEY_TCP_H */
