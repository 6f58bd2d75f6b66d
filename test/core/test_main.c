/*-------------------------------------------------------------------------
 *
 * test_main.c
 *	  Runner for the core unit tests.
 *
 * Runs every case of every suite in VG_TEST_SUITES, printing one line per
 * case and, as the very last line, "N passed, N failed" (scripts look for
 * it).  The exit status is non-zero when any case failed, or when none ran.
 *
 * Arguments, if given, are prefixes of "suite/case" names; only matching
 * cases run.  For example "vg_core_tests distance/" runs one suite.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_test.h"

/*
 * The suites, one X(name) each, where name's suite is the array
 * vg_test_suite_<name>.  Adding a suite is adding its line here: the list
 * expands to both the declarations and the table below.
 */
#define VG_TEST_SUITES(X) \
	X(decimal) \
	X(distance) \
	X(graph_support) \
	X(half) \
	X(hnsw) \
	X(loser_tree) \
	X(tree) \
	X(vamana)

#define VG_DECLARE_SUITE(name) extern const VgTestCase vg_test_suite_##name[];
VG_TEST_SUITES(VG_DECLARE_SUITE)

typedef struct VgTestSuite
{
	const char *name;
	const VgTestCase *cases;
} VgTestSuite;

#define VG_SUITE_ENTRY(name) {#name, vg_test_suite_##name},
static const VgTestSuite suites[] = {
	VG_TEST_SUITES(VG_SUITE_ENTRY)
};

/* Printing stops after this many failures in one case. */
#define MAX_PRINTED_FAILURES 10

static int	current_failures;

void
vg_test_fail(const char *file, int line, const char *fmt,...)
{
	va_list		args;

	current_failures++;
	if (current_failures > MAX_PRINTED_FAILURES)
		return;

	printf("    %s:%d: ", file, line);
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	printf("\n");
	if (current_failures == MAX_PRINTED_FAILURES)
		printf("    (further failures of this test not shown)\n");
}

int
vg_test_failures(void)
{
	return current_failures;
}

/* Does "suite/case" match any of the prefixes on the command line? */
static int
selected(const char *suite, const char *name, int argc, char **argv)
{
	char		full[256];
	int			i;

	if (argc <= 1)
		return 1;
	snprintf(full, sizeof(full), "%s/%s", suite, name);
	for (i = 1; i < argc; i++)
	{
		if (strncmp(full, argv[i], strlen(argv[i])) == 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int			passed = 0;
	int			failed = 0;
	size_t		s;

	/* Keep our lines in order with anything a sanitizer prints. */
	setvbuf(stdout, NULL, _IONBF, 0);

	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++)
	{
		const VgTestCase *tc;

		for (tc = suites[s].cases; tc->name != NULL; tc++)
		{
			if (!selected(suites[s].name, tc->name, argc, argv))
				continue;

			current_failures = 0;
			tc->func();
			if (current_failures == 0)
			{
				printf("%-4s %s/%s\n", "ok", suites[s].name, tc->name);
				passed++;
			}
			else
			{
				printf("%-4s %s/%s (%d failed checks)\n", "FAIL",
					   suites[s].name, tc->name, current_failures);
				failed++;
			}
		}
	}

	/* A filter that matches nothing is a typo, not a pass. */
	if (passed + failed == 0)
		fprintf(stderr, "no test matches the arguments\n");
	printf("%d passed, %d failed\n", passed, failed);
	return (failed == 0 && passed > 0) ? EXIT_SUCCESS : EXIT_FAILURE;
}
