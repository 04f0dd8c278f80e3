// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * threads T N [GO_FILE]: T threads of one process each call getppid(2) N times, all at once.
 * Built with gcc -O2 -static -pthread by bench/run.sh.
 *
 * Each thread warms up (N/20 calls, untimed), then waits at a barrier, so the timed loops of
 * all threads overlap: the point is what threads writing into one container's ring at the same
 * moment cost each other. With GO_FILE, the process also waits after its warm-up until that
 * file exists (it prints "warm" on stderr first): the harness starts several single-thread
 * processes (in separate cgroups) and creates the file once all of them are warm, so their
 * loops overlap as well.
 *
 * Prints one line: getppid T N CPU_NS WALL_NS SLOWEST_CPU_NS OVERLAP FIRST LAST
 *   CPU_NS   the mean over threads of each thread's CPU time (CLOCK_THREAD_CPUTIME_ID) / N: what
 *            a call costs the thread that makes it, without the time it waited for a CPU. On a
 *            shared machine other people's work takes CPUs from the threads; wall time would
 *            count that as syscall cost, CPU time counts only the call, cache misses included.
 *   WALL_NS  the same with each thread's wall time (CLOCK_MONOTONIC)
 *   SLOWEST_CPU_NS  the thread that spent most CPU per call
 *   OVERLAP  the threads' CPU time summed over the wall time from the first start to the last
 *            end: how many of them ran at once on average (T at best; about 1 when they took
 *            turns, and then they did not contend).
 *   FIRST LAST  CLOCK_MONOTONIC (ns) of the first thread's start and the last one's end, so the
 *            harness can compute the overlap of several processes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 1024

static long calls;
static const char *go_file;
static pthread_barrier_t ready;
/* syscall() rather than the libc wrapper: no libc may cache or skip a call. */
static void run_getppid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static long long wall_start[MAX_THREADS], wall_end[MAX_THREADS], cpu_used[MAX_THREADS];

static long long clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void timed(long idx)
{
	long long cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	wall_start[idx] = clock_ns(CLOCK_MONOTONIC);
	run_getppid(calls);
	wall_end[idx] = clock_ns(CLOCK_MONOTONIC);
	cpu_used[idx] = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu;
}

static void *worker(void *arg)
{
	long idx = (long)arg;

	run_getppid(calls / 20 + 1);
	pthread_barrier_wait(&ready);
	timed(idx);
	return NULL;
}

/* Thread 0 (the main thread) waits here, between the others' warm-up and the barrier. */
static void wait_for_go(void)
{
	struct timespec tick = { 0, 1000000 };

	if (!go_file)
		return;
	/* Tells the harness this process is warm; it creates the file once every process is. */
	fprintf(stderr, "warm\n");
	fflush(stderr);
	while (access(go_file, F_OK) != 0)
		nanosleep(&tick, NULL);
}

int main(int argc, char **argv)
{
	pthread_t tids[MAX_THREADS];
	long nthreads, i;
	int err;

	if (argc < 3 || argc > 4 || (nthreads = atol(argv[1])) <= 0 || nthreads > MAX_THREADS ||
	    (calls = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: threads T N [GO_FILE]   (1 <= T <= %d)\n", MAX_THREADS);
		return 2;
	}
	go_file = argc == 4 ? argv[3] : NULL;
	pthread_barrier_init(&ready, NULL, (unsigned)nthreads);
	for (i = 1; i < nthreads; i++) {
		err = pthread_create(&tids[i], NULL, worker, (void *)i);
		if (err) {
			fprintf(stderr, "threads: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	/* The main thread is thread 0: its warm-up, then the go file, then the barrier. */
	run_getppid(calls / 20 + 1);
	wait_for_go();
	pthread_barrier_wait(&ready);
	timed(0);
	for (i = 1; i < nthreads; i++)
		pthread_join(tids[i], NULL);

	double cpu_sum = 0, wall_sum = 0, slowest = 0;
	long long first = wall_start[0], last = wall_end[0];
	for (i = 0; i < nthreads; i++) {
		double per = (double)cpu_used[i] / calls;

		cpu_sum += per;
		wall_sum += (double)(wall_end[i] - wall_start[i]) / calls;
		if (per > slowest)
			slowest = per;
		if (wall_start[i] < first)
			first = wall_start[i];
		if (wall_end[i] > last)
			last = wall_end[i];
	}
	printf("getppid %ld %ld %.2f %.2f %.2f %.2f %lld %lld\n", nthreads, calls, cpu_sum / nthreads, wall_sum / nthreads,
	       slowest, cpu_sum * calls / (double)(last - first), first, last);
	return 0;
}
