/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl - the operator's tool.
 *
 *   sluicectl check FILE              validate a configuration file
 *   sluicectl [-c FILE | -s SOCKET] status | ping | sessions | kill WHO
 *   sluicectl --help | --version
 *
 * Every command but `check` is a request to sluice-controlplane over its
 * UNIX socket: one line out ("status\n"), then the reply until EOF. A reply
 * starts with "ok" or "error: REASON"; sluicectl prints the rest and exits
 * 0 or 1 accordingly.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg.h"

#define DEFAULT_SOCKET "/run/sluice/sluice.sock"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sluicectl check FILE\n"
		"       sluicectl [-c CONFIG | -s SOCKET] COMMAND [ARGS]\n"
		"       sluicectl -h | --help | --version\n"
		"commands:\n"
		"  check FILE   validate a configuration file (no daemon needed)\n"
		"  status       data-plane lcores, ports, link, counters\n"
		"  ping         a command/event round trip through the rings\n"
		"  sessions     VPN sessions: user, addresses, cipher, since, bytes, key-id\n"
		"  kill WHO     end the sessions of a user, common name or address[:port]\n"
		"options:\n"
		"  -c CONFIG    reach the control plane at CONFIG's control.socket\n"
		"  -s SOCKET    reach the control plane at SOCKET (default " DEFAULT_SOCKET ")\n"
		"  -h, --help   this text\n"
		"  --version    print the version\n");
}

static int cmd_check(const char *file)
{
	struct sl_config cfg;

	if (cfg_load_report(&cfg, file, stderr) != 0)
		return 1;
	printf("%s: configuration OK (%u lcores, %u rules)\n", file, cfg.dp.n_lcores,
	       cfg.n_rules);
	cfg_free(&cfg);
	return 0;
}

static const struct timeval reply_timeout = { .tv_sec = 10 };

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sluicectl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "sluicectl: cannot reach sluice-controlplane at %s: %s\n"
			"  (is it running? start it with: sluice-controlplane -c CONFIG)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* A control plane that accepted but hangs must not hang the operator. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &reply_timeout, sizeof(reply_timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &reply_timeout, sizeof(reply_timeout));
	return fd;
}

/* Send "ARGS...\n", copy the reply to stdout; 0 if it began with "ok". */
static int request(const char *path, int argc, char **argv)
{
	char buf[4096], req[1024];
	size_t used = 0;
	int fd, first = 1, rc = 1, err;
	ssize_t n;

	for (int i = 0; i < argc; i++)
		used += snprintf(req + used, sizeof(req) - used, "%s%s", i ? " " : "", argv[i]);
	if (used >= sizeof(req) - 2) {
		fprintf(stderr, "sluicectl: command too long\n");
		return 1;
	}
	req[used++] = '\n';
	fd = connect_socket(path);
	if (fd < 0)
		return 1;
	/* A refused caller's socket may be closed already: read why anyway. */
	if (send(fd, req, used, MSG_NOSIGNAL) != (ssize_t)used && errno != EPIPE) {
		fprintf(stderr, "sluicectl: write: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		const char *p = buf;

		if (first) {
			first = 0;
			if (n >= 3 && memcmp(buf, "ok\n", 3) == 0) {
				rc = 0;
				p += 3;
				n -= 3;
			} else {
				fwrite("sluicectl: ", 1, 11, stderr);
				fwrite(buf, 1, n, stderr);
				continue;
			}
		}
		fwrite(p, 1, n, rc == 0 ? stdout : stderr);
	}
	err = errno;
	close(fd);
	if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
		fprintf(stderr, "sluicectl: no reply from %s within %ld s\n", path,
			(long)reply_timeout.tv_sec);
		rc = 1;
	} else if (first) {
		fprintf(stderr, "sluicectl: empty reply from %s\n", path);
	}
	return rc;
}

/* The socket path from -s, or from the config's control.socket. */
static int socket_from_config(const char *file, char *out, size_t len)
{
	struct sl_config cfg;

	if (cfg_load_report(&cfg, file, stderr) != 0)
		return -1;
	snprintf(out, len, "%s", cfg.ctl.socket);
	cfg_free(&cfg);
	return 0;
}

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

int main(int argc, char **argv)
{
	char sock[108] = DEFAULT_SOCKET;
	int opt;

	while ((opt = getopt_long(argc, argv, "+c:s:h", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (socket_from_config(optarg, sock, sizeof(sock)) < 0)
				return 1;
			break;
		case 's':
			snprintf(sock, sizeof(sock), "%s", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("sluicectl %s\n", SLUICE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "check") == 0) {
		if (optind + 2 != argc) {
			usage(stderr);
			return 2;
		}
		return cmd_check(argv[optind + 1]);
	}
	return request(sock, argc - optind, argv + optind);
}
