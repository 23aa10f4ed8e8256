/* Minimal TAP producer for the unit tests (read by prove). */
#ifndef DEVMGR_TAP_H
#define DEVMGR_TAP_H

#include <stdio.h>
#include <string.h>

#include <unistd.h>

static int tap_n, tap_failed;

/* The code under test reports errors on stderr; in the TAP stream they
 * are lines prove ignores unless -v, instead of noise on the console. */
__attribute__((constructor)) static void tap_stderr_to_stdout(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	dup2(STDOUT_FILENO, STDERR_FILENO);
}

#define ok(cond, ...) do { \
	int ok_ = !!(cond); \
	printf("%sok %d - ", ok_ ? "" : "not ", ++tap_n); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!ok_) { tap_failed++; printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define is_int(got, want, ...) do { \
	long g_ = (long)(got), w_ = (long)(want); \
	ok(g_ == w_, __VA_ARGS__); \
	if (g_ != w_) printf("#   got %ld, want %ld\n", g_, w_); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	int same_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_; \
	ok(same_, __VA_ARGS__); \
	if (!same_) printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
