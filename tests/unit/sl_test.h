/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TEST_H
#define SL_TEST_H

/*
 * A minimal unit-test harness. Each test binary lists its cases in a table:
 *
 *   static const struct sl_test_case cases[] = {
 *       { "replay window table", test_replay_table },
 *       { NULL, NULL }
 *   };
 *   int main(void) { return sl_test_run("pktid", cases); }
 *
 * A case returns 0 on success; the CHECK macros print file:line and the
 * failed expression and return -1. The runner prints one line per case and
 * closes with "N passed, N failed" (the line CI reads).
 */
#include <stdio.h>
#include <string.h>

struct sl_test_case {
	const char *name;
	int (*fn)(void);
};

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
		return -1;						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
			__FILE__, __LINE__, #a, #b, _a, _b);		\
		return -1;						\
	}								\
} while (0)

#define CHECK_MEM(a, b, n) do {						\
	if (memcmp((a), (b), (n)) != 0) {				\
		fprintf(stderr, "%s:%d: memory %s != %s (%zu bytes)\n",	\
			__FILE__, __LINE__, #a, #b, (size_t)(n));	\
		return -1;						\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) {		\
		fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
			__FILE__, __LINE__, #a, #b, _a ? _a : "(null)",	\
			_b ? _b : "(null)");				\
		return -1;						\
	}								\
} while (0)

#ifdef SL_TEST_DATA_DIR
/*
 * Read tests/unit/data/REL into buf (NUL-terminated, at most cap - 1 bytes).
 * Returns the length, or -1 if the file can't be opened.
 */
static inline int sl_test_read_data(const char *rel, char *buf, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", SL_TEST_DATA_DIR, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (int)n;
}
#endif

static inline int sl_test_run(const char *suite, const struct sl_test_case *cases)
{
	int passed = 0, failed = 0;

	for (const struct sl_test_case *c = cases; c->name != NULL; c++) {
		int rc = c->fn();

		printf("%s: %-50s %s\n", suite, c->name, rc == 0 ? "ok" : "FAIL");
		if (rc == 0)
			passed++;
		else
			failed++;
	}
	printf("%s: %d passed, %d failed\n", suite, passed, failed);
	return failed == 0 ? 0 : 1;
}

#endif
