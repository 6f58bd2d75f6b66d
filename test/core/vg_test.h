/*-------------------------------------------------------------------------
 *
 * vg_test.h
 *	  A minimal unit-test framework for the pure-C core.
 *
 * A suite is a NULL-terminated array of VgTestCase; test_main.c lists the
 * suites and runs every case.  The CHECK macros record a failure with its
 * file and line and let the test carry on, so one run reports every broken
 * expectation rather than only the first.  A test passes when it recorded
 * no failure.
 *
 * The framework itself lives in test_main.c; nothing here allocates.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_TEST_H
#define VG_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef void (*VgTestFunc) (void);

typedef struct VgTestCase
{
	const char *name;
	VgTestFunc	func;
} VgTestCase;

/* Declares one entry of a suite's case array; the name is the function's. */
#define VG_TEST(func) {#func, func}

/* Terminates a suite's case array. */
#define VG_TEST_END {NULL, NULL}

#if defined(__GNUC__)
#define VG_TEST_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define VG_TEST_PRINTF(fmt, args)
#endif

/*
 * Records a failure of the running test.  Only the first few failures of a
 * test are printed, so that a broken kernel checked in a loop over thousands
 * of lengths does not bury the summary.
 */
extern void vg_test_fail(const char *file, int line, const char *fmt,...)
			VG_TEST_PRINTF(3, 4);

/* Failures recorded so far by the running test, to stop a loop early. */
extern int	vg_test_failures(void);

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			vg_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
	} while (0)

/* CHECK with a printf-style explanation: CHECK_MSG(x > 0, "x = %d", x). */
#define CHECK_MSG(cond, ...) \
	do { \
		if (!(cond)) \
			vg_test_fail(__FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

#define CHECK_INT_EQ(actual, expected) \
	do { \
		long long	vg_a_ = (long long) (actual); \
		long long	vg_e_ = (long long) (expected); \
		if (vg_a_ != vg_e_) \
			vg_test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", \
						 #actual, vg_a_, vg_e_); \
	} while (0)

/* Exact comparison of floating-point values, for results that are exact. */
#define CHECK_DOUBLE_EQ(actual, expected) \
	do { \
		double		vg_a_ = (double) (actual); \
		double		vg_e_ = (double) (expected); \
		if (!(vg_a_ == vg_e_)) \
			vg_test_fail(__FILE__, __LINE__, "%s == %.17g, expected %.17g", \
						 #actual, vg_a_, vg_e_); \
	} while (0)

/* |actual - expected| <= tol; a NaN on either side fails. */
#define CHECK_NEAR(actual, expected, tol) \
	do { \
		double		vg_a_ = (double) (actual); \
		double		vg_e_ = (double) (expected); \
		double		vg_t_ = (double) (tol); \
		if (!(vg_a_ - vg_e_ <= vg_t_ && vg_e_ - vg_a_ <= vg_t_)) \
			vg_test_fail(__FILE__, __LINE__, \
						 "%s == %.17g, expected %.17g +- %g", \
						 #actual, vg_a_, vg_e_, vg_t_); \
	} while (0)

/* x != x is true only for NaN, and needs nothing from <math.h>. */
#define CHECK_NAN(x) \
	do { \
		double		vg_x_ = (double) (x); \
		if (vg_x_ == vg_x_) \
			vg_test_fail(__FILE__, __LINE__, "%s == %.17g, expected NaN", \
						 #x, vg_x_); \
	} while (0)

#define CHECK_NOT_NULL(p) \
	do { \
		if ((p) == NULL) \
			vg_test_fail(__FILE__, __LINE__, "%s is NULL", #p); \
	} while (0)

#define CHECK_STR_EQ(actual, expected) \
	do { \
		const char *vg_a_ = (actual); \
		const char *vg_e_ = (expected); \
		if (vg_a_ == NULL || strcmp(vg_a_, vg_e_) != 0) \
			vg_test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", \
						 #actual, vg_a_ ? vg_a_ : "(null)", vg_e_); \
	} while (0)

/* n clustered vectors of 24 floats from seed (test_hnsw.c); free() them. */
extern float *vg_test_clustered_data(int n, uint64_t seed);

#endif							/* VG_TEST_H */
