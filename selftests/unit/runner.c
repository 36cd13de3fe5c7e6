// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The unit runner: runs every registered test (or those whose name
 * contains one of the filter arguments) and prints one line per test,
 * "PASS <name>", "FAIL <name>" or "SKIP <name>: <reason>", with the
 * test's log indented beneath a failure. A test's subtests print their
 * own line, "PASS <name>/<sub>" and so on, before the test's. Ends with
 * a summary and exits non-zero when a test failed.
 *
 *   build/unit_runner [-v] [-l] [-w FILE.pcap] [FILTER[/SUBFILTER]...]
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <bpf/libbpf.h>

#include "chimney.h"
#include "log.h"
#include "test.h"
#include "env.h"

static struct unit_test *tests;
static int nr_tests, cap_tests;

static int verbose;
/*
 * The running scope: the test, or the subtest it has open. Failures and
 * skips mark the scope they happen in; a subtest's end folds its result
 * into its test.
 */
static FILE *cur_log;		/* the scope's log, NULL between tests */
static bool cur_failed;
static char *cur_skip;		/* the scope's skip reason, NULL: not skipped */
static FILE *saved_log;		/* while muted */
static bool saved_failed;

static char **filters;
static int nfilters;

/* The running test, and its open subtest. */
static struct {
	const struct unit_test *t;
	bool all_subs;		/* selected by a filter without '/' */
	int subs, subs_failed, subs_skipped;
	/* the test's own scope, kept while a subtest runs */
	FILE *log;
	bool failed;
	char *skip;
	/* the open subtest, sub_name NULL when none */
	char *sub_name;
	char *sub_buf;
	size_t sub_len;
} run;

/* Subtests of the whole run, for the summary. */
static int subs_passed, subs_failed, subs_skipped;

void unit_register(const char *name, unit_fn fn, const void *arg)
{
	if (nr_tests == cap_tests) {
		int cap = cap_tests ? cap_tests * 2 : 64;
		struct unit_test *n = realloc(tests, cap * sizeof(*n));

		if (!n) {
			fprintf(stderr, "unit: out of memory registering %s\n",
				name);
			exit(2);
		}
		tests = n;
		cap_tests = cap;
	}
	tests[nr_tests++] = (struct unit_test){ name, fn, arg };
}

static void vlog(const char *fmt, va_list ap)
{
	FILE *f = cur_log ? cur_log : stderr;

	vfprintf(f, fmt, ap);
}

void unit_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void unit_fail_at(const char *file, int line, const char *fmt, ...)
{
	const char *base = file ? strrchr(file, '/') : NULL;
	va_list ap;

	cur_failed = true;
	if (file)
		unit_log("%s:%d: ", base ? base + 1 : file, line);
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	unit_log("\n");
}

void unit_mute_begin(void)
{
	saved_log = cur_log;
	saved_failed = cur_failed;
	cur_failed = false;
	if (!verbose)
		cur_log = fopen("/dev/null", "w");
	if (!cur_log)
		cur_log = saved_log;
	else if (verbose)
		unit_log("(muted: the failures below are expected)\n");
}

bool unit_mute_end(void)
{
	bool failed = cur_failed;

	if (cur_log != saved_log)
		fclose(cur_log);
	cur_log = saved_log;
	cur_failed = saved_failed;
	if (verbose)
		unit_log("(unmuted)\n");
	return failed;
}

bool unit_verbose(void)
{
	return verbose > 0;
}

bool unit_failed(void)
{
	return cur_failed;
}

void unit_hexdump(const char *what, const void *buf, size_t len)
{
	const __u8 *p = buf;
	size_t i;

	unit_log("%s (%zu bytes):\n", what, len);
	for (i = 0; i < len; i++) {
		if (i % 16 == 0)
			unit_log("  %04zx:", i);
		unit_log(" %02x", p[i]);
		if (i % 16 == 15 || i + 1 == len)
			unit_log("\n");
	}
}

bool unit_memeq(const char *file, int line, const char *what,
		const void *actual, const void *expected, size_t len)
{
	const __u8 *a = actual, *e = expected;
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != e[i])
			break;
	if (i == len)
		return true;
	unit_fail_at(file, line, "%s: bytes differ first at offset %zu: 0x%02x, expected 0x%02x",
		     what, i, a[i], e[i]);
	unit_hexdump("actual", actual, len);
	unit_hexdump("expected", expected, len);
	return false;
}

void test__skip(const char *fmt, ...)
{
	va_list ap;

	if (!cur_log) {
		fprintf(stderr, "unit: test__skip() outside a test\n");
		return;
	}
	free(cur_skip);
	va_start(ap, fmt);
	if (vasprintf(&cur_skip, fmt, ap) < 0)
		cur_skip = NULL;
	va_end(ap);
	/* Even without memory, a skip is a skip. */
	if (!cur_skip)
		cur_skip = strdup("");
}

static void print_log(const char *buf, size_t len);

/*
 * The result word of a scope: a failure is never hidden by a skip, and
 * a skip says why on its line.
 */
static const char *result_of(bool failed, const char *skip)
{
	return failed ? "FAIL" : skip ? "SKIP" : "PASS";
}

static void print_result(const char *name, const char *sub, bool failed,
			 const char *skip)
{
	printf("%s %s%s%s", result_of(failed, skip), name, sub ? "/" : "",
	       sub ? sub : "");
	if (!failed && skip)
		printf(": %s", *skip ? skip : "(no reason given)");
	printf("\n");
}

/* Ends the open subtest: prints its line and folds it into its test. */
static void subtest_end(void)
{
	if (!run.sub_name)
		return;
	fclose(cur_log);
	print_result(run.t->name, run.sub_name, cur_failed, cur_skip);
	if (cur_failed || verbose)
		print_log(run.sub_buf, run.sub_len);
	run.subs++;
	if (cur_failed) {
		run.subs_failed++;
		subs_failed++;
	} else if (cur_skip) {
		run.subs_skipped++;
		subs_skipped++;
	} else {
		subs_passed++;
	}
	free(run.sub_buf);
	free(run.sub_name);
	free(cur_skip);
	run.sub_buf = NULL;
	run.sub_name = NULL;
	cur_log = run.log;
	cur_failed = run.failed;
	cur_skip = run.skip;
}

/* A filter "TEST/SUB" selects the subtests of TEST whose name has SUB. */
static bool subtest_selected(const char *sub)
{
	const char *slash;
	int i;

	if (run.all_subs)
		return true;
	for (i = 0; i < nfilters; i++) {
		slash = strchr(filters[i], '/');
		if (!slash)
			continue;
		if (!memmem(run.t->name, strlen(run.t->name), filters[i],
			    slash - filters[i]))
			continue;
		if (strstr(sub, slash + 1))
			return true;
	}
	return false;
}

bool test__start_subtest(const char *name)
{
	const char *p;

	if (!run.t || cur_log == NULL) {
		fprintf(stderr, "unit: subtest %s outside a test\n", name);
		return false;
	}
	subtest_end();
	/* The name becomes a word of a result line that run.sh parses:
	 * "SKIP test/sub: reason". */
	for (p = name; *p; p++)
		if (*p == '/' || *p == ':' || *p <= ' ')
			break;
	if (!*name || *p) {
		unit_fail_at(NULL, 0, "subtest name '%s': empty, or has '/', ':' or a blank",
			     name);
		return false;
	}
	if (!subtest_selected(name))
		return false;
	run.log = cur_log;
	run.failed = cur_failed;
	run.skip = cur_skip;
	run.sub_name = strdup(name);
	cur_log = open_memstream(&run.sub_buf, &run.sub_len);
	if (!run.sub_name || !cur_log) {
		perror("unit: subtest");
		exit(2);
	}
	cur_failed = false;
	cur_skip = NULL;
	return true;
}

/*
 * libbpf's warnings (a verifier rejection, a failed map operation) belong
 * to the test that triggered them: they go into its log and show up under
 * its FAIL line. Debug chatter only with -v -v.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level != LIBBPF_WARN && verbose < 2)
		return 0;
	vlog(fmt, ap);
	return 0;
}

/*
 * Print the captured log indented under the result line. A verifier log
 * runs to thousands of lines and its verdict is at the end: without -v,
 * keep the head and the tail of a long log.
 */
#define LOG_HEAD	40
#define LOG_TAIL	60

static void print_log(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;
	int lines = 0, n = 0;

	for (nl = buf; nl < end; nl++)
		lines += *nl == '\n';
	if (len && end[-1] != '\n')
		lines++;
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		if (verbose || lines <= LOG_HEAD + LOG_TAIL ||
		    n < LOG_HEAD || n >= lines - LOG_TAIL)
			printf("    %.*s\n", (int)(nl - p), p);
		else if (n == LOG_HEAD)
			printf("    [... %d lines left out; -v shows all ...]\n",
			       lines - LOG_HEAD - LOG_TAIL);
		n++;
		p = nl + 1;
	}
}

/*
 * A test runs when its name contains a filter, or the part of one before
 * its '/'. *all_subs: all of its subtests run (a filter without '/', or
 * no filter).
 */
static bool selected(const char *name, bool *all_subs)
{
	const char *slash;
	bool sel = false;
	int i;

	*all_subs = !nfilters;
	if (!nfilters)
		return true;
	for (i = 0; i < nfilters; i++) {
		slash = strchr(filters[i], '/');
		if (!slash) {
			if (strstr(name, filters[i]))
				sel = *all_subs = true;
		} else if (memmem(name, strlen(name), filters[i],
				  slash - filters[i])) {
			sel = true;
		}
	}
	return sel;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: unit_runner [-v] [-l] [-w FILE.pcap] [FILTER[/SUBFILTER]...]\n"
		"  FILTER   run only tests whose name contains one of the FILTERs;\n"
		"           FILTER/SUB: of those, only subtests whose name contains SUB\n"
		"  -v       show every test's log; -v -v adds libbpf debug output\n"
		"  -l       list the test names and exit\n"
		"  -w FILE  also write every packet fed to a program into a pcap\n");
}

int main(int argc, char **argv)
{
	const char *pcap_path = NULL;
	int passed = 0, failed = 0, skipped = 0, ran = 0;
	bool list = false, all_subs;
	int opt, i;

	while ((opt = getopt(argc, argv, "vlw:h")) != -1) {
		switch (opt) {
		case 'v':
			verbose++;
			break;
		case 'l':
			list = true;
			break;
		case 'w':
			pcap_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	filters = argv + optind;
	nfilters = argc - optind;

	if (list) {
		for (i = 0; i < nr_tests; i++)
			if (selected(tests[i].name, &all_subs))
				printf("%s\n", tests[i].name);
		return 0;
	}

	/* One line per test even when stdout is a pipe to tee. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	log_set_level(verbose ? LOG_DEBUG : LOG_WARN);
	if (pcap_path && env_pcap_open(pcap_path))
		return 2;

	for (i = 0; i < nr_tests; i++) {
		const struct unit_test *t = &tests[i];
		char *buf = NULL;
		size_t len = 0;
		bool test_failed;
		char *skip;

		if (!selected(t->name, &all_subs))
			continue;
		memset(&run, 0, sizeof(run));
		run.t = t;
		run.all_subs = all_subs;
		cur_failed = false;
		cur_skip = NULL;
		cur_log = open_memstream(&buf, &len);
		if (!cur_log) {
			perror("open_memstream");
			return 2;
		}
		t->fn(t);
		subtest_end();
		fclose(cur_log);
		cur_log = NULL;

		/* A failed subtest fails its test; a test whose subtests
		 * were all skipped (and that did not fail itself) is
		 * skipped. */
		test_failed = cur_failed || run.subs_failed;
		skip = cur_skip;
		if (!skip && run.subs && run.subs_skipped == run.subs &&
		    asprintf(&skip, "all %d subtests skipped", run.subs) < 0)
			skip = strdup("");
		ran++;
		if (test_failed)
			failed++;
		else if (skip)
			skipped++;
		else
			passed++;
		print_result(t->name, NULL, test_failed, skip);
		if (test_failed || verbose)
			print_log(buf, len);
		if (run.subs_failed)
			printf("    %d of %d subtests failed (above)\n",
			       run.subs_failed, run.subs);
		free(buf);
		free(skip);
		cur_skip = NULL;
		run.t = NULL;
	}

	env_cleanup();
	if (!ran) {
		fprintf(stderr, "unit: no test matches the filter\n");
		return 1;
	}
	printf("Summary: %d passed, %d failed, %d skipped", passed, failed,
	       skipped);
	if (subs_passed + subs_failed + subs_skipped)
		printf(" (subtests: %d passed, %d failed, %d skipped)",
		       subs_passed, subs_failed, subs_skipped);
	printf("\n");
	return failed ? 1 : 0;
}
