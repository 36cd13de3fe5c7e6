// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Options and errors common to every verb. */
#include <getopt.h>

#include "chimney.h"
#include "log.h"

const char *opt_netns;
bool opt_json;

/*
 * getopt's own messages are silenced (opterr = 0 in main) so that every
 * bad flag gets chimney's one-line error format.
 */
int bad_option(const char *verb, char **argv)
{
	if (optopt && optopt != '?')
		pr_err("%s: option '-%c' is unknown or needs an argument (see `chimney %s --help`)\n",
		       verb, optopt, verb);
	else
		pr_err("%s: option '%s' is unknown or needs an argument (see `chimney %s --help`)\n",
		       verb, argv[optind - 1], verb);
	return 1;
}
