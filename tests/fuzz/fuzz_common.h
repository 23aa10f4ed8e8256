/* Shared helpers for devmgr's libFuzzer targets (header only: each target
 * is built as one .c with all of src/ except main.c). */
#ifndef DEVMGR_FUZZ_COMMON_H
#define DEVMGR_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* A failed invariant: print why and abort, so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, ...)                                                   \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,  \
				__LINE__, #cond);                               \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

/* devmgr reports every bad line it parses; fuzz inputs are mostly bad. */
static inline void fuzz_quiet(void)
{
	if (getenv("FUZZ_VERBOSE") == NULL)
		log_set_verbosity(-1);
}

/* LLVMFuzzerInitialize for a target that needs nothing but quiet. */
#define FUZZ_QUIET_INITIALIZE					\
	int LLVMFuzzerInitialize(int *argc, char ***argv)	\
	{							\
		(void)argc;					\
		(void)argv;					\
		fuzz_quiet();					\
		return 0;					\
	}

/* The input as a NUL-terminated string (malloc'd; input NULs kept). */
static inline char *fuzz_strndup(const unsigned char *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
