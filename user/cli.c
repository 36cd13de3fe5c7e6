// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The one command-line parser (see cli.h), its --help printer, and the
 * options and the JSON output every verb shares.
 *
 * Not getopt_long(): its messages had to be silenced and rebuilt from
 * optopt (which names the short letter even for a long option), its
 * optional arguments take only "--opt=ARG", and its state is global,
 * which main() and each verb then had to reset. This parser keeps
 * getopt_long()'s grammar otherwise: options and arguments in any order,
 * "--" ends the options, clusters (-ca), -kARG, --name=ARG, and a long
 * name may be cut short while it stays unambiguous (--sym).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "chimney.h"
#include "log.h"

const char *opt_netns;
bool opt_json;
static bool opt_verbose;
/*
 * chimney's own -n and --json, before the verb: each verb's parse starts
 * from them, so that a verb run from another (run --config attaches
 * through cmd_attach(), with -n only for the sections that name one)
 * does not inherit the -n of the one before.
 */
static const char *main_netns;
static bool main_json;
/*
 * --json was given, to chimney or to a verb: errors are JSON too. Never
 * cleared, unlike opt_json, which a verb that run calls resets.
 */
static bool json_errors;
/* A verb printed its JSON: an error after it is no reason for another. */
static bool json_printed;

#define WIDTH	79	/* --help fits 80 columns */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	unsigned int bit;	/* in spec->common; 0: every spec has it */
	struct cli_opt opt;
} common_opts[] = {
	{ CLI_NETNS, { .name = "netns", .key = 'n', .kind = CLI_STR,
		       .arg = "NETNS", .ptr = &opt_netns,
		       .help = "the named network namespace (as in `ip -n`)" } },
	{ CLI_VERBOSE, { .name = "verbose", .key = 'v', .kind = CLI_FLAG,
			 .ptr = &opt_verbose,
			 .help = "debug output, libbpf's and libxdp's too" } },
	{ CLI_JSON, { .name = "json", .kind = CLI_FLAG, .ptr = &opt_json,
		      .help = "machine-readable output" } },
	{ 0, { .name = "help", .key = 'h', .kind = CLI_HELP,
	       .help = "this help" } },
};

int cli_collect(const struct cli_spec *spec, struct cli_opt *out, int max)
{
	const struct cli_opt *o;
	size_t i;
	int n = 0;

	for (o = spec->opts; o && o->name; o++) {
		if (n == max)
			return -E2BIG;
		out[n++] = *o;
	}
	for (i = 0; i < ARRAY_SIZE(common_opts); i++) {
		if (common_opts[i].bit && !(spec->common & common_opts[i].bit))
			continue;
		if (n == max)
			return -E2BIG;
		out[n] = common_opts[i].opt;
		if (common_opts[i].bit == CLI_NETNS && spec->netns_help)
			out[n].help = spec->netns_help;
		if (common_opts[i].bit == CLI_JSON && spec->json_help)
			out[n].help = spec->json_help;
		n++;
	}
	return n;
}

bool cli_takes_arg(const struct cli_opt *o)
{
	return o->kind == CLI_STR || o->kind == CLI_ENUM ||
	       o->kind == CLI_UINT || o->kind == CLI_NUM;
}

/* "stats" for a verb, "version" for --version, "" for chimney's own. */
static const char *tag(const struct cli_spec *spec)
{
	return spec->name ? spec->name + strspn(spec->name, "-") : "";
}

/* The one error line: "VERB: what (see `chimney VERB --help`)". */
#define cli_err(spec, fmt, ...)						\
	pr_err("%s%s" fmt " (see `chimney %s%s--help`)\n", tag(spec),	\
	       *tag(spec) ? ": " : "", ##__VA_ARGS__,			\
	       (spec)->name ? (spec)->name : "", (spec)->name ? " " : "")

/* A number, for an optional argument given as the next word. */
static bool is_number(const char *s)
{
	char *end;

	if (!(*s >= '0' && *s <= '9') && !(*s == '.' && s[1] >= '0' && s[1] <= '9'))
		return false;
	strtod(s, &end);
	return !*end;
}

/* "native or skb", "bytes, packets, age or idle" */
static void values_str(const struct cli_value *v, char *buf, size_t len)
{
	size_t n = 0, i, count = 0, k = 0;

	for (i = 0; v[i].name; i++)
		count += !v[i].alias;
	buf[0] = 0;
	for (i = 0; v[i].name && n < len; i++) {
		if (v[i].alias)
			continue;
		k++;
		n += snprintf(buf + n, len - n, "%s%s",
			      k == 1 ? "" : k == count ? " or " : ", ", v[i].name);
	}
}

static int store(const struct cli_spec *spec, const struct cli_opt *o,
		 void *opts, const char *val)
{
	void *p = o->ptr ? o->ptr : (char *)opts + o->off;
	char buf[128], *end;
	unsigned long u;
	double d;
	int i;

	switch (o->kind) {
	case CLI_FLAG:
		*(bool *)p = true;
		return 0;
	case CLI_STR:
		*(const char **)p = val;
		return 0;
	case CLI_ENUM:
		for (i = 0; o->values[i].name; i++) {
			if (!strcmp(val, o->values[i].name)) {
				*(int *)p = o->values[i].val;
				return 0;
			}
		}
		values_str(o->values, buf, sizeof(buf));
		cli_err(spec, "--%s takes %s, not '%s'", o->name, buf, val);
		return -EINVAL;
	case CLI_UINT:
		errno = 0;
		u = strtoul(val, &end, 10);
		if (errno || *end || !(*val >= '0' && *val <= '9') || u < o->min ||
		    (o->max && u > o->max))
			break;
		*(unsigned long *)p = u;
		return 0;
	case CLI_NUM:
		d = strtod(val, &end);
		if (*end || !*val || !isfinite(d) || d < o->min ||
		    (o->max && d > o->max))
			break;
		*(double *)p = d;
		return 0;
	default:
		return 0;
	}
	if (o->max)
		cli_err(spec, "--%s takes a %snumber from %g to %g, not '%s'",
			o->name, o->kind == CLI_UINT ? "whole " : "", o->min,
			o->max, val);
	else
		cli_err(spec, "--%s takes a %snumber from %g, not '%s'", o->name,
			o->kind == CLI_UINT ? "whole " : "", o->min, val);
	return -EINVAL;
}

/* An optional argument left out. */
static void store_default(const struct cli_opt *o, void *opts)
{
	void *p = o->ptr ? o->ptr : (char *)opts + o->off;

	if (o->kind == CLI_UINT)
		*(unsigned long *)p = o->dflt;
	else if (o->kind == CLI_NUM)
		*(double *)p = o->dflt;
}

/* --name or an unambiguous start of one; NULL after the error line. */
static const struct cli_opt *find_long(const struct cli_spec *spec,
				       const struct cli_opt *all, int n,
				       const char *word, size_t len)
{
	const struct cli_opt *hit = NULL;
	char names[160];
	size_t used = 0;
	int i, hits = 0;

	for (i = 0; i < n; i++) {
		if (strncmp(all[i].name, word + 2, len))
			continue;
		if (!all[i].name[len])
			return &all[i];		/* exact */
		hit = &all[i];
		hits++;
		if (used < sizeof(names))
			used += snprintf(names + used, sizeof(names) - used,
					 "%s--%s", hits > 1 ? ", " : "",
					 all[i].name);
	}
	if (hits == 1)
		return hit;
	if (hits)
		cli_err(spec, "option '%.*s' is ambiguous: %s", (int)len + 2,
			word, names);
	else
		cli_err(spec, "unknown option '%.*s'", (int)len + 2, word);
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *all, int n,
					char key)
{
	int i;

	for (i = 0; i < n; i++)
		if (all[i].key && all[i].key == key)
			return &all[i];
	return NULL;
}

/*
 * One option, o, as written in word; val is its argument if word carried
 * one (--name=ARG, -kARG), next the word after it. Returns how many of
 * the following words it took (0 or 1), 1 << 8 when the verb is done
 * (--help), or a negative errno after the error line.
 */
#define CLI_DONE	(1 << 8)

static int take(const struct cli_spec *spec, const struct cli_opt *o,
		const char *word, const char *val, const char *next,
		void *opts)
{
	int used = 0, err;

	if (!cli_takes_arg(o)) {
		if (val) {
			cli_err(spec, "option '--%s' takes no argument", o->name);
			return -EINVAL;
		}
		if (o->kind == CLI_HELP) {
			cli_help(spec, stdout);
			return CLI_DONE;
		}
		if (o->kind == CLI_ACTION) {
			o->action(stdout);
			return CLI_DONE;
		}
		return store(spec, o, opts, NULL);
	}
	if (!val && o->optional) {
		if (!next || !is_number(next)) {
			store_default(o, opts);
			return 0;
		}
		val = next;
		used = 1;
	} else if (!val) {
		if (!next) {
			cli_err(spec, "option '%s' needs an argument %s", word,
				o->arg ? o->arg : "");
			return -EINVAL;
		}
		val = next;
		used = 1;
	}
	err = store(spec, o, opts, val);
	return err ? err : used;
}

int cli_parse(const struct cli_spec *spec, int argc, char **argv,
	      void *opts, struct cli_args *args)
{
	struct cli_opt all[CLI_MAX_OPTS];
	const struct cli_opt *o;
	bool rest = false, handed = false;
	int n, i, npos = 0, ret;
	const char *w, *eq, *next;
	size_t len;

	n = cli_collect(spec, all, CLI_MAX_OPTS);
	if (n < 0) {
		pr_err("%s: internal: more than %d options\n", tag(spec),
		       CLI_MAX_OPTS);
		return n;
	}
	/* an exec() without even argv[0]: nowhere to put the arguments */
	if (argc < 1) {
		cli_err(spec, "expected %s", spec->expect ? spec->expect : "a name");
		return -EINVAL;
	}
	if (spec->name) {
		opt_netns = main_netns;
		opt_json = main_json;
	}
	/* --json after a bad option still makes the error JSON. */
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if ((spec->common & CLI_JSON) && !strcmp(argv[i], "--json"))
			opt_json = json_errors = true;

	for (i = 1; i < argc; i++) {
		w = argv[i];
		next = i + 1 < argc ? argv[i + 1] : NULL;
		if (rest || w[0] != '-' || !w[1]) {
			/* i >= npos + 1: the slot was read already */
			argv[1 + npos++] = argv[i];
			rest = rest || spec->stop_at_arg;
			continue;
		}
		if (!strcmp(w, "--")) {
			rest = true;
			continue;
		}
		if (w[1] == '-') {
			eq = strchr(w, '=');
			len = eq ? (size_t)(eq - w - 2) : strlen(w + 2);
			o = find_long(spec, all, n, w, len);
			if (!o)
				return -EINVAL;
			ret = take(spec, o, w, eq ? eq + 1 : NULL, next, opts);
		} else {
			/* a cluster: flags, then maybe one that takes the rest */
			for (w++, ret = 0; *w; w++) {
				char name[3] = { '-', *w, 0 };

				o = find_short(all, n, *w);
				if (!o) {
					cli_err(spec, "unknown option '-%c'", *w);
					return -EINVAL;
				}
				if (cli_takes_arg(o)) {
					ret = take(spec, o, name, w[1] ? w + 1 : NULL,
						   next, opts);
					break;
				}
				ret = take(spec, o, name, NULL, NULL, opts);
				if (ret)
					break;
			}
		}
		if (ret < 0)
			return ret;
		if (ret == CLI_DONE)
			return 1;
		i += ret;
		if (o->rest) {
			handed = true;
			break;
		}
	}
	/* after a `rest` option, everything left is an argument */
	for (i++; i < argc; i++)
		argv[1 + npos++] = argv[i];
	argv[1 + npos] = NULL;		/* as argv[argc] was: for execv() */
	if (opt_verbose)
		log_set_level(LOG_DEBUG);
	if (!spec->name) {
		main_netns = opt_netns;
		main_json = opt_json;
	}
	args->n = npos;
	args->v = argv + 1;
	if (handed)
		return 0;	/* the `rest` option's own to check */
	if (npos < spec->min_args) {
		cli_err(spec, "expected %s", spec->expect ? spec->expect :
					     spec->forms ? spec->forms[0] : "");
		return -EINVAL;
	}
	if (spec->max_args >= 0 && npos > spec->max_args) {
		cli_err(spec, "unexpected argument '%s'", args->v[spec->max_args]);
		return -EINVAL;
	}
	return 0;
}

/* ---- --help ---------------------------------------------------------- */

void cli_opt_label(const struct cli_opt *o, char *buf, size_t len)
{
	const char *arg = cli_takes_arg(o) ? (o->arg ? o->arg : "ARG") : NULL;

	if (o->key)
		snprintf(buf, len, "-%c, --%s%s%s%s%s", o->key, o->name,
			 arg ? " " : "", o->optional ? "[" : "", arg ? arg : "",
			 o->optional ? "]" : "");
	else
		snprintf(buf, len, "--%s%s%s%s%s", o->name, arg ? " " : "",
			 o->optional ? "[" : "", arg ? arg : "",
			 o->optional ? "]" : "");
}

/*
 * text from column col, wrapped to WIDTH with continuation lines indented
 * by indent. Words split at blanks outside [brackets] and `quotes`. No
 * line starts with '-': a wrapped "--dev" would read as an option of its
 * own (and the docs checks read --help's option column that way).
 */
static void wrap(FILE *f, const char *text, int col, int indent)
{
	const char *word[256];
	int wlen[256], nw = 0, i, j, pos, depth = 0;
	const char *p = text;
	bool quoted = false;

	while (*p && nw < (int)ARRAY_SIZE(word)) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		word[nw] = p;
		for (; *p && (*p != ' ' || depth > 0 || quoted); p++) {
			depth += (*p == '[') - (*p == ']');
			quoted ^= *p == '`';
		}
		wlen[nw] = p - word[nw];
		nw++;
	}
	for (i = 0; i < nw; i = j) {
		pos = i ? indent : col;
		if (i)
			fprintf(f, "%*s", indent, "");
		for (j = i; j < nw && (j == i || pos + 1 + wlen[j] <= WIDTH); j++)
			pos += (j > i) + wlen[j];
		while (j < nw && word[j][0] == '-' && j - i >= 2)
			j--;
		for (pos = i; pos < j; pos++)
			fprintf(f, "%s%.*s", pos > i ? " " : "", wlen[pos],
				word[pos]);
		fputc('\n', f);
	}
	if (!nw)
		fputc('\n', f);
}

/* One option's word in the usage line: "[--sort bytes|packets|age|idle]". */
static void usage_word(FILE *f, const struct cli_opt *o)
{
	const struct cli_value *v;
	const char *sep = "";

	fprintf(f, " [--%s", o->name);
	if (o->kind == CLI_ENUM) {
		fputc(' ', f);
		for (v = o->values; v->name; v++) {
			if (v->alias)
				continue;
			fprintf(f, "%s%s", sep, v->name);
			sep = "|";
		}
	} else if (cli_takes_arg(o)) {
		fprintf(f, " %s%s%s%s%s", o->optional ? "[" : "",
			o->arg ? o->arg : "ARG", o->suggest ? "|" : "",
			o->suggest ? o->suggest : "", o->optional ? "]" : "");
	}
	fputc(']', f);
}

char *cli_synopsis(const struct cli_spec *spec, int form)
{
	struct cli_opt all[CLI_MAX_OPTS];
	char *buf = NULL;
	size_t len = 0;
	int i, n, nforms = 0;
	FILE *f;

	while (spec->forms && spec->forms[nforms])
		nforms++;
	if (form >= (nforms ? nforms : 1))
		return NULL;
	n = cli_collect(spec, all, CLI_MAX_OPTS);
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	if (spec->common & CLI_NETNS)
		fputs("[-n NETNS]", f);
	if (spec->name)
		fprintf(f, "%s%s", spec->common & CLI_NETNS ? " " : "",
			spec->name);
	if (nforms && !spec->opts_first)
		fprintf(f, " %s", spec->forms[form]);
	/* the options: the ones a form does not show, after the first form */
	for (i = 0; !form && i < n; i++) {
		if (all[i].no_usage || all[i].ptr == &opt_netns ||
		    all[i].ptr == &opt_verbose || all[i].kind == CLI_HELP)
			continue;
		usage_word(f, &all[i]);
	}
	if (nforms && spec->opts_first)
		fprintf(f, " %s", spec->forms[form]);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	/* no verb name and no -n: the leading blank */
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
	return buf;
}

void cli_help(const struct cli_spec *spec, FILE *f)
{
	struct cli_opt all[CLI_MAX_OPTS];
	char label[96], *syn;
	int i, n, colw = 0, indent;
	bool optional = false;

	/* continuation lines start under the verb's first argument */
	indent = strlen("Usage: chimney ") +
		 (spec->common & CLI_NETNS ? strlen("[-n NETNS] ") : 0) +
		 (spec->name ? strlen(spec->name) + 1 : 0);
	for (i = 0; (syn = cli_synopsis(spec, i)); i++) {
		fputs(i ? "       chimney " : "Usage: chimney ", f);
		wrap(f, syn, strlen("Usage: chimney "), indent);
		free(syn);
	}
	if (spec->about)
		fprintf(f, "\n%s", spec->about);

	n = cli_collect(spec, all, CLI_MAX_OPTS);
	for (i = 0; i < n; i++) {
		cli_opt_label(&all[i], label, sizeof(label));
		if ((int)strlen(label) + 4 + (all[i].key ? 0 : 4) > colw)
			colw = strlen(label) + 4 + (all[i].key ? 0 : 4);
		optional |= all[i].optional;
	}
	if (colw > 28)
		colw = 28;
	fputs("\nOptions:\n", f);
	for (i = 0; i < n; i++) {
		cli_opt_label(&all[i], label, sizeof(label));
		fprintf(f, "  %s%s", all[i].key ? "" : "    ", label);
		indent = 2 + strlen(label) + (all[i].key ? 0 : 4);
		if (indent + 2 > colw) {
			fputc('\n', f);
			indent = 0;
		}
		fprintf(f, "%*s", colw - indent, "");
		wrap(f, all[i].help, colw, colw);
	}
	/* the rule for optional arguments (see cli.h), option by option */
	for (i = 0; optional && i < n; i++) {
		char note[256], sh[32] = "";

		if (!all[i].optional)
			continue;
		if (all[i].key)
			snprintf(sh, sizeof(sh), ", -%c%s", all[i].key, all[i].arg);
		snprintf(note, sizeof(note),
			 "%s of --%s may be left out (default %g); it is given as --%s=%s%s, or as the next word if that is a number.",
			 all[i].arg, all[i].name, all[i].dflt, all[i].name,
			 all[i].arg, sh);
		fputc('\n', f);
		wrap(f, note, 0, 0);
	}
	if (spec->footer)
		fprintf(f, "\n%s", spec->footer);
	if (spec->more_help) {
		fputc('\n', f);
		spec->more_help(f);
	}
}

/* ---- JSON ------------------------------------------------------------ */

void cli_json_print(struct json_object *o, bool one_line)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (one_line ? JSON_C_TO_STRING_PLAIN : JSON_C_TO_STRING_PRETTY);

	printf("%s\n", json_object_to_json_string_ext(o, flags));
	json_object_put(o);
	json_printed = true;
}

void cli_json_error(void)
{
	struct json_object *o;

	if (!json_errors || json_printed || !*log_last_error())
		return;
	o = json_object_new_object();
	json_object_object_add(o, "error",
			       json_object_new_string(log_last_error()));
	cli_json_print(o, false);
}
