/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The auth-user-pass user store (cp_users.c): the file format (comments,
 * blank lines, NAME:pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX), a known PBKDF2
 * vector, right and wrong passwords, unknown users, hashes made by
 * cp_users_hash(), and the malformed lines (and names a client could not
 * send) that refuse the whole file with their line number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp_users.h"
#include "sl_test.h"

/* PBKDF2-HMAC-SHA256("password", "salt", 4096 iterations, 32 bytes). */
#define KAT_LINE "pbkdf2-sha256$4096$73616c74$" \
	"c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"

static char path[] = "/tmp/sl_cp_users.XXXXXX";

/* TEXT as the store file, opened; NULL with the message in err. */
static struct cp_users *open_text(const char *text, char *err, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	return cp_users_open(path, err, len);
}

static int test_known_vector(void)
{
	char err[256] = "";
	struct cp_users *u = open_text("# users\n\n  \nalice@example.com:" KAT_LINE "\n",
				       err, sizeof(err));

	CHECK(u != NULL);
	CHECK_EQ(cp_users_check(u, "alice@example.com", "password"), 0);
	CHECK_EQ(cp_users_check(u, "alice@example.com", "Password"), -EACCES);
	CHECK_EQ(cp_users_check(u, "alice@example.com", ""), -EACCES);
	CHECK_EQ(cp_users_check(u, "alice", "password"), -ENOENT);
	CHECK_EQ(cp_users_check(u, "", "password"), -ENOENT);
	cp_users_free(u);
	return 0;
}

/* cp_users_hash() writes what the store reads; every user has its own line. */
static int test_hash_round_trip(void)
{
	char a[160], b[160], text[512], err[256];
	struct cp_users *u;

	CHECK_EQ(cp_users_hash("s3cret", 1000, a, sizeof(a)), 0);
	CHECK_EQ(cp_users_hash("s3cret", 1000, b, sizeof(b)), 0);
	CHECK(strcmp(a, b) != 0);		/* a fresh salt each time */
	CHECK(strncmp(a, "pbkdf2-sha256$1000$", 19) == 0);
	CHECK_EQ(cp_users_hash("x", 1000, a, 40), -ENOSPC);
	CHECK_EQ(cp_users_hash("s3cret", 1000, a, sizeof(a)), 0);
	CHECK_EQ(cp_users_hash("other", 2000, b, sizeof(b)), 0);
	snprintf(text, sizeof(text), "bob:%s\r\ncarol:%s\n", a, b);
	u = open_text(text, err, sizeof(err));
	CHECK(u != NULL);
	CHECK_EQ(cp_users_check(u, "bob", "s3cret"), 0);
	CHECK_EQ(cp_users_check(u, "carol", "other"), 0);
	CHECK_EQ(cp_users_check(u, "bob", "other"), -EACCES);
	cp_users_free(u);
	return 0;
}

/* One bad line refuses the file and names its line. */
static int test_malformed(void)
{
	static const char *const bad[] = {
		"alice" KAT_LINE,					/* no colon */
		":" KAT_LINE,						/* no name */
		"alice:sha1$4096$73616c74$00",				/* another scheme */
		"alice:pbkdf2-sha256$999$73616c74$"			/* too few iterations */
		"c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a",
		"alice:pbkdf2-sha256$4096$$"				/* no salt */
		"c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a",
		"alice:pbkdf2-sha256$4096$73616c7$"			/* odd salt hex */
		"c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a",
		"alice:pbkdf2-sha256$4096$73616c74$c5e478d5",		/* short hash */
		"alice:pbkdf2-sha256$4096$73616c74$"			/* not hex */
		"zze478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a",
		"alice:pbkdf2-sha256$4096",				/* cut short */
	};
	/* Names the wire could not carry: 48 bytes, a space, a control byte. */
	static const char *const bad_name[] = {
		"a-name-of-forty-eight-bytes-is-one-too-long-wxyz:" KAT_LINE,
		"alice smith:" KAT_LINE,
		"alice\x01:" KAT_LINE,
	};
	char text[512], err[256], want[128];
	struct cp_users *u;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "# ok so far\nbob:%s\n%s\n", KAT_LINE, bad[i]);
		err[0] = '\0';
		if (open_text(text, err, sizeof(err)) != NULL) {
			fprintf(stderr, "line %u accepted: %s\n", i, bad[i]);
			return -1;
		}
		snprintf(want, sizeof(want), "%s:3: expected NAME:pbkdf2-sha256$", path);
		CHECK(strstr(err, want) != NULL);
	}
	for (unsigned i = 0; i < sizeof(bad_name) / sizeof(bad_name[0]); i++) {
		snprintf(text, sizeof(text), "# ok so far\nbob:%s\n%s\n", KAT_LINE, bad_name[i]);
		err[0] = '\0';
		if (open_text(text, err, sizeof(err)) != NULL) {
			fprintf(stderr, "name %u accepted: %s\n", i, bad_name[i]);
			return -1;
		}
		snprintf(want, sizeof(want), "%s:3: user name: 1 to 47 printable ASCII "
			 "characters, no spaces", path);
		CHECK(strstr(err, want) != NULL);
	}
	/* 47 bytes is a name. */
	snprintf(text, sizeof(text), "a-name-of-forty-seven-bytes-is-just-right-vwxyz:%s\n", KAT_LINE);
	u = open_text(text, err, sizeof(err));
	CHECK(u != NULL);
	cp_users_free(u);
	return 0;
}

static int test_missing_file(void)
{
	char err[256] = "";

	CHECK(cp_users_open("/nonexistent/users", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "users.store /nonexistent/users: ") != NULL);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "known PBKDF2 vector: right and wrong password, unknown user", test_known_vector },
	{ "cp_users_hash output is read back", test_hash_round_trip },
	{ "malformed lines refuse the file", test_malformed },
	{ "missing file", test_missing_file },
	{ NULL, NULL }
};

int main(void)
{
	int fd = mkstemp(path), rc;

	if (fd < 0)
		return 1;
	close(fd);
	rc = sl_test_run("cp_users", cases);
	unlink(path);
	return rc;
}
