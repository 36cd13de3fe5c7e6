// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The command-line parser (user/cli.c), table-driven: each case is an
 * argv against one test spec that has every kind of option, and either
 * the values parsed and the arguments left, or the one error line.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chimney.h"
#include "log.h"
#include "test.h"

struct t_opts {
	bool all, per_cpu;
	const char *write;
	int mode;
	unsigned long count;
	double watch;
};

static const struct cli_value t_modes[] = {
	{ .name = "native", .val = 1 },
	{ .name = "skb", .val = 2 },
	{ .name = "drv", .val = 1, .alias = true },
	{}
};

static void t_action(FILE *f)
{
	fputs("action\n", f);
}

static const struct cli_opt t_table[] = {
	CLI_OPT("all", CLI_FLAG, struct t_opts, all, .key = 'a',
		.help = "all of them"),
	CLI_OPT("per-cpu", CLI_FLAG, struct t_opts, per_cpu, .key = 'c',
		.help = "one column per CPU"),
	CLI_OPT("write", CLI_STR, struct t_opts, write, .key = 'w',
		.arg = "FILE", .help = "write FILE"),
	CLI_OPT("mode", CLI_ENUM, struct t_opts, mode, .key = 'm',
		.arg = "MODE", .values = t_modes, .help = "native or skb"),
	CLI_OPT("count", CLI_UINT, struct t_opts, count, .key = 'C',
		.arg = "N", .min = 1, .max = 100, .help = "at most N"),
	CLI_OPT("watch", CLI_NUM, struct t_opts, watch, .key = 'W',
		.arg = "SECS", .optional = true, .dflt = 1, .min = 0.1,
		.max = 3600, .help = "every SECS seconds (default 1)"),
	{ .name = "list", .kind = CLI_ACTION, .action = t_action,
	  .help = "list" },
	{}
};

static const struct cli_spec t_spec = {
	.name = "test",
	.forms = (const char *const[]){ "IFACE [X]", NULL },
	.min_args = 1,
	.max_args = 2,
	.opts = t_table,
	.common = CLI_COMMON,
};

struct cli_case {
	const char *name;
	const char *argv;	/* words after the verb, split at blanks */
	int ret;		/* 0, 1 (done) or -EINVAL */
	struct t_opts want;
	const char *netns;
	bool json;
	const char *args;	/* the arguments left, joined by blanks */
	const char *err;	/* in the error line */
};

static const struct cli_case cases[] = {
	/* optional arguments: =ARG, -kARG, or the next word if a number */
	{ "cli_watch_next_word", "eth0 --watch 2", 0, { .watch = 2 }, .args = "eth0" },
	{ "cli_watch_equals", "--watch=2 eth0", 0, { .watch = 2 }, .args = "eth0" },
	{ "cli_watch_next_word_first", "--watch 2.5 eth0", 0, { .watch = 2.5 }, .args = "eth0" },
	{ "cli_watch_short_attached", "-W2 eth0", 0, { .watch = 2 }, .args = "eth0" },
	{ "cli_watch_short_next_word", "-W 2 eth0", 0, { .watch = 2 }, .args = "eth0" },
	{ "cli_watch_default_before_arg", "--watch eth0", 0, { .watch = 1 }, .args = "eth0" },
	{ "cli_watch_default_last", "eth0 --watch", 0, { .watch = 1 }, .args = "eth0" },
	{ "cli_watch_out_of_range", "eth0 --watch 0", -EINVAL,
	  .err = "test: --watch takes a number from 0.1 to 3600, not '0'" },
	{ "cli_watch_equals_not_a_number", "eth0 --watch=x", -EINVAL,
	  .err = "--watch takes a number from 0.1 to 3600, not 'x'" },
	/* unknown options, missing and unwanted arguments */
	{ "cli_unknown_long", "eth0 --bogus", -EINVAL,
	  .err = "test: unknown option '--bogus' (see `chimney test --help`)" },
	{ "cli_unknown_long_with_value", "eth0 --bogus=1", -EINVAL,
	  .err = "unknown option '--bogus'" },
	{ "cli_unknown_short", "-x eth0", -EINVAL, .err = "unknown option '-x'" },
	{ "cli_unknown_in_cluster", "-ax eth0", -EINVAL, .err = "unknown option '-x'" },
	{ "cli_missing_argument", "eth0 --write", -EINVAL,
	  .err = "test: option '--write' needs an argument FILE" },
	{ "cli_missing_argument_short", "eth0 -w", -EINVAL,
	  .err = "option '-w' needs an argument FILE" },
	{ "cli_missing_netns", "eth0 -n", -EINVAL,
	  .err = "option '-n' needs an argument NETNS" },
	{ "cli_flag_with_value", "--all=1 eth0", -EINVAL,
	  .err = "option '--all' takes no argument" },
	/* argument kinds */
	{ "cli_string", "--write f eth0", 0, { .write = "f" }, .args = "eth0" },
	{ "cli_string_equals", "--write=a=b eth0", 0, { .write = "a=b" }, .args = "eth0" },
	{ "cli_string_dash", "--write -a eth0", 0, { .write = "-a" }, .args = "eth0" },
	{ "cli_enum", "--mode skb eth0", 0, { .mode = 2 }, .args = "eth0" },
	{ "cli_enum_alias", "--mode=drv eth0", 0, { .mode = 1 }, .args = "eth0" },
	{ "cli_enum_bad", "--mode bogus eth0", -EINVAL,
	  .err = "test: --mode takes native or skb, not 'bogus'" },
	{ "cli_uint", "-C 5 eth0", 0, { .count = 5 }, .args = "eth0" },
	{ "cli_uint_below_min", "-C 0 eth0", -EINVAL,
	  .err = "--count takes a whole number from 1 to 100, not '0'" },
	{ "cli_uint_negative", "--count -1 eth0", -EINVAL, .err = "not '-1'" },
	{ "cli_uint_trailing", "--count 5x eth0", -EINVAL, .err = "not '5x'" },
	/* the grammar getopt_long had */
	{ "cli_cluster", "-ac eth0", 0, { .all = true, .per_cpu = true }, .args = "eth0" },
	{ "cli_cluster_then_argument", "-acwf eth0", 0,
	  { .all = true, .per_cpu = true, .write = "f" }, .args = "eth0" },
	{ "cli_options_after_arguments", "eth0 x -a", 0, { .all = true }, .args = "eth0 x" },
	{ "cli_double_dash", "eth0 -- -a", 0, {}, .args = "eth0 -a" },
	{ "cli_lone_dash_is_argument", "- -a", 0, { .all = true }, .args = "-" },
	{ "cli_abbreviated", "--wr=f --per eth0", 0, { .write = "f", .per_cpu = true },
	  .args = "eth0" },
	{ "cli_ambiguous", "--w f eth0", -EINVAL,
	  .err = "option '--w' is ambiguous: --write, --watch" },
	/* argument counts */
	{ "cli_too_few_arguments", "-a", -EINVAL,
	  .err = "test: expected IFACE [X] (see `chimney test --help`)" },
	{ "cli_too_many_arguments", "a b c", -EINVAL,
	  .err = "test: unexpected argument 'c'" },
	/* the common options */
	{ "cli_netns", "-n ns1 eth0", 0, {}, .netns = "ns1", .args = "eth0" },
	{ "cli_netns_long", "eth0 --netns=ns2", 0, {}, .netns = "ns2", .args = "eth0" },
	{ "cli_json", "eth0 --json", 0, {}, .json = true, .args = "eth0" },
	/* --json after the bad option: the error is JSON all the same */
	{ "cli_json_after_error", "--bogus eth0 --json", -EINVAL, .json = true,
	  .err = "unknown option '--bogus'" },
	{ "cli_help", "-h", 1, {}, .args = NULL },
	{ "cli_help_before_bad_option", "--help --bogus", 1, {}, .args = NULL },
	{ "cli_bad_option_before_help", "--bogus --help", -EINVAL,
	  .err = "unknown option '--bogus'" },
	{ "cli_action_without_arguments", "--list", 1, {}, .args = NULL },
};

/* stdout and stderr to /dev/null while the parser prints help or errors */
static int saved[2] = { -1, -1 };

static void quiet(bool on)
{
	int fd, i;

	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 2; i++) {
		if (on) {
			saved[i] = dup(1 + i);
			fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1 + i);
			close(fd);
		} else if (saved[i] >= 0) {
			dup2(saved[i], 1 + i);
			close(saved[i]);
			saved[i] = -1;
		}
	}
}

static void run_case(const struct unit_test *t)
{
	const struct cli_case *c = t->arg;
	struct t_opts o = {};
	struct cli_args a = {};
	char buf[256], *argv[16], *w, joined[256] = "";
	int argc = 0, ret, i;

	snprintf(buf, sizeof(buf), "%s", c->argv);
	argv[argc++] = "test";
	for (w = strtok(buf, " "); w && argc < 15; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc] = NULL;
	opt_netns = NULL;
	opt_json = false;

	quiet(true);
	log_msg(LOG_ERR, "\n");		/* forget any earlier error */
	ret = cli_parse(&t_spec, argc, argv, &o, &a);
	quiet(false);

	ASSERT_EQ(ret, c->ret, "cli_parse() return");
	ASSERT_EQ(opt_json, c->json, "opt_json");
	if (c->err) {
		const char *e = log_last_error();

		if (!ASSERT_TRUE(strstr(e, c->err), "error line"))
			unit_log("error line: '%s'\nwant in it: '%s'\n", e, c->err);
		ASSERT_FALSE(strchr(e, '\n'), "the error is one line");
		return;
	}
	ASSERT_TRUE(!*log_last_error(), "no error printed");
	if (ret)
		return;
	ASSERT_EQ(o.all, c->want.all, "--all");
	ASSERT_EQ(o.per_cpu, c->want.per_cpu, "--per-cpu");
	ASSERT_EQ(o.mode, c->want.mode, "--mode");
	ASSERT_EQ(o.count, c->want.count, "--count");
	if (!ASSERT_TRUE(o.watch == c->want.watch, "--watch"))
		unit_log("--watch: %g, want %g\n", o.watch, c->want.watch);
	if (!ASSERT_TRUE(!o.write == !c->want.write &&
			 (!o.write || !strcmp(o.write, c->want.write)), "--write"))
		unit_log("--write: '%s', want '%s'\n", o.write ? o.write : "(none)",
			 c->want.write ? c->want.write : "(none)");
	if (!ASSERT_TRUE(!opt_netns == !c->netns &&
			 (!opt_netns || !strcmp(opt_netns, c->netns)), "-n"))
		unit_log("-n: '%s', want '%s'\n", opt_netns ? opt_netns : "(none)",
			 c->netns ? c->netns : "(none)");
	for (i = 0; i < a.n; i++)
		snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined),
			 "%s%s", i ? " " : "", a.v[i]);
	if (!ASSERT_TRUE(!strcmp(joined, c->args ? c->args : ""), "arguments"))
		unit_log("arguments: '%s', want '%s'\n", joined, c->args);
	opt_netns = NULL;
	opt_json = false;
}

__attribute__((constructor)) static void register_cli_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		unit_register(cases[i].name, run_case, &cases[i]);
}

/* --help of a spec, as a string */
static char *help_of(const struct cli_spec *spec)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	cli_help(spec, f);
	fclose(f);
	return buf;
}

UNIT_TEST(cli_help_from_the_table)
{
	char *h = help_of(&t_spec), *line, *save = NULL;
	static const char *const want[] = {
		"Usage: chimney [-n NETNS] test IFACE [X] [--all] [--per-cpu] [--write FILE]",
		"[--mode native|skb]", "[--watch [SECS]]", "[--list] [--json]",
		"  -a, --all ", "  -W, --watch [SECS] ", "      --list ",
		"  -n, --netns NETNS ", "  -v, --verbose ", "      --json ",
		"  -h, --help ", "SECS of --watch may be left out (default 1)",
	};
	size_t i;

	if (!ASSERT_OK_PTR(h, "help"))
		return;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!ASSERT_TRUE(strstr(h, want[i]), "help has it"))
			unit_log("missing: '%s'\n", want[i]);
	/* the alias is accepted, not advertised */
	ASSERT_FALSE(strstr(h, "drv"), "alias left out");
	for (line = strtok_r(h, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!ASSERT_TRUE(strlen(line) < 80, "fits 80 columns"))
			unit_log("%zu columns: '%s'\n", strlen(line), line);
	if (unit_failed())
		unit_log("%s", help_of(&t_spec));
	free(h);
}

/*
 * A verb's -n and --json start from chimney's own, not from the verb
 * parsed before it: run --config attaches through cmd_attach(), giving
 * -n only to the sections that name a namespace.
 */
UNIT_TEST(cli_verb_starts_from_main_options)
{
	const struct cli_spec top = {
		.forms = (const char *const[]){ "COMMAND", NULL },
		.min_args = 1, .max_args = -1, .common = CLI_COMMON,
		.stop_at_arg = true,
	};
	char *m[] = { "chimney", "-n", "outer", "test", "eth0", "-a", NULL };
	char *v1[] = { "test", "-n", "inner", "eth0", NULL };
	char *v2[] = { "test", "eth0", NULL };
	struct t_opts o = {};
	struct cli_args a;

	if (!ASSERT_OK(cli_parse(&top, 6, m, NULL, &a), "chimney's own"))
		return;
	/* it stops at the verb: the verb's words are its arguments */
	ASSERT_EQ(a.n, 3, "words from the verb on");
	ASSERT_TRUE(!strcmp(a.v[0], "test") && !strcmp(a.v[2], "-a"), "verb first");
	ASSERT_TRUE(a.v[3] == NULL, "NULL-terminated");
	ASSERT_OK(cli_parse(&t_spec, 4, v1, &o, &a), "verb with -n");
	ASSERT_TRUE(opt_netns && !strcmp(opt_netns, "inner"), "the verb's -n");
	ASSERT_OK(cli_parse(&t_spec, 2, v2, &o, &a), "verb without -n");
	ASSERT_TRUE(opt_netns && !strcmp(opt_netns, "outer"), "chimney's -n again");
	/* leave chimney's own as the other tests expect them */
	opt_netns = NULL;
	ASSERT_OK(cli_parse(&top, 2, (char *[]){ "chimney", "x", NULL }, NULL, &a), "reset");
}

/* The size of the field each kind stores into. */
static size_t kind_size(enum cli_kind k)
{
	switch (k) {
	case CLI_FLAG:
		return sizeof(bool);
	case CLI_STR:
		return sizeof(const char *);
	case CLI_ENUM:
		return sizeof(int);
	case CLI_UINT:
		return sizeof(unsigned long);
	case CLI_NUM:
		return sizeof(double);
	default:
		return 0;
	}
}

/* Whether spec's own options take -v. */
static bool own_v(const struct cli_spec *spec)
{
	const struct cli_opt *o;

	for (o = spec->opts; o && o->name; o++)
		if (o->key == 'v')
			return true;
	return false;
}

static void check_spec(const char *what, const struct cli_spec *spec, bool common)
{
	struct cli_opt all[CLI_MAX_OPTS];
	struct cli_spec quiet_spec = *spec;
	char *h, *line, *save = NULL;
	int i, j, n;

	n = cli_collect(spec, all, CLI_MAX_OPTS);
	if (!ASSERT_TRUE(n > 0, what))
		return;
	for (i = 0; i < n; i++) {
		const struct cli_opt *o = &all[i];

		if (!ASSERT_TRUE(o->name && *o->name && o->help && *o->help,
				 "named, with help"))
			unit_log("%s: option %d\n", what, i);
		for (j = 0; j < i; j++) {
			if (!ASSERT_TRUE(strcmp(o->name, all[j].name), "long names unique") ||
			    !ASSERT_TRUE(!o->key || o->key != all[j].key, "letters unique"))
				unit_log("%s: --%s and --%s\n", what, o->name, all[j].name);
		}
		if (cli_takes_arg(o) && !ASSERT_TRUE(o->arg, "argument named"))
			unit_log("%s: --%s\n", what, o->name);
		if (o->kind == CLI_ENUM && !ASSERT_TRUE(o->values && o->values[0].name,
							"enum has values"))
			unit_log("%s: --%s\n", what, o->name);
		if (o->kind == CLI_ACTION && !ASSERT_TRUE(o->action, "action set"))
			unit_log("%s: --%s\n", what, o->name);
		/* a field of the verb's struct, of the kind's type */
		if (!o->ptr && kind_size(o->kind) &&
		    !ASSERT_EQ(o->size, kind_size(o->kind), "field size"))
			unit_log("%s: --%s\n", what, o->name);
	}
	/* -v is verbose, unless the verb gives the letter a meaning of its
	 * own (--version -v: the verifier counts) */
	if (common && !ASSERT_EQ(spec->common | (own_v(spec) ? CLI_VERBOSE : 0),
				 CLI_COMMON, "-n, -v and --json"))
		unit_log("%s\n", what);
	/* --help fits 80 columns and lists every option (the config keys
	 * more_help adds are config.c's own table) */
	quiet_spec.more_help = NULL;
	h = help_of(&quiet_spec);
	if (!ASSERT_OK_PTR(h, "help"))
		return;
	for (i = 0; i < n; i++) {
		char label[96];

		cli_opt_label(&all[i], label, sizeof(label));
		if (!ASSERT_TRUE(strstr(h, label), "help lists the option"))
			unit_log("%s: '%s'\n", what, label);
	}
	if (common && !ASSERT_TRUE(strstr(h, "  -n, --netns NETNS") &&
				   strstr(h, "      --json ") &&
				   strstr(h, "  -h, --help "), "help lists -n, --json, -h"))
		unit_log("%s:\n%s", what, h);
	for (line = strtok_r(h, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!ASSERT_TRUE(strlen(line) < 80, "fits 80 columns"))
			unit_log("%s: %zu columns: '%s'\n", what, strlen(line), line);
	free(h);
}

/* Every verb's table, --version's and chimney's own are well-formed. */
UNIT_TEST(cli_every_table)
{
	size_t i;

	for (i = 0; i < nverbs; i++) {
		if (!ASSERT_OK_PTR(verbs[i].cli, "the verb has a spec"))
			continue;
		ASSERT_TRUE(!strcmp(verbs[i].cli->name, verbs[i].name), "spec of its verb");
		/* demo runs a lab of its own namespaces, and prints text */
		check_spec(verbs[i].name, verbs[i].cli, strcmp(verbs[i].name, "demo"));
	}
	check_spec("--version", &version_cli, true);
	check_spec("chimney", &main_cli, true);
}
