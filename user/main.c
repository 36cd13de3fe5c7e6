// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* chimney: the command-line front end, in the style of ip and xdp-loader. */
#include <stdio.h>
#include <string.h>

#include "chimney.h"
#include "log.h"

/* Every exit: under --json, a failure without JSON output prints its error. */
static int finish(int ret)
{
	if (ret)
		cli_json_error();
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct main_opts o = {};
	struct cli_args a;
	size_t i;
	int ret;

	/* main_cli stops at the verb, whose own options follow it */
	ret = cli_parse(&main_cli, argc, argv, &o, &a);
	if (ret)
		return finish(ret < 0);
	log_init_libs();
	/* The words after --version are its own, like a verb's. */
	if (o.version)
		return finish(cmd_version(a.n + 1, argv));
	for (i = 0; i < nverbs; i++)
		if (!strcmp(verbs[i].name, a.v[0]))
			/* The verb sees itself as argv[0]. */
			return finish(verbs[i].fn(a.n, a.v));
	pr_err("unknown command '%s' (see `chimney --help`)\n", a.v[0]);
	return finish(1);
}
