/* timespec, timeval, itimerspec, itimerval: nanosleep, clock_nanosleep, clock_gettime, gettimeofday, ... */
#include "probe.h"
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/time.h>
#include <sys/timerfd.h>

static void on_alarm(int sig) { }

static void sleep_ts(const char *name, int64_t sec, int64_t nsec)
{
	int64_t ts[2] = { sec, nsec };
	setup_done();
	syscall(SYS_nanosleep, ts, NULL);
	emit(name, "nanosleep", 0, ts, sizeof ts);
}

int main(void)
{
	sleep_ts("nanosleep", 0, 1000);
	sleep_ts("nanosleep zero", 0, 0);
	sleep_ts("nanosleep negative seconds", -1, 0);
	sleep_ts("nanosleep nsec out of range", 0, 1000000000);
	sleep_ts("nanosleep negative nsec", 0, -1);
	/* An invalid clock makes these fail rather than sleep. */
	int64_t big[2] = { INT64_MAX, 999999999 };
	setup_done();
	syscall(SYS_clock_nanosleep, 12345, 0, big, NULL);
	emit("timespec huge", "clock_nanosleep", 2, big, sizeof big);
	big[0] = INT64_MIN;
	big[1] = INT64_MIN;
	setup_done();
	syscall(SYS_clock_nanosleep, 12345, 0, big, NULL);
	emit("timespec min", "clock_nanosleep", 2, big, sizeof big);

	int64_t ts[2] = { 0, 2000 }, rem[2] = { -7, -7 };
	setup_done();
	syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, ts, rem);
	emit("clock_nanosleep", "clock_nanosleep", 2, ts, sizeof ts);

	signal(SIGALRM, on_alarm);
	struct itimerval it = { .it_value = { 0, 20000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	ts[0] = 5;
	ts[1] = 0;
	setup_done();
	syscall(SYS_nanosleep, ts, rem);
	emit("nanosleep interrupted remaining", "nanosleep", 1, rem, sizeof rem);

	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	ts[0] = now.tv_sec + 1;
	ts[1] = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	setup_done();
	syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, ts, rem);
	emit("clock_nanosleep absolute", "clock_nanosleep", 2, ts, sizeof ts);

	setup_done();
	syscall(SYS_clock_gettime, CLOCK_REALTIME, ts);
	emit("clock_gettime realtime", "clock_gettime", 1, ts, sizeof ts);
	setup_done();
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, ts);
	emit("clock_gettime monotonic", "clock_gettime", 1, ts, sizeof ts);
	setup_done();
	syscall(SYS_clock_getres, CLOCK_MONOTONIC, ts);
	emit("clock_getres", "clock_getres", 1, ts, sizeof ts);

	int64_t tv[2];
	setup_done();
	syscall(SYS_gettimeofday, tv, NULL);
	emit("gettimeofday", "gettimeofday", 0, tv, sizeof tv);

	struct itimerval iv = { .it_interval = { 1, 500000 }, .it_value = { 2, 0 } }, oiv;
	setup_done();
	syscall(SYS_setitimer, ITIMER_VIRTUAL, &iv, &oiv);
	emit("setitimer new", "setitimer", 1, &iv, sizeof iv);
	iv.it_value.tv_sec = 0;
	iv.it_interval.tv_sec = 0;
	iv.it_interval.tv_usec = 0;
	setup_done();
	syscall(SYS_setitimer, ITIMER_VIRTUAL, &iv, &oiv);
	emit("setitimer old", "setitimer", 2, &oiv, sizeof oiv);
	setup_done();
	syscall(SYS_getitimer, ITIMER_VIRTUAL, &oiv);
	emit("getitimer", "getitimer", 1, &oiv, sizeof oiv);

	int64_t odd[4] = { -1, -1, INT64_MAX, INT64_MIN };
	setup_done();
	syscall(SYS_setitimer, ITIMER_VIRTUAL, odd, NULL);
	emit("itimerval out of range", "setitimer", 1, odd, sizeof odd);

	int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = { .it_interval = { 0, 250000000 }, .it_value = { 3, 0 } }, oits;
	setup_done();
	syscall(SYS_timerfd_settime, tfd, 0, &its, &oits);
	emit("timerfd_settime new", "timerfd_settime", 2, &its, sizeof its);
	setup_done();
	syscall(SYS_timerfd_settime, tfd, 0, &its, &oits);
	emit("timerfd_settime old", "timerfd_settime", 3, &oits, sizeof oits);
	setup_done();
	syscall(SYS_timerfd_gettime, tfd, &oits);
	emit("timerfd_gettime", "timerfd_gettime", 1, &oits, sizeof oits);
	return 0;
}
