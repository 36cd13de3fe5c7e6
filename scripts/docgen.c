// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * chimney-docgen: the man page's and the bash completion's lists, printed
 * from the tables chimney itself runs on (config_keys[], counter_descs[],
 * verbs[] and each verb's options, main_cli's for chimney's own,
 * chimney_map_descs[]), so that neither can drift from the code. The Makefile pastes
 * the output into deploy/chimney.8.in and deploy/chimney.bash-completion.in.
 *
 *   chimney-docgen SECTION     one of the sections below, on stdout
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chimney/flow.h>

#include "chimney.h"
#include "config.h"
#include "flowtab.h"

/*
 * Text for a roff line that is not a request. '-' becomes \- (a minus:
 * options and ranges must survive copy and paste, and lintian asks for
 * it), '\' becomes \e, and when s starts a line (line_start), a leading
 * '.' or '\'' is protected with \& so the line is never taken for a
 * request. A long run of letters and digits (rss.key's default: 80 hex
 * digits) gets a break point \: every 16 characters: unbroken, it would
 * not fit an 80-column page and groff warns.
 */
static void roff_text_at(FILE *f, const char *s, bool line_start)
{
	int run = 0;

	if (line_start && (*s == '.' || *s == '\''))
		fputs("\\&", f);
	for (; *s; s++) {
		if (isalnum((unsigned char)*s)) {
			if (run && !(run % 16))
				fputs("\\:", f);
			run++;
		} else {
			run = 0;
		}
		switch (*s) {
		case '-':
			fputs("\\-", f);
			break;
		case '\\':
			fputs("\\e", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void roff_text(FILE *f, const char *s)
{
	roff_text_at(f, s, true);
}

/* A tag or name in bold: \fBname\fR, the form the checks look for. */
static void roff_bold(FILE *f, const char *s)
{
	fputs("\\fB", f);
	roff_text(f, s);
	fputs("\\fR", f);
}

/* One tagged paragraph: the name in bold, its help beneath. */
static void roff_tp(FILE *f, const char *name, const char *help)
{
	fputs(".TP\n", f);
	roff_bold(f, name);
	fputs("\n", f);
	roff_text(f, help);
	fputs("\n", f);
}

static int keys_roff(FILE *f)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		fputs(".TP\n", f);
		roff_bold(f, k->name);
		fputs("\n", f);
		roff_text(f, k->help);
		fputs("\n.br\nValue: ", f);
		roff_text(f, k->type);
		fputs("; default: ", f);
		roff_bold(f, k->def);
		fputs("\n", f);
	}
	return 0;
}

static const struct counter_desc *counter_find(int hook, const char *base)
{
	int i;

	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
		if (counter_descs[i].hook == hook &&
		    !strcmp(counter_descs[i].base, base))
			return &counter_descs[i];
	return NULL;
}

/*
 * Hook counters come in rx_/tx_ pairs with one help text: one entry
 * names both. A counter kept by one hook only would still get its own.
 */
static int hook_counters_roff(FILE *f)
{
	const struct counter_desc *c, *tx;
	int i;

	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++) {
		c = &counter_descs[i];
		if (c->hook < 0)
			continue;
		if (c->hook == CHIMNEY_HOOK_TX &&
		    counter_find(CHIMNEY_HOOK_RX, c->base))
			continue;	/* named with its rx_ twin */
		tx = c->hook == CHIMNEY_HOOK_RX ?
		     counter_find(CHIMNEY_HOOK_TX, c->base) : NULL;
		fputs(".TP\n", f);
		roff_bold(f, c->name);
		if (tx) {
			fputs(", ", f);
			roff_bold(f, tx->name);
		}
		fputs("\n", f);
		roff_text(f, c->help);
		fputs("\n", f);
	}
	return 0;
}

static int global_counters_roff(FILE *f)
{
	int i;

	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
		if (counter_descs[i].hook < 0)
			roff_tp(f, counter_descs[i].name, counter_descs[i].help);
	return 0;
}

/* chimney run's own counts, in the pinned flow_stats map. */
#define SWEEP_DESC(n, h) { #n, h },
static const struct {
	const char *name, *help;
} sweep_descs[] = {
	CHIMNEY_SWEEP_COUNTERS(SWEEP_DESC)
};
#undef SWEEP_DESC
#define NR_SWEEP (sizeof(sweep_descs) / sizeof(sweep_descs[0]))

static int daemon_counters_roff(FILE *f)
{
	size_t i;

	for (i = 0; i < NR_SWEEP; i++)
		roff_tp(f, sweep_descs[i].name, sweep_descs[i].help);
	/* expiries by reason: the state whose timeout ran out */
	for (i = 0; i < FLOW_ST_MAX; i++) {
		fputs(".TP\n\\fBexpired\\fR, reason ", f);
		roff_bold(f, flow_state_names[i]);
		fputs("\n", f);
		roff_text(f, flow_state_help[i]);
		fputs("\n", f);
	}
	return 0;
}

/* An instance's pins: the list of <chimney/maps.h>, but its internal maps. */
static int pins_roff(FILE *f)
{
	int i;

	for (i = 0; i < CHIMNEY_NR_MAPS; i++)
		if (chimney_map_descs[i].kind != CHIMNEY_INTERNAL_MAP)
			roff_tp(f, chimney_map_descs[i].name,
				chimney_map_descs[i].help);
	return 0;
}

static int verbs_list(FILE *f)
{
	size_t i;

	for (i = 0; i < nverbs; i++)
		fprintf(f, "%s\n", verbs[i].name);
	return 0;
}

static int keys_list(FILE *f)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++)
		fprintf(f, "%s\n", config_keys[i].name);
	return 0;
}

/* Counters the man page names: the per-CPU block, then chimney run's. */
static int counters_list(FILE *f)
{
	size_t i;

	for (i = 0; i < CHIMNEY_NR_COUNTERS; i++)
		fprintf(f, "%s\n", counter_descs[i].name);
	for (i = 0; i < NR_SWEEP; i++)
		fprintf(f, "%s\n", sweep_descs[i].name);
	return 0;
}

/* A value worth offering: one lowercase word ("auto", not "integer 88-65535"). */
static bool is_word(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++)
		if (!islower((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * KEY=VALUE candidates for the completion: every key's default (always a
 * valid value: config_defaults() parses it), the names of an enumerated
 * key, and for the others the one-word alternatives of its type
 * ("off|auto|integer 88-65535": off, auto).
 */
static int key_values_list(FILE *f)
{
	const char *p, *bar;
	size_t i, j, len;

	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		fprintf(f, "%s=%s\n", k->name, k->def);
		if (k->names) {
			for (j = 0; k->names[j]; j++)
				if (strcmp(k->names[j], k->def))
					fprintf(f, "%s=%s\n", k->name, k->names[j]);
			continue;
		}
		if (!strchr(k->type, '|'))
			continue;
		for (p = k->type; p; p = bar ? bar + 1 : NULL) {
			bar = strchr(p, '|');
			len = bar ? (size_t)(bar - p) : strlen(p);
			if (is_word(p, len) &&
			    (strlen(k->def) != len || strncmp(p, k->def, len)))
				fprintf(f, "%s=%.*s\n", k->name, (int)len, p);
		}
	}
	return 0;
}

/* ---- the verbs' options, from their cli tables ------------------------ */

/* main_cli for "global", else the verb's */
static const struct cli_spec *spec_named(const char *name)
{
	size_t i;

	if (!strcmp(name, "global"))
		return &main_cli;
	for (i = 0; i < nverbs; i++)
		if (!strcmp(verbs[i].name, name))
			return verbs[i].cli;
	return NULL;
}

/*
 * The metavariables of a spec, " IFACE N SECS ": its options' argument
 * names and the capitalised words of its usage forms, which its texts
 * set in italics.
 */
static void metavars(const struct cli_spec *spec, char *buf, size_t len)
{
	struct cli_opt all[CLI_MAX_OPTS];
	const char *p, *w;
	size_t n = 1;
	int i, k;

	snprintf(buf, len, " ");
	k = cli_collect(spec, all, CLI_MAX_OPTS);
	for (i = -1; i < k; i++) {
		p = i < 0 ? (spec->forms ? spec->forms[0] : "") : all[i].arg;
		for (; p && *p && n < len; ) {
			for (w = p; isupper((unsigned char)*p) || isdigit((unsigned char)*p); p++)
				;
			if (p > w && isupper((unsigned char)*w))
				n += snprintf(buf + n, len - n, "%.*s ", (int)(p - w), w);
			if (p == w)
				p++;
		}
	}
}

/* Plain text within a line, a metavariable of vars in italics. */
static void roff_words(FILE *f, const char *s, const char *vars)
{
	char word[64], key[68];
	const char *w;

	while (*s) {
		/* a sentence ends its line, so that roff spaces it as one */
		if (s[0] == '.' && s[1] == ' ' && isupper((unsigned char)s[2])) {
			fputs(".\n", f);
			s += 2;
			continue;
		}
		for (w = s; isupper((unsigned char)*s) || isdigit((unsigned char)*s); s++)
			;
		if (s > w && (size_t)(s - w) < sizeof(word)) {
			snprintf(word, sizeof(word), "%.*s", (int)(s - w), w);
			snprintf(key, sizeof(key), " %s ", word);
			/* a whole word, not the start of "IFACEs" */
			if (strstr(vars, key) && !isalpha((unsigned char)*s) &&
			    (w == s || !isalpha((unsigned char)w[-1]))) {
				fputs("\\fI", f);
				roff_text_at(f, word, false);
				fputs("\\fR", f);
				continue;
			}
		}
		if (s == w)
			s++;
		snprintf(word, sizeof(word), "%.*s", (int)(s - w), w);
		roff_text_at(f, word, false);
	}
}

/*
 * A line of roff text in which `code` is bold, as the tables write it.
 * It starts with a letter or a backquote: no request to protect against.
 */
static void roff_marked(FILE *f, const char *s, const char *vars)
{
	char seg[512];
	bool bold = false;
	const char *q;
	size_t len;

	for (; *s; s = q ? q + 1 : s + len, bold = !bold) {
		q = strchr(s, '`');
		len = q ? (size_t)(q - s) : strlen(s);
		snprintf(seg, sizeof(seg), "%.*s", (int)len, s);
		if (bold)
			roff_bold(f, seg);
		else
			roff_words(f, seg, vars);
		if (!q)
			break;
	}
}

/*
 * A usage line (cli_synopsis()) as the body of .SY chimney: options and
 * literal words bold, metavariables (all capitals) italic, brackets and
 * bars roman, and no line break inside [brackets].
 */
static void roff_synopsis(FILE *f, const char *syn)
{
	const char *p = syn, *w;
	char word[128];
	int depth = 0;
	bool upper;

	fputs(".SY chimney\n", f);
	while (*p) {
		if (isalnum((unsigned char)*p) || *p == '-' || *p == '_') {
			upper = false;
			for (w = p; isalnum((unsigned char)*p) || *p == '-' || *p == '_'; p++)
				upper |= isupper((unsigned char)*p);
			snprintf(word, sizeof(word), "%.*s", (int)(p - w), w);
			for (w = word; *w && !islower((unsigned char)*w); w++)
				;
			if (upper && !*w) {
				fputs("\\fI", f);
				roff_text(f, word);
				fputs("\\fR", f);
			} else {
				roff_bold(f, word);
			}
			continue;
		}
		if (*p == ' ')
			fputs(depth ? "\\ " : " ", f);
		else
			fputc(*p, f);
		depth += (*p == '[') - (*p == ']');
		p++;
	}
	fputs("\n.YS\n", f);
}

static int synopsis_roff(FILE *f, const struct cli_spec *spec)
{
	char *syn;
	int i;

	for (i = 0; (syn = cli_synopsis(spec, i)); i++) {
		roff_synopsis(f, syn);
		free(syn);
	}
	return i ? 0 : -ENOMEM;
}

/* The man page's text for an option: its doc, else its help as a sentence. */
static void opt_doc(const struct cli_opt *o, char *buf, size_t len)
{
	size_t n;

	if (o->doc) {
		snprintf(buf, len, "%s", o->doc);
		return;
	}
	if (o->kind == CLI_HELP) {
		snprintf(buf, len, "Print the usage and the options, and exit.");
		return;
	}
	snprintf(buf, len, "%s", o->help);
	buf[0] = toupper((unsigned char)buf[0]);
	n = strlen(buf);
	if (n && buf[n - 1] != '.' && n + 1 < len)
		strcat(buf, ".");
}

/* .TP per option: "\fB\-w\fR, \fB\-\-watch\fR [\fISECS\fR]", then its text. */
static int options_roff(FILE *f, const struct cli_spec *spec)
{
	struct cli_opt all[CLI_MAX_OPTS];
	char name[64], doc[1024], vars[256];
	int i, n;

	n = cli_collect(spec, all, CLI_MAX_OPTS);
	if (n < 0)
		return n;
	metavars(spec, vars, sizeof(vars));
	for (i = 0; i < n; i++) {
		const struct cli_opt *o = &all[i];

		fputs(".TP\n", f);
		if (o->key)
			fprintf(f, "\\fB\\-%c\\fR, ", o->key);
		snprintf(name, sizeof(name), "--%s", o->name);
		roff_bold(f, name);
		if (cli_takes_arg(o))
			fprintf(f, " %s\\fI%s\\fR%s", o->optional ? "[" : "",
				o->arg, o->optional ? "]" : "");
		fputs("\n", f);
		opt_doc(o, doc, sizeof(doc));
		roff_marked(f, doc, vars);
		fputs("\n", f);
	}
	return 0;
}

/* What the completion offers as an option: "-m --mode ..." */
static void opt_words(FILE *f, const struct cli_opt *all, int n,
		      bool (*pick)(const struct cli_opt *o))
{
	const char *sep = "";
	int i;

	for (i = 0; i < n; i++) {
		if (pick && !pick(&all[i]))
			continue;
		if (all[i].key) {
			fprintf(f, "%s-%c", sep, all[i].key);
			sep = " ";
		}
		fprintf(f, "%s--%s", sep, all[i].name);
		sep = " ";
	}
}

static bool pick_required_arg(const struct cli_opt *o)
{
	return cli_takes_arg(o) && !o->optional;
}

static bool pick_optional_arg(const struct cli_opt *o)
{
	return cli_takes_arg(o) && o->optional;
}

/* fn(f, verb, its options with the common ones, n, arg) for each verb */
typedef void verb_fn(FILE *f, const char *verb, const struct cli_opt *all,
		     int n, const void *arg);

static int each_verb(FILE *f, verb_fn *fn, const void *arg)
{
	struct cli_opt all[CLI_MAX_OPTS];
	size_t v;
	int n;

	for (v = 0; v < nverbs; v++) {
		n = cli_collect(verbs[v].cli, all, CLI_MAX_OPTS);
		if (n < 0)
			return n;
		fn(f, verbs[v].name, all, n, arg);
	}
	return 0;
}

struct arm {
	const char *fmt;
	bool (*pick)(const struct cli_opt *o);
};

/* "\tVERB) opts='-x --xyz ...' ;;", picked options only, if any */
static void arm_one(FILE *f, const char *verb, const struct cli_opt *all,
		    int n, const void *arg)
{
	const struct arm *a = arg;
	int i, any = 0;

	for (i = 0; i < n; i++)
		any |= !a->pick || a->pick(&all[i]);
	if (!any)
		return;
	fprintf(f, "\t%s) %s'", verb, a->fmt);
	opt_words(f, all, n, a->pick);
	fputs("' ;;\n", f);
}

static int verb_arms(FILE *f, const char *fmt,
		     bool (*pick)(const struct cli_opt *o))
{
	const struct arm a = { fmt, pick };

	return each_verb(f, arm_one, &a);
}

static int completion_verb_options(FILE *f)
{
	return verb_arms(f, "opts=", NULL);
}

static int completion_argopts(FILE *f)
{
	return verb_arms(f, "echo ", pick_required_arg);
}

static int completion_optargs(FILE *f)
{
	return verb_arms(f, "echo ", pick_optional_arg);
}

static int completion_global(FILE *f)
{
	struct cli_opt all[CLI_MAX_OPTS];
	int n = cli_collect(&main_cli, all, CLI_MAX_OPTS);

	if (n < 0)
		return n;
	fputs("\tlocal global='", f);
	opt_words(f, all, n, NULL);
	fputs("'\n", f);
	return 0;
}

/* "\t\tVERB:-k | VERB:--name) what ;;" for each option with values */
static void values_one(FILE *f, const char *verb, const struct cli_opt *all,
		       int n, const void *arg)
{
	const struct cli_value *val;
	int i;

	for (i = 0; i < n; i++) {
		const struct cli_opt *o = &all[i];

		if (!o->values && !o->suggest && !o->complete)
			continue;
		fputs("\t\t", f);
		if (o->key)
			fprintf(f, "%s:-%c | ", verb, o->key);
		fprintf(f, "%s:--%s)", verb, o->name);
		if (o->complete == CLI_COMP_FILE) {
			fprintf(f, "\n\t\t\t[[ $cur == --*=* ]] || { _filedir%s%s; return; }\n\t\t\t;;\n",
				o->ext ? " " : "", o->ext ? o->ext : "");
			continue;
		}
		if (o->complete == CLI_COMP_IFACE) {
			fputs(" mapfile -t vals < <(_chimney_ifaces \"$ns\") ;;\n", f);
			continue;
		}
		fputs(" vals=(", f);
		for (val = o->values; val && val->name; val++)
			if (!val->alias)
				fprintf(f, "%s%s", val == o->values ? "" : " ",
					val->name);
		if (o->suggest)
			fputs(o->suggest, f);
		fputs(") ;;\n", f);
	}
}

static int completion_option_values(FILE *f)
{
	return each_verb(f, values_one, NULL);
}

/* "VERB OPTION" for every option of every verb, for the docs checks */
static void list_one(FILE *f, const char *verb, const struct cli_opt *all,
		     int n, const void *arg)
{
	int i;

	for (i = 0; i < n; i++) {
		if (all[i].key)
			fprintf(f, "%s -%c\n", verb, all[i].key);
		fprintf(f, "%s --%s\n", verb, all[i].name);
	}
}

static int verb_options_list(FILE *f)
{
	return each_verb(f, list_one, NULL);
}

static const struct section {
	const char *name;
	int (*fn)(FILE *f);
	const char *help;
} sections[] = {
	{ "keys-roff", keys_roff, "config keys: name, help, type, default (roff)" },
	{ "hook-counters-roff", hook_counters_roff, "rx_/tx_ counters with help (roff)" },
	{ "global-counters-roff", global_counters_roff, "global counters with help (roff)" },
	{ "daemon-counters-roff", daemon_counters_roff, "chimney run's flow_stats counts (roff)" },
	{ "pins-roff", pins_roff, "an instance's pins with help (roff)" },
	{ "verbs", verbs_list, "verb names, one a line" },
	{ "keys", keys_list, "config key names, one a line" },
	{ "key-values", key_values_list, "KEY=VALUE completion candidates, one a line" },
	{ "counters", counters_list, "every counter name the man page names, one a line" },
	{ "verb-options", verb_options_list, "VERB OPTION for every option of every verb" },
	{ "completion-global", completion_global, "chimney's own options (bash)" },
	{ "completion-verb-options", completion_verb_options, "each verb's options (bash case arms)" },
	{ "completion-argopts", completion_argopts, "each verb's options that take an argument (bash)" },
	{ "completion-optargs", completion_optargs, "each verb's options whose argument is optional (bash)" },
	{ "completion-option-values", completion_option_values, "the values of each verb's options (bash)" },
};

/* Sections per verb: PREFIX-VERB, VERB a verb's name or "global". */
static const struct verb_section {
	const char *prefix;
	int (*fn)(FILE *f, const struct cli_spec *spec);
	const char *help;
} verb_sections[] = {
	{ "synopsis-", synopsis_roff, "a verb's usage lines (roff)" },
	{ "options-", options_roff, "a verb's options with their help (roff)" },
};

#define NR_VERB_SECTIONS (sizeof(verb_sections) / sizeof(verb_sections[0]))

#define NR_SECTIONS (sizeof(sections) / sizeof(sections[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: chimney-docgen SECTION\n\nSections:\n");
	for (i = 0; i < NR_SECTIONS; i++)
		fprintf(f, "  %-26s %s\n", sections[i].name, sections[i].help);
	for (i = 0; i < NR_VERB_SECTIONS; i++)
		fprintf(f, "  %sVERB%*s %s (VERB: a verb, or global)\n",
			verb_sections[i].prefix,
			(int)(22 - strlen(verb_sections[i].prefix)), "",
			verb_sections[i].help);
}

static int run_section(const char *name)
{
	const struct cli_spec *spec;
	size_t i, len;

	for (i = 0; i < NR_SECTIONS; i++)
		if (!strcmp(name, sections[i].name))
			return sections[i].fn(stdout);
	for (i = 0; i < NR_VERB_SECTIONS; i++) {
		len = strlen(verb_sections[i].prefix);
		if (strncmp(name, verb_sections[i].prefix, len))
			continue;
		spec = spec_named(name + len);
		if (!spec)
			break;
		return verb_sections[i].fn(stdout, spec);
	}
	return -ENOENT;
}

int main(int argc, char **argv)
{
	int err;

	if (argc != 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	err = run_section(argv[1]);
	if (err == -ENOENT) {
		fprintf(stderr, "chimney-docgen: unknown section '%s'\n", argv[1]);
		usage(stderr);
		return 1;
	}
	if (err || fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "chimney-docgen: %s: %s\n", argv[1],
			strerror(err < 0 ? -err : errno ? errno : EIO));
		return 1;
	}
	return 0;
}
