/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Declarative command-line options, in the spirit of xdp-tools'
 * lib/util/params.h and bpftool's HELP_SPEC_OPTIONS.
 *
 * Each verb describes its options once, in a table of struct cli_opt,
 * and its arguments in a struct cli_spec. cli_parse() reads argv against
 * it, stores each value in the verb's own struct, prints --help from it,
 * and reports a bad option or argument count in one line. The options
 * every verb shares (-n NETNS, -v, --json, -h) come from spec->common, so
 * no verb declares them again. build/chimney-docgen prints the man page's
 * and the bash completion's option lists from the same tables.
 */
#ifndef CHIMNEY_CLI_H
#define CHIMNEY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cli_kind {
	CLI_FLAG,	/* no argument; a bool, set true */
	CLI_STR,	/* const char *, the argument as given */
	CLI_ENUM,	/* int, the val of the cli_value named */
	CLI_UINT,	/* unsigned long, in [min, max] */
	CLI_NUM,	/* double, in [min, max] */
	CLI_ACTION,	/* no argument: action() prints, the verb exits 0 */
	CLI_HELP,	/* -h/--help: the spec's help, exit 0 */
};

/* What the bash completion offers for an option's argument. */
enum cli_complete {
	CLI_COMP_NONE,		/* values and suggest, if any */
	CLI_COMP_FILE,		/* file names, *.ext if ext is set */
	CLI_COMP_IFACE,		/* interfaces of the namespace -n names */
};

struct cli_value {
	const char *name;	/* NULL ends a list */
	int val;
	bool alias;		/* accepted, but not listed nor offered */
};

struct cli_opt {
	const char *name;	/* long name without "--"; NULL ends a table */
	char key;		/* short letter, or 0 */
	enum cli_kind kind;
	const char *arg;	/* the argument's name in --help: "SECS" */
	/*
	 * The argument may be left out (the value is then dflt). It is
	 * given as --name=ARG or -kARG, or as the next word when that word
	 * is a number: `--watch 2` and `--watch=2` are the same, and
	 * `--watch eth0` leaves eth0 an argument of the verb.
	 */
	bool optional;
	double dflt;
	const char *help;	/* --help's text, one line or many (wrapped) */
	const char *doc;	/* the man page's, where it says more; `x` is bold */
	/* Where the value goes: ptr, or off bytes into the verb's struct. */
	void *ptr;
	size_t off, size;
	const struct cli_value *values;	/* CLI_ENUM */
	double min, max;	/* CLI_UINT, CLI_NUM; max 0: no maximum */
	const char *suggest;	/* CLI_STR: words to offer ("off"), in usage too */
	enum cli_complete complete;
	const char *ext;	/* CLI_COMP_FILE: offer only *.ext */
	void (*action)(FILE *f);	/* CLI_ACTION */
	bool rest;		/* the words after it are arguments, not options */
	bool no_usage;		/* a form of the usage shows it instead */
};

/* An option stored in field of the verb's struct type. */
#define CLI_OPT(_name, _kind, _type, _field, ...)			\
	{ .name = (_name), .kind = (_kind),				\
	  .off = offsetof(_type, _field),				\
	  .size = sizeof(((_type *)0)->_field), __VA_ARGS__ }

/* The common options, in spec->common; -h/--help is always there. */
#define CLI_NETNS	(1U << 0)
#define CLI_VERBOSE	(1U << 1)
#define CLI_JSON	(1U << 2)
#define CLI_COMMON	(CLI_NETNS | CLI_VERBOSE | CLI_JSON)

struct cli_spec {
	const char *name;	/* the verb; "--version"; NULL: chimney's own */
	/* The arguments, one usage line each; the options follow forms[0]. */
	const char *const *forms;
	int min_args, max_args;	/* max_args -1: no limit */
	const char *expect;	/* "missing ..." text; NULL: forms[0] */
	const char *about;	/* printed as it is, after the usage */
	const struct cli_opt *opts;
	unsigned int common;
	const char *netns_help;	/* NULL: the common text */
	const char *json_help;
	const char *footer;	/* printed as it is, after the options */
	void (*more_help)(FILE *f);	/* after that (the config keys) */
	bool opts_first;	/* the options before the arguments in usage */
	bool stop_at_arg;	/* options end at the first argument */
};

/* The arguments left after the options, in order. */
struct cli_args {
	int n;
	char **v;
};

/* Every option of a spec: its own, then the common ones. */
#define CLI_MAX_OPTS	24

/*
 * Parse argv[1..argc-1] (argv[0] is the verb's name, or chimney's)
 * against spec: option values go into *opts (and the common ones into
 * opt_netns, opt_json and the log level), the arguments are moved to
 * argv[1..], NULL-terminated, and described by *args. Options and
 * arguments mix in any order; "--" ends the options.
 *
 * Returns 0 to go on, 1 when --help (or another CLI_ACTION) was printed
 * and the verb is done, or a negative errno after printing the one-line
 * error: `err = cli_parse(...); if (err) return err < 0;`.
 */
int cli_parse(const struct cli_spec *spec, int argc, char **argv,
	      void *opts, struct cli_args *args);
/* --help: usage, about, options, footer, more_help. */
void cli_help(const struct cli_spec *spec, FILE *f);
/* spec's options, its own and the common ones, into out[max]: how many. */
int cli_collect(const struct cli_spec *spec, struct cli_opt *out, int max);
/*
 * Usage line `form` of spec, after "chimney " ("[-n NETNS] stats IFACE
 * [--all] ..."), in malloc()ed memory; NULL past the last form.
 */
char *cli_synopsis(const struct cli_spec *spec, int form);
/* Whether the option's kind takes an argument (optional or not). */
bool cli_takes_arg(const struct cli_opt *o);
/* The words --help and the man page give an option: "-w, --watch [SECS]". */
void cli_opt_label(const struct cli_opt *o, char *buf, size_t len);

/*
 * The common options' values: chimney's own (before the verb), which
 * each verb's cli_parse() starts from, then the verb's.
 */
extern const char *opt_netns;
extern bool opt_json;

/*
 * JSON output. Every verb prints its JSON through cli_json_print(); when
 * a verb fails under --json before printing any, main() prints the error
 * through cli_json_error() instead: {"error": the line stderr got}. It
 * prints nothing unless --json was given, to chimney or to the verb.
 */
struct json_object;
/* Print and release o, pretty or (one_line) as one line of a stream. */
void cli_json_print(struct json_object *o, bool one_line);
void cli_json_error(void);

#endif
