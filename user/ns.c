// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Namespaces, names and pins.
 *
 * `-n NETNS` switches only the network namespace (setns CLONE_NEWNET):
 * netlink and if_nametoindex then see NETNS, while the mount namespace,
 * and with it /sys/fs/bpf, stays the root one. Pins made by
 * `chimney -n X attach` therefore outlive the command, unlike pins made
 * under `ip netns exec`, which gets a private mount namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "inspect.h"
#include "log.h"

static int root_ns_fd = -1;

int require_root(const char *verb)
{
	if (geteuid() == 0)
		return 0;
	pr_err("%s: must run as root (it loads BPF programs and changes links)\n",
	       verb);
	return -EPERM;
}

/* Names end up in paths under /sys/fs/bpf: keep them to one component. */
int check_name(const char *what, const char *name)
{
	if (!name || !*name || strlen(name) >= IFNAMSIZ * 4 ||
	    strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		pr_err("invalid %s name '%s'\n", what, name ? name : "");
		return -EINVAL;
	}
	return 0;
}

int ns_enter(const char *name)
{
	char path[PATH_MAX];
	int fd, err;

	if (!name)
		return 0;
	err = check_name("namespace", name);
	if (err)
		return err;
	if (root_ns_fd < 0) {
		root_ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (root_ns_fd < 0)
			return -errno;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			pr_err("network namespace '%s' not found (see `ip netns list`)\n",
			       name);
		else
			pr_err("cannot open network namespace '%s': %s\n", name,
			       strerror(-err));
		return err;
	}
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		pr_err("cannot enter network namespace '%s': %s\n", name,
		       strerror(-err));
		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

int ns_restore(void)
{
	if (root_ns_fd < 0)
		return 0;
	if (setns(root_ns_fd, CLONE_NEWNET))
		return -errno;
	return 0;
}

int bpffs_ensure(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mkdir("/sys/fs/bpf", 0700) && errno != EEXIST) {
		pr_err("cannot create /sys/fs/bpf: %s\n", strerror(errno));
		return -errno;
	}
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		pr_err("cannot mount bpffs on /sys/fs/bpf: %s\n", strerror(errno));
		return -errno;
	}
	pr_debug("mounted bpffs on /sys/fs/bpf\n");
	return 0;
}

int pin_dir_path(char *buf, size_t len, const char *netns, const char *ifname)
{
	int n = snprintf(buf, len, "%s/%s/%s", CHIMNEY_PIN_ROOT,
			 netns ? netns : CHIMNEY_DEFAULT_NS, ifname);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Valid names, the namespace entered and the ifindex found (when the
 * interface must exist): what a verb needs to look at an interface,
 * without touching bpffs (--version changes nothing).
 */
int ctx_enter(struct chimney_ctx *ctx, const char *verb, bool need_iface)
{
	int err;

	if (ctx->netns && !strcmp(ctx->netns, CHIMNEY_DEFAULT_NS)) {
		pr_err("'%s' is reserved for the root namespace; omit -n\n",
		       CHIMNEY_DEFAULT_NS);
		return -EINVAL;
	}
	err = check_name("interface", ctx->ifname);
	if (err)
		return err;
	err = ns_enter(ctx->netns);
	if (err)
		return err;
	ctx->ifindex = if_nametoindex(ctx->ifname);
	if (!ctx->ifindex && need_iface) {
		pr_err("%s: interface '%s' not found in namespace '%s'\n", verb,
		       ctx->ifname, ctx->netns ? ctx->netns : CHIMNEY_DEFAULT_NS);
		return -ENODEV;
	}
	return 0;
}

/*
 * Common prologue of every verb that names an interface: root,
 * ctx_enter(), bpffs mounted and the pin directory computed.
 */
int ctx_resolve(struct chimney_ctx *ctx, const char *verb, bool need_iface)
{
	int err;

	err = require_root(verb);
	if (!err)
		err = ctx_enter(ctx, verb, need_iface);
	if (!err)
		err = bpffs_ensure();
	if (err)
		return err;
	return pin_dir_path(ctx->pin_dir, sizeof(ctx->pin_dir), ctx->netns,
			    ctx->ifname);
}

/* After cli_parse(): -n, --json and the IFACE that is the first argument. */
void ctx_from_args(struct chimney_ctx *ctx, const struct cli_args *args)
{
	ctx->netns = opt_netns;
	ctx->json = opt_json;
	ctx->ifname = args->n ? args->v[0] : NULL;
}

/*
 * The prologue of every verb that works on an attached interface:
 * ctx_resolve(), then the instance's pins must exist (the interface need
 * not: detach cleans the pins of one that is gone). Prints the one-line
 * error and returns non-zero on failure.
 */
int ctx_resolve_attached(struct chimney_ctx *ctx, const char *verb)
{
	int err = ctx_resolve(ctx, verb, false);

	if (err)
		return err;
	if (!instance_exists(ctx)) {
		char old[IFNAMSIZ * 4], pfx[64];

		/* Renamed since attach: the pins are under the old name. */
		if (ctx->ifindex &&
		    !instance_find_by_ifindex(ctx->netns, ctx->ifindex,
					      ctx->ifname, old, sizeof(old)))
			pr_err("%s: chimney's instance on %s is pinned under its old name %s (renamed): `%sattach %s` moves the pins to the new name\n",
			       verb, ctx->ifname, old,
			       cmd_prefix(ctx->netns, pfx, sizeof(pfx)),
			       ctx->ifname);
		else
			pr_err("%s: chimney is not attached to %s in namespace '%s'\n",
			       verb, ctx->ifname,
			       ctx->netns ? ctx->netns : CHIMNEY_DEFAULT_NS);
		return -ENOENT;
	}
	return 0;
}

int pin_open(const struct chimney_ctx *ctx, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", ctx->pin_dir, name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

bool instance_exists(const struct chimney_ctx *ctx)
{
	struct stat st;

	return !stat(ctx->pin_dir, &st) && S_ISDIR(st.st_mode);
}

static int read_first(const struct chimney_ctx *ctx, const char *name,
		      void *val, size_t size)
{
	int fd, err;

	fd = pin_open(ctx, name);
	if (fd < 0)
		return fd;
	err = map_read0(fd, val, size);
	close(fd);
	return err;
}

int instance_read_meta(const struct chimney_ctx *ctx, struct chimney_meta *m)
{
	return read_first(ctx, PIN(meta), m, sizeof(*m));
}

int instance_read_config(const struct chimney_ctx *ctx,
			 struct chimney_config *cfg)
{
	return read_first(ctx, PIN(config), cfg, sizeof(*cfg));
}

int for_each_instance(instance_fn fn, void *arg)
{
	struct dirent *nde, *ide;
	DIR *nsd, *ifd;
	char path[PATH_MAX];
	int err = 0;

	nsd = opendir(CHIMNEY_PIN_ROOT);
	if (!nsd)
		return errno == ENOENT ? 0 : -errno;
	while (!err && (nde = readdir(nsd))) {
		if (nde->d_name[0] == '.' || nde->d_type != DT_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/%s", CHIMNEY_PIN_ROOT,
			 nde->d_name);
		ifd = opendir(path);
		if (!ifd)
			continue;
		while (!err && (ide = readdir(ifd))) {
			/* "attach:IFACE": an attach's staging directory
			 * (instance_stage_dir()), no instance yet */
			if (ide->d_name[0] == '.' || ide->d_type != DT_DIR ||
			    strchr(ide->d_name, ':'))
				continue;
			err = fn(strcmp(nde->d_name, CHIMNEY_DEFAULT_NS) ?
					 nde->d_name : NULL,
				 ide->d_name, arg);
		}
		closedir(ifd);
	}
	closedir(nsd);
	return err;
}
