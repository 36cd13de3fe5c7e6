// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * chimney trace: the packets the data path sampled into an interface's
 * `events` ring buffer (today: frames whose checksum chimney proved
 * wrong), as text, JSON lines or a pcap for tcpdump and Wireshark.
 *
 * Also here: the warning `attach` and `set` print on a veth, whose
 * senders put partial checksums on the wire when tx checksum offload is
 * on, and on loopback, whose local traffic always has them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include <chimney/event.h>

#include "chimney.h"
#include "log.h"
#include "trace_pcap.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct trace_state {
	bool json;
	unsigned long max;	/* 0: no limit */
	unsigned long seen;
	__s64 mono_to_real;	/* ns to add to a CLOCK_MONOTONIC stamp */
	struct trace_pcap *pcap;
};

static __s64 ts_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__s64)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *proto_name(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_ICMPV6:
		return "ICMPv6";
	}
	return "IP";
}

/* "10.0.0.1:80", "[2001:db8::1]:80", or the address alone. */
static void fmt_endpoint(char *buf, size_t len, const struct chimney_tuple *t,
			 const __be32 *addr, __be16 port)
{
	char a[INET6_ADDRSTRLEN];
	bool ports = t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP;

	inet_ntop(t->family == 6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	if (!ports)
		snprintf(buf, len, "%s", a);
	else if (t->family == 6)
		snprintf(buf, len, "[%s]:%u", a, ntohs(port));
	else
		snprintf(buf, len, "%s:%u", a, ntohs(port));
}

/*
 * The flow of a sample. The parser fills the tuple only for a header it
 * accepted; an IPv4 header whose checksum is wrong on a frame it gave up
 * on (a total length past the frame, say) still names its addresses in
 * the captured bytes.
 */
static void event_tuple(const struct chimney_event *ev, struct chimney_tuple *t)
{
	const __u8 *ip = ev->data + ev->l3_off;
	__u32 l4;

	*t = ev->tuple;
	if (t->family || ev->l3_off + 20U > ev->cap_len || (ip[0] >> 4) != 4)
		return;
	l4 = ev->l3_off + (ip[0] & 0xf) * 4;
	t->family = 4;
	t->proto = ip[9];
	memcpy(&t->saddr[0], ip + 12, 4);
	memcpy(&t->daddr[0], ip + 16, 4);
	/* ports, when the first fragment's L4 header was captured */
	if ((ip[6] & 0x1f) == 0 && ip[7] == 0 && l4 + 4 <= ev->cap_len) {
		memcpy(&t->sport, ev->data + l4, 2);
		memcpy(&t->dport, ev->data + l4 + 2, 2);
	}
}

static const char *reason_name(__u32 reason)
{
	return reason < CHIMNEY_NR_COUNTERS ? counter_descs[reason].name :
					      "unknown";
}

static void print_text(const struct trace_state *st,
		       const struct chimney_event *ev, __s64 real)
{
	char src[64], dst[64], when[32], ifname[IF_NAMESIZE] = "?";
	time_t sec = real / 1000000000LL;
	struct chimney_tuple t;
	struct tm tm;

	localtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (!if_indextoname(ev->ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "if%u", ev->ifindex);
	event_tuple(ev, &t);
	fmt_endpoint(src, sizeof(src), &t, t.saddr, t.sport);
	fmt_endpoint(dst, sizeof(dst), &t, t.daddr, t.dport);
	printf("%s.%06lld %s %s %s > %s %s len %u: %s checksum 0x%04x, expected 0x%04x\n",
	       when, (long long)(real % 1000000000LL) / 1000, ifname,
	       reason_name(ev->reason), src, dst, proto_name(t.proto),
	       ev->pkt_len,
	       ev->reason == (__u32)counter_index("csum_bad_ip") ? "IPv4 header" :
							      proto_name(t.proto),
	       ntohs(ev->found), ntohs(ev->expected));
}

static void print_json(const struct chimney_event *ev, __s64 real)
{
	struct json_object *o = json_object_new_object();
	char a[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE] = "";
	struct chimney_tuple tuple, *t = &tuple;
	char *hex;
	__u32 i;

	event_tuple(ev, t);
	json_object_object_add(o, "time", json_object_new_double(real / 1e9));
	json_object_object_add(o, "ifindex", json_object_new_int(ev->ifindex));
	if (if_indextoname(ev->ifindex, ifname))
		json_object_object_add(o, "ifname", json_object_new_string(ifname));
	json_object_object_add(o, "reason",
			       json_object_new_string(reason_name(ev->reason)));
	json_object_object_add(o, "family", json_object_new_int(t->family));
	json_object_object_add(o, "proto", json_object_new_int(t->proto));
	inet_ntop(t->family == 6 ? AF_INET6 : AF_INET, t->saddr, a, sizeof(a));
	json_object_object_add(o, "src", json_object_new_string(a));
	inet_ntop(t->family == 6 ? AF_INET6 : AF_INET, t->daddr, a, sizeof(a));
	json_object_object_add(o, "dst", json_object_new_string(a));
	json_object_object_add(o, "sport", json_object_new_int(ntohs(t->sport)));
	json_object_object_add(o, "dport", json_object_new_int(ntohs(t->dport)));
	json_object_object_add(o, "len", json_object_new_int(ev->pkt_len));
	json_object_object_add(o, "caplen", json_object_new_int(ev->cap_len));
	json_object_object_add(o, "l3_off", json_object_new_int(ev->l3_off));
	json_object_object_add(o, "l4_off", json_object_new_int(ev->l4_off));
	json_object_object_add(o, "found", json_object_new_int(ntohs(ev->found)));
	json_object_object_add(o, "expected",
			       json_object_new_int(ntohs(ev->expected)));
	hex = malloc(ev->cap_len * 2 + 1);
	if (hex) {
		for (i = 0; i < ev->cap_len; i++)
			sprintf(hex + 2 * i, "%02x", ev->data[i]);
		hex[2 * ev->cap_len] = 0;
		json_object_object_add(o, "data", json_object_new_string(hex));
		free(hex);
	}
	cli_json_print(o, true);
}

static int on_event(void *arg, void *data, size_t size)
{
	struct trace_state *st = arg;
	const struct chimney_event *ev = data;
	__s64 real;

	if (size < sizeof(*ev) || ev->cap_len > CHIMNEY_EVENT_SNAP) {
		pr_warn("trace: skipping a record of %zu bytes\n", size);
		return 0;
	}
	real = (__s64)ev->ts_ns + st->mono_to_real;
	if (st->json)
		print_json(ev, real);
	else
		print_text(st, ev, real);
	if (st->pcap)
		trace_pcap_write(st->pcap, real, ev->data, ev->cap_len,
				 ev->pkt_len);
	fflush(stdout);
	st->seen++;
	/* Stop at once, leaving later records in the ring for the next
	 * reader: a negative return ends ring_buffer__poll(). */
	if (st->max && st->seen >= st->max)
		return -ECANCELED;
	return 0;
}

struct trace_opts {
	unsigned long count;	/* 0: no limit */
	const char *write;
	double timeout;		/* seconds; 0: none */
};

static const struct cli_opt trace_opts[] = {
	CLI_OPT("count", CLI_UINT, struct trace_opts, count, .key = 'c',
		.arg = "N", .min = 1, .help = "stop after N packets"),
	CLI_OPT("write", CLI_STR, struct trace_opts, write, .key = 'w',
		.arg = "FILE", .complete = CLI_COMP_FILE, .ext = "pcap",
		.help = "also write them to FILE as a pcap, with the bytes received (first 512 of each frame)",
		.doc = "Also write them to FILE as a pcap (Ethernet, the first 512 bytes of each frame as received, the original length recorded), for `tcpdump`(8) or Wireshark."),
	CLI_OPT("timeout", CLI_NUM, struct trace_opts, timeout, .key = 't',
		.arg = "SECS", .min = 0.001, .max = 86400 * 365,
		.help = "stop after SECS seconds"),
	{}
};

const struct cli_spec trace_cli = {
	.name = "trace",
	.forms = (const char *const[]){ "IFACE", NULL },
	.min_args = 1,
	.max_args = 1,
	.about =
	"Print the packets chimney sampled on IFACE: frames whose checksum it\n"
	"proved wrong (csum=count or drop), at most csum.sample_rate per second.\n"
	"Each line gives the counter that counted the frame, its flow, the\n"
	"checksum it carried and the one it should carry. Samples taken while no\n"
	"trace runs wait in the ring buffer (about 440 of them); each is read\n"
	"once, by one reader.\n",
	.opts = trace_opts,
	.common = CLI_COMMON,
	.json_help = "one JSON object per packet, bytes in hex",
};

int cmd_trace(int argc, char **argv)
{
	struct chimney_ctx ctx = {};
	struct trace_opts o = {};
	__u64 before[CHIMNEY_NR_COUNTERS], after[CHIMNEY_NR_COUNTERS];
	struct trace_state st = {};
	struct ring_buffer *rb = NULL;
	struct cli_args a;
	char errbuf[256];
	__s64 deadline = 0;
	int fd = -1, cfd = -1, err = 0, ret = 1;

	err = cli_parse(&trace_cli, argc, argv, &o, &a);
	if (err)
		return err < 0;
	ctx_from_args(&ctx, &a);
	st.max = o.count;
	st.json = ctx.json;
	if (ctx_resolve_attached(&ctx, "trace"))
		return 1;
	fd = pin_open(&ctx, PIN(events));
	cfd = pin_open(&ctx, PIN(counters));
	if (fd < 0 || cfd < 0) {
		pr_err("trace: cannot open the events/counters pins in %s (attached by an older chimney? detach and attach again)\n",
		       ctx.pin_dir);
		goto out;
	}
	if (o.write) {
		st.pcap = trace_pcap_open(o.write, CHIMNEY_EVENT_SNAP, errbuf,
					  sizeof(errbuf));
		if (!st.pcap) {
			pr_err("trace: cannot write %s: %s\n", o.write, errbuf);
			goto out;
		}
	}
	st.mono_to_real = ts_ns(CLOCK_REALTIME) - ts_ns(CLOCK_MONOTONIC);
	rb = ring_buffer__new(fd, on_event, &st, NULL);
	if (!rb) {
		pr_err("trace: cannot map the events ring buffer: %s\n",
		       strerror(errno));
		goto out;
	}
	if (counters_read(cfd, before, NULL, NULL))
		memset(before, 0, sizeof(before));

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (o.timeout)
		deadline = ts_ns(CLOCK_MONOTONIC) + (__s64)(o.timeout * 1e9);
	while (!stop) {
		err = ring_buffer__poll(rb, 100);
		if (err == -ECANCELED)
			break;		/* --count reached */
		if (err < 0 && err != -EINTR) {
			pr_err("trace: reading the ring buffer: %s\n",
			       strerror(-err));
			goto out;
		}
		if (deadline && ts_ns(CLOCK_MONOTONIC) >= deadline)
			break;
	}
	ret = 0;
	/* What the rate limit and a full ring kept from us meanwhile. */
	if (!counters_read(cfd, after, NULL, NULL)) {
		int rl = counter_index("csum_samples_ratelimited");
		int lost = counter_index("csum_samples_lost");

		if (rl >= 0 && lost >= 0)
			fprintf(stderr, "trace: %lu packets; meanwhile %llu bad frames not sampled (csum.sample_rate), %llu lost (ring full)\n",
				st.seen,
				(unsigned long long)(after[rl] - before[rl]),
				(unsigned long long)(after[lost] - before[lost]));
	}
out:
	ring_buffer__free(rb);
	trace_pcap_close(st.pcap);
	if (fd >= 0)
		close(fd);
	if (cfd >= 0)
		close(cfd);
	return ret;
}

/*
 * On a veth, a sender with tx checksum offload (the default) leaves the
 * L4 checksum partial: the receiving stack knows (CHECKSUM_PARTIAL
 * travels with the skb), XDP sees only the bytes, and they look corrupt.
 * Loopback is the same with no sender to ask: its checksum offload is
 * fixed on (`ethtool -K lo tx off` changes nothing), so the TCP and UDP
 * it carries are partial for good. The driver comes from the ethtool
 * ioctl, the loopback flag from SIOCGIFFLAGS, both on a socket of the
 * current network namespace: `-n NETNS` switches only that, and sysfs
 * would describe the root namespace's interfaces.
 */
void csum_warn_partial(const struct chimney_ctx *ctx,
		       const struct chimney_config *cfg)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};
	int s;

	if (cfg->csum_mode == CHIMNEY_CSUM_OFF)
		return;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ctx->ifname);
	if (!ioctl(s, SIOCGIFFLAGS, &ifr) && (ifr.ifr_flags & IFF_LOOPBACK)) {
		pr_warn("%s is the loopback: local TCP and UDP carry partial checksums there, which csum= counts as bad (and csum=drop drops); its checksum offload is fixed (ethtool -K %s tx off changes nothing), so keep csum=count or csum=off on it\n",
			ctx->ifname, ctx->ifname);
		goto out;
	}
	ifr.ifr_data = (void *)&info;
	if (!ioctl(s, SIOCETHTOOL, &ifr) && !strcmp(info.driver, "veth"))
		pr_warn("%s is a veth: a peer with tx checksum offload on sends partial checksums, which csum= counts as bad (and csum=drop drops); turn it off on the peer: ethtool -K PEER tx off\n",
			ctx->ifname);
out:
	close(s);
}
