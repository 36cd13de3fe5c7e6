/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small test framework in the style of the kernel's test_progs.
 *
 * Tests register themselves (UNIT_TEST() for a single function,
 * unit_register() for table-driven cases) and the runner prints exactly
 * one line per test, "PASS <name>", "FAIL <name>" or "SKIP <name>:
 * <reason>", with whatever the test logged indented beneath a failure
 * (and beneath every test with -v). The assertion macros log the failing
 * expression and both values, and evaluate to true when the assertion
 * held, so a test can write `if (!ASSERT_OK(err, "load")) return;` to
 * stop at the first fatal failure and keep going after a minor one.
 *
 * Subtests, as in test_progs: a test that loops over a table can run
 * each row as a subtest,
 *
 *	for (i = 0; i < n; i++) {
 *		if (!test__start_subtest(rows[i].name))
 *			continue;
 *		...ASSERT_*()...
 *	}
 *
 * so that each row gets its own line, "PASS <test>/<row>" or "FAIL
 * <test>/<row>" with that row's log beneath it, and a failed row does
 * not stop the rows after it. A subtest lasts until the next one starts
 * or the test returns; the test fails if any of its subtests failed.
 * selftests/run.sh counts the test, not its subtests (but a skipped
 * subtest also counts as a skip).
 */
#ifndef CHIMNEY_UNIT_TEST_H
#define CHIMNEY_UNIT_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

struct unit_test;
typedef void (*unit_fn)(const struct unit_test *t);

struct unit_test {
	const char *name;
	unit_fn fn;
	const void *arg;	/* per-case data for table-driven tests */
};

/* name must stay valid for the whole run (a literal or static). */
void unit_register(const char *name, unit_fn fn, const void *arg);

#define UNIT_TEST(tname)						\
	static void test_##tname(const struct unit_test *t);		\
	__attribute__((constructor)) static void __unit_reg_##tname(void) \
	{								\
		unit_register(#tname, test_##tname, NULL);		\
	}								\
	static void test_##tname(const struct unit_test *t __attribute__((unused)))

/* Detail lines, shown under the test's result line. */
void unit_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Mark the running test failed and say why; file NULL: no location. */
void unit_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool unit_verbose(void);
/* Whether the running scope (the open subtest, else the test) failed. */
bool unit_failed(void);

/*
 * Ends the open subtest, if any, and starts subtest `name` (no '/', ':'
 * or blanks). False when a filter leaves it out: skip its body.
 */
bool test__start_subtest(const char *name);

/*
 * Marks the running scope (the open subtest, else the test) skipped,
 * for the reason given; the caller returns (or moves to the next
 * subtest) itself. The line reads "SKIP <name>: <reason>", which
 * run.sh counts apart. A failure, before or after, wins over a skip.
 * A test whose subtests were all skipped is skipped.
 *
 * Skip only for a condition this machine cannot meet (a kernel without
 * a feature the test needs), found by asking for the feature itself
 * rather than by the step that failed: a skip must never hide a
 * failure of something the machine can run.
 */
void test__skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * For tests of the checking helpers themselves: between begin and end,
 * failures do not fail the running test (their log is shown with -v
 * only); end returns whether anything failed in between.
 */
void unit_mute_begin(void);
bool unit_mute_end(void);

/* Hex dump of a buffer into the test log, 16 bytes a line. */
void unit_hexdump(const char *what, const void *buf, size_t len);

#define unit_fail(...) unit_fail_at(__FILE__, __LINE__, __VA_ARGS__)

#define ASSERT_TRUE(cond, what) ({					\
	bool ___ok = !!(cond);						\
	if (!___ok)							\
		unit_fail("%s: unexpected false: %s", (what), #cond);	\
	___ok;								\
})

#define ASSERT_FALSE(cond, what) ({					\
	bool ___ok = !(cond);						\
	if (!___ok)							\
		unit_fail("%s: unexpected true: %s", (what), #cond);	\
	___ok;								\
})

#define ASSERT_EQ(actual, expected, what) ({				\
	long long ___a = (long long)(actual);				\
	long long ___e = (long long)(expected);				\
	bool ___ok = ___a == ___e;					\
	if (!___ok)							\
		unit_fail("%s: %s = %lld (0x%llx), expected %s = %lld (0x%llx)", \
			  (what), #actual, ___a, (unsigned long long)___a, \
			  #expected, ___e, (unsigned long long)___e);	\
	___ok;								\
})

#define ASSERT_NEQ(actual, unexpected, what) ({				\
	long long ___a = (long long)(actual);				\
	long long ___u = (long long)(unexpected);			\
	bool ___ok = ___a != ___u;					\
	if (!___ok)							\
		unit_fail("%s: %s = %lld, must differ from %s",		\
			  (what), #actual, ___a, #unexpected);		\
	___ok;								\
})

/* err is 0 or a negative errno (libbpf style). */
#define ASSERT_OK(err, what) ({						\
	long long ___r = (long long)(err);				\
	bool ___ok = ___r == 0;						\
	if (!___ok)							\
		unit_fail("%s: %s failed: %lld (%s)", (what), #err, ___r, \
			  ___r < 0 ? strerror((int)-___r) : "not an errno"); \
	___ok;								\
})

#define ASSERT_OK_PTR(ptr, what) ({					\
	const void *___p = (ptr);					\
	bool ___ok = ___p != NULL;					\
	if (!___ok)							\
		unit_fail("%s: %s is NULL (errno %d: %s)", (what), #ptr, \
			  errno, strerror(errno));			\
	___ok;								\
})

#define ASSERT_MEMEQ(actual, expected, len, what) ({			\
	bool ___ok = unit_memeq(__FILE__, __LINE__, (what),		\
				(actual), (expected), (len));		\
	___ok;								\
})

bool unit_memeq(const char *file, int line, const char *what,
		const void *actual, const void *expected, size_t len);

#endif /* CHIMNEY_UNIT_TEST_H */
