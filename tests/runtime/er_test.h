/* er_test.h - the smallest test harness that names its failures.

   A test is a void function named like a sentence; CHECK stops it at the
   first failed condition and reports file, line and the condition, and
   CHECK_STR / CHECK_INT also print the values that disagreed. Each suite
   file exposes run_<suite>_tests(), which calls RUN(test) for its tests;
   er_test_summary prints "SUITE: N passed, M failed" and gives the exit
   status. */
#ifndef ER_TEST_H
#define ER_TEST_H

#include <stddef.h>

void er_test_run(const char *name, void (*test)(void));
int er_test_summary(const char *suite);
/* Record a failure of the running test; returns 0 so CHECKs can bail out. */
int er_test_fail(const char *file, int line, const char *what, const char *detail);
int er_test_check_str(const char *file, int line, const char *expr, const char *got, const char *want);
int er_test_check_int(const char *file, int line, const char *expr, long long got, long long want);

#define RUN(test) er_test_run(#test, test)
#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            er_test_fail(__FILE__, __LINE__, #cond, NULL); \
            return; \
        } \
    } while (0)
/* Strings compare equal (NULL only equals NULL). */
#define CHECK_STR(got, want) \
    do { \
        if (!er_test_check_str(__FILE__, __LINE__, #got, (got), (want))) return; \
    } while (0)
#define CHECK_INT(got, want) \
    do { \
        if (!er_test_check_int(__FILE__, __LINE__, #got, (long long)(got), (long long)(want))) return; \
    } while (0)

#endif /* ER_TEST_H */
