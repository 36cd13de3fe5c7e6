// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * chimney --version: chimney's own version, the libbpf and libxdp it runs
 * with, and what the kernel lets it do. Everything is found out without
 * changing anything: no program is attached to any interface.
 *
 * - The libraries are named by the shared objects loaded into this very
 *   process (dl_iterate_phdr), not by the headers chimney was built with,
 *   so a library upgraded under a built binary shows. libxdp has no
 *   version API: its real file name carries the version its Makefile
 *   gives the library, which is the ABI version (the newest node of its
 *   symbol map), not always the release: Debian's libxdp1 1.3.1 ships
 *   libxdp.so.1.3.0.
 * - freplace: libxdp's multi-program dispatcher attaches each program as
 *   an freplace (BPF_PROG_TYPE_EXT) program to a stub function of the
 *   dispatcher. Where the kernel refuses that (EPERM on some kernels),
 *   libxdp falls back to one program per interface. The probe tries
 *   exactly that against an XDP program of its own.
 * - native XDP: the kernel's own report (the netdev genetlink family's
 *   xdp-features, kernel >= 6.3), never a trial attach.
 */
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "chimney.h"
#include "instance.h"
#include "log.h"
#include "nl.h"
#include "version.h"

/* Set by the Makefile: the library files chimney was linked against. */
#ifndef CHIMNEY_BUILD_LIBBPF
#define CHIMNEY_BUILD_LIBBPF	"unknown"
#endif
#ifndef CHIMNEY_BUILD_LIBXDP
#define CHIMNEY_BUILD_LIBXDP	"unknown"
#endif

/* From <linux/netdev.h> (kernel 6.3), newer than Debian 12's UAPI headers. */
#define NETDEV_FAMILY_NAME		"netdev"
#define NETDEV_FAMILY_VERSION		1
#define NETDEV_CMD_DEV_GET		1
#define NETDEV_A_DEV_IFINDEX		1
#define NETDEV_A_DEV_XDP_FEATURES	3
#define NETDEV_XDP_ACT_BASIC		1

#define VMLINUX_BTF	"/sys/kernel/btf/vmlinux"

/* enum netdev_xdp_act, bit by bit, as ynl and the kernel docs name them. */
static const char *const xdp_act_names[] = {
	"basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload",
	"rx-sg", "ndo-xmit-sg",
};

struct lib_info {
	char version[64];	/* what chimney runs with */
	char file[PATH_MAX];	/* the loaded file; "" when linked statically */
	const char *build;	/* what it was linked against */
};

/* A kernel feature: available, refused, or not found out. */
struct feature {
	int state;		/* 1 yes, 0 no, -1 unknown */
	char why[160];		/* no / unknown: the reason, for people */
};

struct version_info {
	struct lib_info libbpf, libxdp;
	char libbpf_api[16];	/* libbpf_version_string(): "v1.1" */
	struct utsname uts;
	struct feature btf;
	__u32 btf_types;
	struct feature freplace;
	const char *freplace_step;	/* "load" or "attach" when refused */
	struct feature dispatcher;
	/* with IFACE only */
	const char *ifname, *netns;
	struct feature native;
	__u64 xdp_features;
	/* with -v only: chimney's programs loaded, as attach loads them */
	bool verifier_asked;
	struct feature verifier;
	struct instance_prog progs[INSTANCE_NR_PROGS];
};

/* What --version takes. */
struct version_opts {
	const char *netns;
	const char *ifname;
	bool json;
	bool verifier;		/* -v: load chimney's programs, count */
};

__attribute__((format(printf, 3, 4)))
static void feature_set(struct feature *f, int state, const char *fmt, ...)
{
	va_list ap;

	f->state = state;
	f->why[0] = 0;
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
}

struct lib_find {
	const char *prefix;	/* "libxdp.so" */
	char *path;
	size_t len;
};

static int lib_find_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct lib_find *f = arg;
	const char *base;

	if (!info->dlpi_name || !*info->dlpi_name)
		return 0;
	base = strrchr(info->dlpi_name, '/');
	base = base ? base + 1 : info->dlpi_name;
	if (strncmp(base, f->prefix, strlen(f->prefix)))
		return 0;
	/* libxdp.so.1 is a symlink; the file behind it has the version */
	if (!realpath(info->dlpi_name, f->path))
		snprintf(f->path, f->len, "%s", info->dlpi_name);
	return 1;
}

/*
 * The loaded library whose file name starts with prefix ("libbpf.so"):
 * its real path in lib->file and what follows ".so." in lib->version.
 * Returns -ENOENT when no such object is loaded (a static build).
 */
static int lib_loaded(struct lib_info *lib, const char *prefix)
{
	struct lib_find f = { .prefix = prefix, .path = lib->file,
			      .len = sizeof(lib->file) };
	const char *base, *v;

	lib->file[0] = 0;
	if (!dl_iterate_phdr(lib_find_cb, &f))
		return -ENOENT;
	base = strrchr(lib->file, '/');
	base = base ? base + 1 : lib->file;
	v = strstr(base, ".so.");
	snprintf(lib->version, sizeof(lib->version), "%s", v ? v + 4 : "unknown");
	return 0;
}

static void probe_libs(struct version_info *vi)
{
	char api[32];

	vi->libbpf.build = CHIMNEY_BUILD_LIBBPF;
	vi->libxdp.build = CHIMNEY_BUILD_LIBXDP;
	snprintf(vi->libbpf_api, sizeof(vi->libbpf_api), "%s",
		 libbpf_version_string());

	/*
	 * libbpf reports its major.minor itself; the file adds the patch
	 * level. Trust the file only where the two agree.
	 */
	snprintf(api, sizeof(api), "%u.%u", libbpf_major_version(),
		 libbpf_minor_version());
	if (lib_loaded(&vi->libbpf, "libbpf.so") ||
	    strncmp(vi->libbpf.version, api, strlen(api)) ||
	    (vi->libbpf.version[strlen(api)] &&
	     vi->libbpf.version[strlen(api)] != '.')) {
		pr_debug("libbpf: file '%s' does not name version %s\n",
			 vi->libbpf.file, api);
		snprintf(vi->libbpf.version, sizeof(vi->libbpf.version), "%s", api);
	}

	if (lib_loaded(&vi->libxdp, "libxdp.so"))
		snprintf(vi->libxdp.version, sizeof(vi->libxdp.version),
			 "unknown (linked statically)");
}

/* The kernel's BTF: the very file CO-RE and freplace rely on. */
static void probe_btf(struct version_info *vi)
{
	struct btf *btf;
	struct stat st;
	int err;

	if (stat(VMLINUX_BTF, &st)) {
		feature_set(&vi->btf, 0, "%s: %s", VMLINUX_BTF, strerror(errno));
		return;
	}
	btf = btf__parse(VMLINUX_BTF, NULL);
	err = libbpf_get_error(btf);
	if (err) {
		feature_set(&vi->btf, 0, "%s does not load: %s", VMLINUX_BTF,
			    strerror(-err));
		return;
	}
	vi->btf_types = btf__type_cnt(btf);
	btf__free(btf);
	feature_set(&vi->btf, 1, NULL);
}

/* The loader's own probe: the one attach decides by. */
static void probe_freplace(struct version_info *vi)
{
	int err = 0, ret;

	ret = instance_probe_freplace(&vi->freplace_step, &err);
	if (ret > 0)
		feature_set(&vi->freplace, 1, NULL);
	else if (!ret)
		feature_set(&vi->freplace, 0, "%s", strerror(-err));
	else
		feature_set(&vi->freplace, -1, "the probe's XDP program does not load: %s",
			    strerror(-err));
}

/*
 * libxdp uses its dispatcher where freplace works, unless told not to
 * (LIBXDP_SKIP_DISPATCHER, read by libxdp itself).
 */
static void probe_dispatcher(struct version_info *vi)
{
	if (vi->freplace.state < 0)
		feature_set(&vi->dispatcher, -1, "%s", vi->freplace.why);
	else if (!vi->freplace.state)
		feature_set(&vi->dispatcher, 0, "the kernel refuses freplace");
	else if (getenv("LIBXDP_SKIP_DISPATCHER"))
		feature_set(&vi->dispatcher, 0, "LIBXDP_SKIP_DISPATCHER is set");
	else
		feature_set(&vi->dispatcher, 1, NULL);
}

/*
 * -v: chimney's own programs, loaded by the instance loader as attach
 * loads them, but attached nowhere: what the verifier spent on each.
 */
static void probe_verifier(struct version_info *vi)
{
	struct instance_opts opts = { .verb = "version", .load_only = true };
	struct instance inst;
	int err;

	err = instance_open(&inst, &opts);
	if (!err)
		err = instance_load(&inst);
	if (err)
		feature_set(&vi->verifier, -1, "step '%s' failed: %s", inst.step,
			    strerror(-err));
	else
		feature_set(&vi->verifier, 1, NULL);
	memcpy(vi->progs, inst.progs, sizeof(vi->progs));
	for (err = 0; err < INSTANCE_NR_PROGS; err++)
		vi->progs[err].obj = NULL;	/* gone with the instance */
	instance_close(&inst);
}

struct genl_req {
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	char attrs[64];
};

/*
 * One generic-netlink request and its reply: the reply's attributes in
 * *attrs / *alen (they point into buf), or the kernel's negative errno.
 */
static int genl_call(int fd, struct genl_req *req, char *buf, size_t size,
		     const struct nlattr **attrs, int *alen)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct nlmsgerr *e;
	ssize_t n;

	if (send(fd, req, req->nlh.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, buf, size, 0);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(nlh, (size_t)n))
		return -EBADMSG;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		e = NLMSG_DATA(nlh);
		return e->error ? e->error : -ENODATA;
	}
	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EBADMSG;
	*attrs = (const void *)((const char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
	*alen = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	return 0;
}

static void genl_init(struct genl_req *req, __u16 family, __u8 cmd, __u8 ver)
{
	memset(req, 0, sizeof(*req));
	req->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req->nlh.nlmsg_type = family;
	req->nlh.nlmsg_flags = NLM_F_REQUEST;
	req->genl.cmd = cmd;
	req->genl.version = ver;
}

/*
 * The interface's XDP features as its driver declares them to the
 * kernel (`ynl --family netdev --do dev-get`). Runs in the namespace
 * the netlink socket is opened in. -ENOENT: no netdev family (< 6.3).
 */
static int netdev_xdp_features(int ifindex, __u64 *features)
{
	const struct nlattr *attrs;
	struct genl_req req;
	const void *p;
	char buf[4096];
	__u16 family;
	int fd, err, alen;
	__u32 idx = ifindex;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;

	genl_init(&req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	nla_put(&req.nlh, CTRL_ATTR_FAMILY_NAME, NETDEV_FAMILY_NAME,
		sizeof(NETDEV_FAMILY_NAME));
	err = genl_call(fd, &req, buf, sizeof(buf), &attrs, &alen);
	if (err)
		goto out;
	p = nla_find(attrs, alen, CTRL_ATTR_FAMILY_ID, sizeof(family));
	if (!p) {
		err = -EBADMSG;
		goto out;
	}
	memcpy(&family, p, sizeof(family));

	genl_init(&req, family, NETDEV_CMD_DEV_GET, NETDEV_FAMILY_VERSION);
	nla_put(&req.nlh, NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx));
	err = genl_call(fd, &req, buf, sizeof(buf), &attrs, &alen);
	if (err)
		goto out_dev;
	p = nla_find(attrs, alen, NETDEV_A_DEV_XDP_FEATURES, sizeof(*features));
	if (!p) {
		err = -EBADMSG;
		goto out_dev;
	}
	memcpy(features, p, sizeof(*features));
	err = 0;
	goto out;

out_dev:
	/* the family exists: a failure now is about the device */
	if (err == -ENOENT)
		err = -ENODEV;
out:
	close(fd);
	return err;
}

/*
 * IFACE, in NETNS when given: it must exist (one error line otherwise);
 * its native XDP support comes from the kernel's netdev family.
 */
static int probe_iface(struct version_info *vi, const struct version_opts *o)
{
	struct chimney_ctx ctx = { .netns = o->netns, .ifname = o->ifname };
	int err;

	if (geteuid()) {
		/* entering a namespace needs root; so does everything after */
		feature_set(&vi->native, -1, "needs root");
		return 0;
	}
	err = ctx_enter(&ctx, "version", true);
	if (err)
		goto out;
	err = netdev_xdp_features(ctx.ifindex, &vi->xdp_features);
	if (err == -ENOENT)
		feature_set(&vi->native, -1,
			    "the kernel has no netdev netlink family (before 6.3)");
	else if (err)
		feature_set(&vi->native, -1, "netdev dev-get: %s",
			    strerror(-err));
	else if (vi->xdp_features & NETDEV_XDP_ACT_BASIC)
		feature_set(&vi->native, 1, NULL);
	else
		feature_set(&vi->native, 0, "the driver has no native XDP");
	err = 0;
out:
	ns_restore();
	return err;
}

static void xdp_features_str(__u64 f, char *buf, size_t len)
{
	size_t n = 0, i;

	buf[0] = 0;
	for (i = 0; i < 64 && n < len; i++) {
		if (!(f & (1ULL << i)))
			continue;
		if (i < sizeof(xdp_act_names) / sizeof(xdp_act_names[0]))
			n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
				      xdp_act_names[i]);
		else
			n += snprintf(buf + n, len - n, "%sbit %zu",
				      n ? ", " : "", i);
	}
}

static struct json_object *json_feature(const struct feature *f)
{
	return f->state < 0 ? NULL : json_object_new_boolean(f->state);
}

/* name, and name_error with the reason unless the feature is there. */
static void json_add_feature(struct json_object *o, const char *name,
			     const struct feature *f)
{
	char key[64];

	json_object_object_add(o, name, json_feature(f));
	if (f->state == 1)
		return;
	snprintf(key, sizeof(key), "%s_error", name);
	json_object_object_add(o, key, json_object_new_string(f->why));
}

static struct json_object *json_lib(const struct lib_info *lib)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_string(lib->version));
	json_object_object_add(o, "file", lib->file[0] ?
			       json_object_new_string(lib->file) : NULL);
	json_object_object_add(o, "build", json_object_new_string(lib->build));
	return o;
}

static void print_json(const struct version_info *vi)
{
	struct json_object *o = json_object_new_object(), *l, *k, *i, *a;
	size_t b;

	json_object_object_add(o, "version", json_object_new_string(CHIMNEY_VERSION));
	l = json_lib(&vi->libbpf);
	json_object_object_add(l, "api", json_object_new_string(vi->libbpf_api));
	json_object_object_add(o, "libbpf", l);
	json_object_object_add(o, "libxdp", json_lib(&vi->libxdp));

	k = json_object_new_object();
	json_object_object_add(k, "release", json_object_new_string(vi->uts.release));
	json_add_feature(k, "btf", &vi->btf);
	if (vi->btf.state == 1)
		json_object_object_add(k, "btf_types", json_object_new_int64(vi->btf_types));
	json_add_feature(k, "freplace", &vi->freplace);
	if (vi->freplace_step)
		json_object_object_add(k, "freplace_step",
				       json_object_new_string(vi->freplace_step));
	json_add_feature(k, "dispatcher", &vi->dispatcher);
	json_object_object_add(o, "kernel", k);

	if (vi->ifname) {
		i = json_object_new_object();
		json_object_object_add(i, "name", json_object_new_string(vi->ifname));
		json_object_object_add(i, "netns", json_object_new_string(
			vi->netns ? vi->netns : CHIMNEY_DEFAULT_NS));
		json_add_feature(i, "native_xdp", &vi->native);
		if (vi->native.state >= 0) {
			a = json_object_new_array();
			for (b = 0; b < 64; b++) {
				if (!(vi->xdp_features & (1ULL << b)))
					continue;
				json_object_array_add(a, b < sizeof(xdp_act_names) /
							      sizeof(xdp_act_names[0]) ?
					json_object_new_string(xdp_act_names[b]) :
					json_object_new_int(b));
			}
			json_object_object_add(i, "xdp_features", a);
		}
		json_object_object_add(o, "interface", i);
	}
	if (vi->verifier_asked) {
		i = json_object_new_object();
		json_object_object_add(i, "limit",
				       json_object_new_int64(CHIMNEY_VERIFIER_LIMIT));
		json_add_feature(i, "loaded", &vi->verifier);
		a = json_object_new_object();
		for (b = 0; vi->verifier.state == 1 && b < INSTANCE_NR_PROGS; b++)
			json_object_object_add(a, vi->progs[b].name,
				json_object_new_int64(vi->progs[b].verified_insns));
		json_object_object_add(i, "verified_insns", a);
		json_object_object_add(o, "verifier", i);
	}
	cli_json_print(o, false);
}

static void print_lib(const char *name, const struct lib_info *lib)
{
	printf("%-11s %s", name, lib->version);
	if (lib->file[0] && strcmp(lib->version, lib->build))
		printf(" (%s; built with %s)\n", lib->file, lib->build);
	else if (lib->file[0])
		printf(" (%s)\n", lib->file);
	else
		printf(" (built with %s)\n", lib->build);
}

static void print_verifier(const struct version_info *vi)
{
	const struct instance_prog *p;
	int i;

	if (vi->verifier.state != 1) {
		printf("%-11s unknown (%s)\n", "verifier", vi->verifier.why);
		return;
	}
	for (i = 0; i < INSTANCE_NR_PROGS; i++) {
		p = &vi->progs[i];
		printf("%-11s %-15s %7u instructions verified (%.1f%% of %u)\n",
		       i ? "" : "verifier", p->name, p->verified_insns,
		       100.0 * p->verified_insns / CHIMNEY_VERIFIER_LIMIT,
		       CHIMNEY_VERIFIER_LIMIT);
	}
}

static void print_text(const struct version_info *vi)
{
	char buf[256];

	printf("%-11s %s\n", "chimney", CHIMNEY_VERSION);
	print_lib("libbpf", &vi->libbpf);
	print_lib("libxdp", &vi->libxdp);
	printf("%-11s %s\n", "kernel", vi->uts.release);
	if (vi->btf.state == 1)
		printf("%-11s yes (%s, %u types)\n", "btf", VMLINUX_BTF,
		       vi->btf_types);
	else
		printf("%-11s no (%s)\n", "btf", vi->btf.why);
	if (vi->freplace.state == 1)
		printf("%-11s available\n", "freplace");
	else if (!vi->freplace.state)
		printf("%-11s refused (%s)\n", "freplace", vi->freplace.why);
	else
		printf("%-11s unknown (%s)\n", "freplace", vi->freplace.why);
	if (vi->dispatcher.state == 1)
		printf("%-11s yes: libxdp can share an interface among programs\n",
		       "dispatcher");
	else if (!vi->dispatcher.state)
		printf("%-11s no: libxdp attaches a single program (%s)\n",
		       "dispatcher", vi->dispatcher.why);
	else
		printf("%-11s unknown (%s)\n", "dispatcher", vi->dispatcher.why);
	if (vi->verifier_asked)
		print_verifier(vi);
	if (!vi->ifname)
		return;
	printf("%-11s %s (namespace %s)\n", "interface", vi->ifname,
	       vi->netns ? vi->netns : CHIMNEY_DEFAULT_NS);
	xdp_features_str(vi->xdp_features, buf, sizeof(buf));
	if (vi->native.state == 1)
		printf("%-11s yes (%s)\n", "native XDP", buf);
	else if (!vi->native.state)
		printf("%-11s no (%s; skb mode only)\n", "native XDP",
		       vi->native.why);
	else
		printf("%-11s unknown (%s)\n", "native XDP", vi->native.why);
}

static const struct cli_opt version_cli_opts[] = {
	CLI_OPT("verifier", CLI_FLAG, struct version_opts, verifier, .key = 'v',
		.help = "also load chimney's programs (attached nowhere) and print the instructions the verifier spent on each, of its limit of 1000000"),
	{}
};

const struct cli_spec version_cli = {
	.name = "--version",
	.forms = (const char *const[]){ "[IFACE]", NULL },
	.min_args = 0,
	.max_args = 1,
	.about =
	"Print chimney's version, the libbpf and libxdp it runs with (the\n"
	"shared libraries loaded, and the build's where they differ), the\n"
	"kernel release and the kernel features chimney depends on: BTF, and\n"
	"freplace, without which libxdp cannot use its multi-program\n"
	"dispatcher. With IFACE (in NETNS), whether its driver has native XDP,\n"
	"as the kernel reports it. Nothing is attached anywhere.\n"
	"Without root, the kernel probes that need it say so.\n",
	.opts = version_cli_opts,
	/* -v is --verifier here; chimney's own -v before --version is
	 * still verbose */
	.common = CLI_NETNS | CLI_JSON,
	.netns_help = "IFACE is in this network namespace",
	.json_help = "one JSON object",
};

/*
 * argv[0] is --version itself, as a verb's name is; what follows it is
 * --version's own (options before it are main's: `chimney -v --version`
 * shows libbpf's messages). A failure is one line on stderr, exit 1; under
 * --json, main() prints the same message to stdout as {"error": "..."}.
 */
int cmd_version(int argc, char **argv)
{
	struct version_opts o = {};
	struct version_info vi = {};
	struct cli_args a;
	int err;

	err = cli_parse(&version_cli, argc, argv, &o, &a);
	if (err)
		return err < 0;
	o.netns = opt_netns;
	o.json = opt_json;
	o.ifname = a.n ? a.v[0] : NULL;
	if (o.netns && !o.ifname) {
		pr_err("version: -n NETNS needs an IFACE in it\n");
		return 1;
	}

	log_init_libs();
	probe_libs(&vi);
	uname(&vi.uts);
	probe_btf(&vi);
	vi.ifname = o.ifname;
	vi.netns = o.netns;
	if (o.ifname && probe_iface(&vi, &o))
		return 1;
	if (geteuid())
		feature_set(&vi.freplace, -1, "needs root");
	else
		probe_freplace(&vi);
	probe_dispatcher(&vi);
	vi.verifier_asked = o.verifier;
	if (o.verifier && geteuid())
		feature_set(&vi.verifier, -1, "needs root");
	else if (o.verifier)
		probe_verifier(&vi);

	if (o.json)
		print_json(&vi);
	else
		print_text(&vi);
	return 0;
}
