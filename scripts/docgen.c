// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * chimney-docgen: the man page's and the bash completion's lists, printed
 * from the tables chimney itself runs on (config_keys[], counter_descs[],
 * verbs[], chimney_map_descs[]), so that neither can drift from the code. The Makefile pastes
 * the output into deploy/chimney.8.in and deploy/chimney.bash-completion.in.
 *
 *   chimney-docgen SECTION     one of the sections below, on stdout
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <chimney/flow.h>

#include "chimney.h"
#include "config.h"
#include "flowtab.h"

/*
 * Text for a roff line that is not a request. '-' becomes \- (a minus:
 * options and ranges must survive copy and paste, and lintian asks for
 * it), '\' becomes \e, and a leading '.' or '\'' is protected with \& so
 * the line is never taken for a request. A long run of letters and digits
 * (rss.key's default: 80 hex digits) gets a break point \: every 16
 * characters: unbroken, it would not fit an 80-column page and groff
 * warns.
 */
static void roff_text(FILE *f, const char *s)
{
	int run = 0;

	if (*s == '.' || *s == '\'')
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
};

#define NR_SECTIONS (sizeof(sections) / sizeof(sections[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: chimney-docgen SECTION\n\nSections:\n");
	for (i = 0; i < NR_SECTIONS; i++)
		fprintf(f, "  %-22s %s\n", sections[i].name, sections[i].help);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc != 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < NR_SECTIONS; i++) {
		if (strcmp(argv[1], sections[i].name))
			continue;
		if (sections[i].fn(stdout) || fflush(stdout) || ferror(stdout)) {
			fprintf(stderr, "chimney-docgen: %s: %s\n", argv[1],
				strerror(errno ? errno : EIO));
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "chimney-docgen: unknown section '%s'\n", argv[1]);
	usage(stderr);
	return 1;
}
