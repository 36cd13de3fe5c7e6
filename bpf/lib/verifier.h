/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rules chimney's BPF code follows for the verifier and for clang,
 * in one place. Code that applies one points here ("lib/verifier.h:
 * masked offsets") instead of explaining it again; what is particular
 * to a place stays there. What these choices cost or saved on a given
 * machine (ns, verifier instructions) is in the README's design notes.
 *
 * == Global functions ==
 *
 * The big stages are global functions (__noinline, not static): the
 * verifier checks such a function once, on its own, instead of once
 * for every state in which the code before the call can reach it. That
 * keeps the programs below the verifier's limit of a million
 * instructions. The price is a BPF-to-BPF call, so each call sits
 * behind an inline test of its config key and of the packet kind, and
 * the common cases stay inline (csum_fast(), flow_rx()).
 *
 * The verifier knows a global function's arguments only from its BTF
 * prototype, and that decides how chimney writes them:
 *  - A pointer argument is the program's context, or a pointer to a
 *    struct of known size (struct pkt, struct chimney_config, struct
 *    chimney_counters). At the call, the verifier checks that the
 *    caller's pointer covers sizeof() the struct (stack, map value);
 *    inside, the argument is that many bytes of memory and may be NULL.
 *    So every global function tests each pointer argument for NULL
 *    before the first access, and a pointer is typed for all the memory
 *    the callee reaches: the counter block goes around as a struct
 *    chimney_counters *, because as a __u64 * it would be 8 bytes, one
 *    counter. `const` in a prototype is not enforced.
 *  - No packet pointer is passed: a function that reads the packet
 *    derives data and data_end from ctx and checks its own accesses.
 *  - Scalar arguments and return values are unknown numbers to the
 *    other side: a caller that needs a range masks the result
 *    (parse_xdp_multibuf() & 0x3f), and a callee checks or masks its
 *    scalar arguments before using them as offsets.
 *  - The frames of a call chain share 512 bytes of stack: a function
 *    with big locals (csum_bad()'s sample) is called from the program,
 *    not from another global function.
 *
 * == Packet pointers are re-derived, not kept ==
 *
 *  - A helper that can change the packet (bpf_xdp_adjust_tail(),
 *    bpf_skb_change_tail(), bpf_skb_store_bytes(), bpf_l3/l4_csum_replace(),
 *    bpf_skb_pull_data(), ...) invalidates every packet pointer, and so
 *    does a call of a global function that may call one (the verifier of
 *    recent kernels tracks this; an older one let the stale pointer
 *    through, which is no licence to use it). Code after such a call
 *    reads data and data_end from ctx again and checks again; a stage
 *    that may call one says so to its caller. Helpers that only read
 *    (bpf_xdp_load_bytes(), bpf_csum_diff(), bpf_fib_lookup()) leave
 *    packet pointers valid.
 *  - An access goes through the pointer just checked against data_end.
 *    The verifier ties a bounds check to the register it tested: a
 *    decision taken later from a copy of the value (the saved tuple, a
 *    recomputed pointer) lets clang re-read the packet through a pointer
 *    whose range the verifier no longer knows. The parser therefore
 *    decides, for example, whether a UDP packet is VXLAN right after the
 *    UDP header's check.
 *
 * == Masked offsets ==
 *
 * A packet pointer plus a variable is checked against data_end to some
 * effect only while the verifier knows an upper bound of the variable,
 * and the bound plus the access stays below 64 KB (MAX_PACKET_OFF). An
 * offset computed from header fields has no bound it can see, or one
 * too large, so it is masked right before it is added:
 * PKT_OFF_MASK, or a narrower mask where the bound is smaller (an IP
 * header offset & 0xff, a TCP option offset & 0x3f). A mask is for the
 * verifier only and must never change a real offset. Every header
 * offset of the outer packet lies below PKT_OFF_MASK (two VLAN tags,
 * IPv6 with six extension headers of 2 KB each, TCP options: about
 * 12.5 KB), and so does a VXLAN inner IPv4 packet's; the two places that
 * could go further, an inner packet's IPv6 extension chain and the
 * in-place checksum of a segment, give up before they pass it.
 *
 * == Widened positions ==
 *
 * The verifier follows every path and prunes one only when its state
 * matches one it has already seen. A loop position it knows exactly
 * makes every mix of steps a state of its own (the TCP option walk
 * steps by 1 for a NOP and by the length for any other option): the
 * walk explodes. verifier_widen() hides the position from clang with an
 * empty asm and masks it, so the verifier sees a range where clang
 * would have folded the mask away, and the paths of one step meet in
 * one state.
 *
 * == Ordering points ==
 *
 * clang optimizes for the CPU, not for the verifier. An empty asm with
 * the value as an in-out operand (libbpf's barrier_var()) makes the
 * value opaque to clang at that point, and keeps:
 *  - a test or mask that clang can prove redundant, where the verifier
 *    needs it: the size passed to a helper must be the very register
 *    the bounds check tested, not a copy clang tested instead;
 *  - one base pointer in one register, where clang would otherwise
 *    choose again between two candidates for every field it reads.
 * The Toeplitz lookups are asm blocks for a like reason
 * (include/chimney/toeplitz.h): from C, clang hoists and spills the
 * byte loads.
 *
 * == clang 14 code generation ==
 *
 *  - Its default BPF target has no 32-bit ALU: __u32 arithmetic costs
 *    a zero-extending shift pair per use, so hot positions and sums
 *    are __u64.
 *  - A helper's long result is compared as a long: narrowed to an int
 *    first, it is sign-extended again for the compare.
 *  - Through a packed struct (struct ethhdr), clang loads a field a
 *    byte at a time: the 2-byte-aligned ethertype is read through a
 *    __be16 * instead.
 */
#ifndef CHIMNEY_BPF_VERIFIER_H
#define CHIMNEY_BPF_VERIFIER_H

#include <bpf/bpf_helpers.h>

/* Masked offsets: the bound of every packet offset (see above). */
#define PKT_OFF_MASK		0x3fff

/* Widened positions: v as a range 0..mask to the verifier (see above). */
#define verifier_widen(v, mask)	({ barrier_var(v); (v) & (mask); })

#endif /* CHIMNEY_BPF_VERIFIER_H */
