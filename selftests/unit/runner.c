// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The unit runner: runs every registered test (or those whose name
 * contains one of the filter arguments) and prints one line per test,
 * "PASS <name>" or "FAIL <name>", with the test's log indented beneath a
 * failure. Ends with a summary and exits non-zero when a test failed.
 *
 *   build/unit_runner [-v] [-l] [-w FILE.pcap] [FILTER...]
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
static FILE *cur_log;		/* the running test's log, NULL between tests */
static bool cur_failed;
static FILE *saved_log;		/* while muted */
static bool saved_failed;

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

static bool selected(const char *name, char **filters, int nfilters)
{
	int i;

	if (!nfilters)
		return true;
	for (i = 0; i < nfilters; i++)
		if (strstr(name, filters[i]))
			return true;
	return false;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: unit_runner [-v] [-l] [-w FILE.pcap] [FILTER...]\n"
		"  FILTER   run only tests whose name contains one of the FILTERs\n"
		"  -v       show every test's log; -v -v adds libbpf debug output\n"
		"  -l       list the test names and exit\n"
		"  -w FILE  also write every packet fed to a program into a pcap\n");
}

int main(int argc, char **argv)
{
	const char *pcap_path = NULL;
	int passed = 0, failed = 0, ran = 0;
	bool list = false;
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
	argv += optind;
	argc -= optind;

	if (list) {
		for (i = 0; i < nr_tests; i++)
			if (selected(tests[i].name, argv, argc))
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

		if (!selected(t->name, argv, argc))
			continue;
		cur_failed = false;
		cur_log = open_memstream(&buf, &len);
		if (!cur_log) {
			perror("open_memstream");
			return 2;
		}
		t->fn(t);
		fclose(cur_log);
		cur_log = NULL;

		ran++;
		if (cur_failed)
			failed++;
		else
			passed++;
		printf("%s %s\n", cur_failed ? "FAIL" : "PASS", t->name);
		if (cur_failed || verbose)
			print_log(buf, len);
		free(buf);
	}

	env_cleanup();
	if (!ran) {
		fprintf(stderr, "unit: no test matches the filter\n");
		return 1;
	}
	printf("Summary: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
