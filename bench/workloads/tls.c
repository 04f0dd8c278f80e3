// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tls CERT KEY N [--wait-probes]: N SSL_write calls of 1 KiB each from a client to a server
 * process over a socketpair, TLS set up with OpenSSL. Timed from inside, around the writes only
 * (after a handshake and an untimed warm-up of N/20 writes), so exec, loading and the handshake
 * stay out of the number. Built with clang by bench/run.sh.
 *
 * libssl.so.3 is opened at run time and the few functions used are declared here, so no -dev
 * package is needed: the library called is the one the system runs, the file the recorder
 * probes. The server process SSL_reads until it has every byte; both are in the measured
 * process tree, so a recorded run pays for the probes on both sides.
 *
 * --wait-probes: before the first write, wait (10 s at most) until SSL_write and SSL_read are
 * probed, that is until their first instruction is the uprobe's breakpoint (int3, 0xcc), which
 * the kernel writes into every process that maps the library. The recorder attaches the probes
 * after it sees the process start, so an unwaited loop would time a half-probed run.
 *
 * Prints one line: tls N NS_PER_WRITE WRITES READS
 * (WRITES: every SSL_write, warm-up included; READS: every SSL_read that returned data.)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 1024
#define SSL_FILETYPE_PEM 1

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_method_st SSL_METHOD;

/* The OpenSSL 1.1/3 prototypes, as <openssl/ssl.h> declares them. */
static const SSL_METHOD *(*TLS_server_method)(void);
static const SSL_METHOD *(*TLS_client_method)(void);
static SSL_CTX *(*SSL_CTX_new)(const SSL_METHOD *method);
static int (*SSL_CTX_use_certificate_file)(SSL_CTX *ctx, const char *file, int type);
static int (*SSL_CTX_use_PrivateKey_file)(SSL_CTX *ctx, const char *file, int type);
static SSL *(*SSL_new)(SSL_CTX *ctx);
static int (*SSL_set_fd)(SSL *ssl, int fd);
static int (*SSL_accept)(SSL *ssl);
static int (*SSL_connect)(SSL *ssl);
static int (*SSL_write)(SSL *ssl, const void *buf, int num);
static int (*SSL_read)(SSL *ssl, void *buf, int num);

static void fail(const char *what)
{
	fprintf(stderr, "tls: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
	exit(1);
}

static void *symbol(void *lib, const char *name)
{
	void *p = dlsym(lib, name);

	if (!p) {
		fprintf(stderr, "tls: libssl.so.3 has no %s\n", name);
		exit(1);
	}
	return p;
}

static void load(void)
{
	void *lib = dlopen("libssl.so.3", RTLD_NOW | RTLD_GLOBAL);

	if (!lib) {
		fprintf(stderr, "tls: %s\n", dlerror());
		exit(1);
	}
	TLS_server_method = symbol(lib, "TLS_server_method");
	TLS_client_method = symbol(lib, "TLS_client_method");
	SSL_CTX_new = symbol(lib, "SSL_CTX_new");
	SSL_CTX_use_certificate_file = symbol(lib, "SSL_CTX_use_certificate_file");
	SSL_CTX_use_PrivateKey_file = symbol(lib, "SSL_CTX_use_PrivateKey_file");
	SSL_new = symbol(lib, "SSL_new");
	SSL_set_fd = symbol(lib, "SSL_set_fd");
	SSL_accept = symbol(lib, "SSL_accept");
	SSL_connect = symbol(lib, "SSL_connect");
	SSL_write = symbol(lib, "SSL_write");
	SSL_read = symbol(lib, "SSL_read");
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int probed(const void *function)
{
	return *(const volatile unsigned char *)function == 0xcc;
}

static void wait_for_probes(void)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (probed((const void *)SSL_write) && probed((const void *)SSL_read))
			return;
		usleep(10000);
	}
	errno = 0;
	fail("SSL_write and SSL_read were not probed within 10 s");
}

/* Reads until total bytes have come, then reports how many SSL_read calls returned data. */
static void serve(SSL_CTX *ctx, int fd, long long total, int report)
{
	char buf[16384];
	long long got = 0, reads = 0;
	SSL *ssl = SSL_new(ctx);
	int n;

	if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1)
		fail("server handshake");
	while (got < total) {
		n = SSL_read(ssl, buf, sizeof(buf));
		if (n <= 0)
			fail("SSL_read");
		got += n;
		reads++;
	}
	if (write(report, &reads, sizeof(reads)) != sizeof(reads))
		fail("reporting the reads");
	_exit(0);
}

int main(int argc, char **argv)
{
	static char chunk[CHUNK];
	int sv[2], report[2], status, wait_probes;
	long long n, warmup, i, start, elapsed, reads = 0;
	SSL_CTX *server_ctx, *client_ctx;
	pid_t server;
	SSL *ssl;

	if (argc < 4 || (n = atoll(argv[3])) <= 0) {
		fprintf(stderr, "usage: tls CERT KEY N [--wait-probes]\n");
		return 2;
	}
	wait_probes = argc > 4 && strcmp(argv[4], "--wait-probes") == 0;
	warmup = n / 20;
	memset(chunk, 'x', sizeof(chunk));
	load();
	server_ctx = SSL_CTX_new(TLS_server_method());
	client_ctx = SSL_CTX_new(TLS_client_method());
	if (!server_ctx || !client_ctx)
		fail("SSL_CTX_new");
	if (SSL_CTX_use_certificate_file(server_ctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(server_ctx, argv[2], SSL_FILETYPE_PEM) != 1)
		fail("loading the certificate and key");
	if (wait_probes)
		wait_for_probes();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(report))
		fail("socketpair");
	server = fork();
	if (server < 0)
		fail("fork");
	if (server == 0) {
		close(sv[0]);
		close(report[0]);
		serve(server_ctx, sv[1], (n + warmup) * CHUNK, report[1]);
	}
	close(sv[1]);
	close(report[1]);

	ssl = SSL_new(client_ctx);
	if (!ssl || SSL_set_fd(ssl, sv[0]) != 1 || SSL_connect(ssl) != 1)
		fail("client handshake");
	for (i = 0; i < warmup; i++)
		if (SSL_write(ssl, chunk, CHUNK) != CHUNK)
			fail("SSL_write");
	start = now_ns();
	for (i = 0; i < n; i++)
		if (SSL_write(ssl, chunk, CHUNK) != CHUNK)
			fail("SSL_write");
	elapsed = now_ns() - start;

	if (read(report[0], &reads, sizeof(reads)) != sizeof(reads))
		fail("the server's report");
	if (waitpid(server, &status, 0) != server || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("the server did not finish");
	/* No close_notify: the server has gone, and the numbers are taken. */
	printf("tls %lld %.1f %lld %lld\n", n, (double)elapsed / (double)n, n + warmup, reads);
	return 0;
}
