// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * loop MODE N: a tight syscall loop, timed from inside so that exec, dynamic loading and
 * process teardown stay out of the number. Built with gcc -O2 -static by bench/run.sh.
 *
 *   getppid   one getppid(2) per iteration: the cheapest syscall there is
 *   write64   one 64-byte write(2) to /dev/null
 *   openclose openat(2) + close(2) of an existing file (2 syscalls per iteration)
 *   epollctl  one epoll_ctl(2) EPOLL_CTL_MOD of a watched pipe, its event read from user memory:
 *             the call an event loop makes most per request (redis-benchmark: 5 of its 7)
 *
 * With LOOP_CPU=C in the environment it first binds itself to CPU C: a container's ring is
 * split per CPU, so filling a whole ring takes a loop on every CPU.
 *
 * Prints one line: MODE N SYSCALLS_PER_ITER NS_PER_ITER
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Always present, and small: the open path walk is the cost, not the file. */
#define OPEN_PATH "/etc/passwd"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "loop: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* syscall() rather than the libc wrappers: no libc may cache or skip a call. */
static void run_getppid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static int null_fd = -1;
static char payload[64];

static void run_write64(long n)
{
	for (long i = 0; i < n; i++)
		if (syscall(SYS_write, null_fd, payload, sizeof(payload)) != sizeof(payload))
			die("write /dev/null");
}

static void run_openclose(long n)
{
	for (long i = 0; i < n; i++) {
		long fd = syscall(SYS_openat, AT_FDCWD, OPEN_PATH, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die("openat " OPEN_PATH);
		syscall(SYS_close, fd);
	}
}

static int epoll_fd = -1, watched_fd = -1;

static void run_epollctl(long n)
{
	struct epoll_event ev = { .events = EPOLLIN };

	for (long i = 0; i < n; i++) {
		ev.data.u64 = i;
		if (syscall(SYS_epoll_ctl, epoll_fd, EPOLL_CTL_MOD, watched_fd, &ev) != 0)
			die("epoll_ctl MOD");
	}
}

int main(int argc, char **argv)
{
	void (*body)(long);
	int per_iter = 1;
	long n;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: loop getppid|write64|openclose|epollctl N\n");
		return 2;
	}
	if (!strcmp(argv[1], "getppid")) {
		body = run_getppid;
	} else if (!strcmp(argv[1], "write64")) {
		body = run_write64;
		null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null_fd < 0)
			die("open /dev/null");
		memset(payload, 'x', sizeof(payload));
	} else if (!strcmp(argv[1], "openclose")) {
		body = run_openclose;
		per_iter = 2;
	} else if (!strcmp(argv[1], "epollctl")) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fds[2];

		body = run_epollctl;
		epoll_fd = epoll_create1(EPOLL_CLOEXEC);
		if (epoll_fd < 0 || pipe2(fds, O_CLOEXEC) != 0)
			die("epoll_create1, pipe2");
		watched_fd = fds[0];
		if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, watched_fd, &ev) != 0)
			die("epoll_ctl ADD");
	} else {
		fprintf(stderr, "loop: unknown mode '%s'\n", argv[1]);
		return 2;
	}
	if (getenv("LOOP_CPU")) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(atoi(getenv("LOOP_CPU")), &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity LOOP_CPU");
	}

	/* Warm the caches and the branch predictors; not timed. */
	body(n / 20 + 1);

	long long start = now_ns();
	body(n);
	long long elapsed = now_ns() - start;

	printf("%s %ld %d %.2f\n", argv[1], n, per_iter, (double)elapsed / n);
	return 0;
}
