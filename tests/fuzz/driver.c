/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stand-in for libFuzzer when the compiler is not clang: runs every file of
 * the corpus folders given on the command line, then -runs=N inputs made by
 * mutating corpus entries (bit flips, truncation, byte insertion) and by
 * plain random bytes, from a fixed seed so a failure reproduces. It has no
 * coverage guidance; its job is to keep the targets building and crash-free
 * on every compiler. Real fuzzing uses the libFuzzer build (docs/testing.md).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 4096
#define MAX_SEEDS 256

static uint8_t *seeds[MAX_SEEDS];
static size_t seed_len[MAX_SEEDS];
static unsigned n_seeds;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void load_file(const char *path)
{
	uint8_t buf[FUZZ_MAX_INPUT];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	if (n_seeds < MAX_SEEDS && (seeds[n_seeds] = malloc(n + 1)) != NULL) {
		memcpy(seeds[n_seeds], buf, n);
		seed_len[n_seeds++] = n;
	}
}

static void load_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char path[4096];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		load_file(path);
	}
	closedir(d);
}

static size_t mutate(uint8_t *buf)
{
	size_t n;

	if (n_seeds == 0 || rnd() % 8 == 0) {
		n = rnd() % 512;
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
		return n;
	}
	unsigned s = rnd() % n_seeds;
	n = seed_len[s];
	memcpy(buf, seeds[s], n);
	for (unsigned k = 1 + rnd() % 4; k > 0; k--) {
		switch (rnd() % 4) {
		case 0:
			if (n)
				buf[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1:
			if (n)
				n = rnd() % n;
			break;
		case 2:
			if (n < FUZZ_MAX_INPUT) {
				size_t at = n ? rnd() % n : 0;
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = (uint8_t)rnd();
				n++;
			}
			break;
		default:
			if (n)
				buf[rnd() % n] = (uint8_t)rnd();
			break;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	static uint8_t buf[FUZZ_MAX_INPUT];
	unsigned long runs = 10000;

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "-runs=", 6) == 0)
			runs = strtoul(argv[i] + 6, NULL, 10);
		else if (argv[i][0] != '-')
			load_dir(argv[i]);
	}
	for (unsigned long r = 0; r < runs; r++) {
		size_t n = mutate(buf);
		LLVMFuzzerTestOneInput(buf, n);
	}
	for (unsigned i = 0; i < n_seeds; i++)
		free(seeds[i]);
	printf("fuzz driver: %u corpus files, %lu generated inputs, no crash\n",
	       n_seeds, runs);
	return 0;
}
