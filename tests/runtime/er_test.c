/* er_test.c - see er_test.h. */
#include "er_test.h"

#include <stdio.h>
#include <string.h>

static int passed, failed, current_failed;
static const char *current;

void er_test_run(const char *name, void (*test)(void))
{
    current = name;
    current_failed = 0;
    test();
    if (current_failed)
        failed++;
    else
        passed++;
}

int er_test_fail(const char *file, int line, const char *what, const char *detail)
{
    current_failed = 1;
    fprintf(stderr, "FAIL %s\n  %s:%d: %s%s%s\n", current, file, line, what, detail ? "\n  " : "",
            detail ? detail : "");
    return 0;
}

int er_test_check_str(const char *file, int line, const char *expr, const char *got, const char *want)
{
    if (got == want || (got && want && strcmp(got, want) == 0)) return 1;
    char detail[1200];
    snprintf(detail, sizeof detail, "got:  %.500s\n  want: %.500s", got ? got : "(null)", want ? want : "(null)");
    return er_test_fail(file, line, expr, detail);
}

int er_test_check_int(const char *file, int line, const char *expr, long long got, long long want)
{
    if (got == want) return 1;
    char detail[100];
    snprintf(detail, sizeof detail, "got %lld, want %lld", got, want);
    return er_test_fail(file, line, expr, detail);
}

int er_test_summary(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, passed, failed);
    return failed ? 1 : 0;
}
