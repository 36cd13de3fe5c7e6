// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The runner's own behaviour: subtests and skips, with tests that fail
 * and skip on purpose. They register only when UNIT_RUNNER_SELFTEST is
 * set in the environment, so an ordinary run never sees them;
 * selftests/meta/test_unit_runner.sh runs them and checks every line
 * the runner prints for them.
 */
#include <stdlib.h>

#include "test.h"

static void st_subtests(const struct unit_test *t)
{
	if (test__start_subtest("a"))
		ASSERT_EQ(1, 1, "a holds");
	if (test__start_subtest("b"))
		ASSERT_EQ(1, 2, "b fails on purpose");
	if (test__start_subtest("c"))
		test__skip("c needs what this machine lacks");
	/* a failed subtest does not stop the ones after it */
	if (test__start_subtest("d"))
		ASSERT_EQ(2, 2, "d holds");
}

static void st_all_pass(const struct unit_test *t)
{
	if (test__start_subtest("a"))
		ASSERT_TRUE(true, "a");
	if (test__start_subtest("b"))
		ASSERT_TRUE(true, "b");
}

static void st_all_skipped(const struct unit_test *t)
{
	if (test__start_subtest("a"))
		test__skip("no a");
	if (test__start_subtest("b"))
		test__skip("no b");
}

static void st_skip(const struct unit_test *t)
{
	test__skip("feature %s absent", "X");
}

/* A skip never hides a failure, before it or after. */
static void st_skip_then_fail(const struct unit_test *t)
{
	test__skip("skipping");
	ASSERT_TRUE(false, "fails after the skip");
}

/* The test's own failure, outside any subtest, fails it too. */
static void st_fail_outside(const struct unit_test *t)
{
	ASSERT_TRUE(false, "setup fails on purpose");
	if (test__start_subtest("a"))
		ASSERT_TRUE(true, "a");
}

/* A name run.sh could not parse is refused, and fails the test. */
static void st_bad_name(const struct unit_test *t)
{
	if (test__start_subtest("x/y"))
		ASSERT_TRUE(true, "never runs");
}

__attribute__((constructor)) static void register_runner_selftests(void)
{
	if (!getenv("UNIT_RUNNER_SELFTEST"))
		return;
	unit_register("runner_selftest_subtests", st_subtests, NULL);
	unit_register("runner_selftest_all_pass", st_all_pass, NULL);
	unit_register("runner_selftest_all_skipped", st_all_skipped, NULL);
	unit_register("runner_selftest_skip", st_skip, NULL);
	unit_register("runner_selftest_skip_then_fail", st_skip_then_fail, NULL);
	unit_register("runner_selftest_fail_outside", st_fail_outside, NULL);
	unit_register("runner_selftest_bad_name", st_bad_name, NULL);
}
