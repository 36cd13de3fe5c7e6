// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* demo: run the namespace lab script, deploy/demo.sh. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chimney.h"
#include "log.h"

struct demo_opts {
	bool list;
};

static const struct cli_opt demo_opts[] = {
	CLI_OPT("list", CLI_FLAG, struct demo_opts, list,
		.help = "name the scenes"),
	{}
};

/* No -n, -v or --json: the lab makes its own namespaces, and prints text. */
const struct cli_spec demo_cli = {
	.name = "demo",
	.forms = (const char *const[]){ "[SCENE...]", NULL },
	.min_args = 0,
	.max_args = -1,
	.about =
	"Build a namespace lab, show each field failure and its fix,\n"
	"and tear the lab down. `chimney demo --list` names the scenes.\n",
	.opts = demo_opts,
};

/*
 * demo: the lab is a shell script (namespaces, iperf3, nft) next to the
 * binary of a build tree (build/../deploy), or named by $CHIMNEY_DEMO.
 */
int cmd_demo(int argc, char **argv)
{
	char self[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 32];
	const char *env = getenv("CHIMNEY_DEMO");
	struct demo_opts o = {};
	struct cli_args a;
	ssize_t n;
	int err;

	err = cli_parse(&demo_cli, argc, argv, &o, &a);
	if (err)
		return err < 0;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		n = 0;
	self[n] = 0;
	if (env) {
		snprintf(path, sizeof(path), "%s", env);
	} else {
		/* dirname() writes into its argument: give it a copy */
		snprintf(dir, sizeof(dir), "%s", self);
		snprintf(path, sizeof(path), "%s/../deploy/demo.sh", dirname(dir));
	}
	/* The lab needs the test tools of a build tree: a package has none. */
	if (access(path, X_OK)) {
		pr_err("demo: no lab next to this binary (%s): the demo runs from a clone, `make demo`\n",
		       path);
		return 1;
	}
	/* the scenes are in the script's usage line */
	if (o.list) {
		argv[1] = "--help";
		argv[2] = NULL;
	}
	/* the script runs this very binary */
	if (n > 0)
		setenv("CHIMNEY", self[0] ? self : "chimney", 0);
	argv[0] = path;
	execv(path, argv);
	pr_err("demo: cannot run %s: %s\n", path, strerror(errno));
	return 1;
}
