/*
 * struct pollfd arrays (poll, ppoll: events at enter, revents after the return value) and
 * struct epoll_event (12 bytes, packed on x86-64: epoll_ctl at enter, epoll_wait/epoll_pwait at exit).
 */
#include "probe.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/epoll.h>

static void do_poll(const char *name, struct pollfd *fds, int n, int timeout)
{
	setup_done();
	syscall(SYS_poll, fds, n, timeout);
	emit(name, "poll", -1, fds, n * sizeof *fds);
}

int main(void)
{
	int p[2], q[2];
	pipe(p);
	pipe(q);
	write(p[1], "x", 1);
	struct pollfd fds[40];
	fds[0] = (struct pollfd){ p[0], POLLIN | POLLPRI };
	fds[1] = (struct pollfd){ p[1], POLLOUT };
	fds[2] = (struct pollfd){ -1, POLLIN };
	fds[3] = (struct pollfd){ q[0], POLLIN };
	setup_done();
	syscall(SYS_poll, fds, 4, 0);
	emit("poll events", "poll", 0, fds, 4 * sizeof *fds);
	fds[0] = (struct pollfd){ p[0], POLLIN | POLLPRI };
	fds[1] = (struct pollfd){ p[1], POLLOUT };
	fds[2] = (struct pollfd){ -1, POLLIN };
	fds[3] = (struct pollfd){ q[0], POLLIN };
	do_poll("poll revents", fds, 4, 0);
	fds[0] = (struct pollfd){ q[0], POLLIN };
	do_poll("poll timeout", fds, 1, 0);
	fds[0] = (struct pollfd){ 999, POLLIN };
	fds[1] = (struct pollfd){ p[0], -1 };
	do_poll("poll nval and all events", fds, 2, 0);
	setup_done();
	syscall(SYS_poll, fds, 2, 0);
	emit("poll all event bits", "poll", 0, fds, 2 * sizeof *fds);
	close(q[1]);
	fds[0] = (struct pollfd){ q[0], POLLIN | POLLRDHUP };
	do_poll("poll hangup", fds, 1, 0);
	for (int i = 0; i < 40; i++)
		fds[i] = (struct pollfd){ p[1], POLLOUT };
	setup_done();
	syscall(SYS_poll, fds, 40, 0);
	emit("poll 40 fds", "poll", 0, fds, 40 * sizeof *fds);
	for (int i = 0; i < 40; i++)
		fds[i] = (struct pollfd){ p[1], POLLOUT };
	do_poll("poll 40 revents", fds, 40, 0);
	for (int i = 0; i < 40; i++)
		fds[i] = (struct pollfd){ i == 35 ? p[1] : q[0] + 100, POLLOUT };
	do_poll("poll 40 one ready late", fds, 40, 0);

	struct timespec ts = { 1, 0 };
	sigset_t ss;
	sigemptyset(&ss);
	fds[0] = (struct pollfd){ p[0], POLLIN };
	setup_done();
	syscall(SYS_ppoll, fds, 1, &ts, NULL, 8);
	emit_ctx("ppoll revents", "ppoll", -1, fds, sizeof *fds, "left=%016llx%016llx",
		 __builtin_bswap64(ts.tv_sec), __builtin_bswap64(ts.tv_nsec));
	ts.tv_sec = 0;
	ts.tv_nsec = 1000;
	fds[0] = (struct pollfd){ p[1] + 100, POLLIN };
	setup_done();
	syscall(SYS_ppoll, fds, 1, &ts, &ss, 8);
	emit_ctx("ppoll nval", "ppoll", -1, fds, sizeof *fds, "left=%016llx%016llx",
		 __builtin_bswap64(ts.tv_sec), __builtin_bswap64(ts.tv_nsec));
	ts.tv_sec = 0;
	ts.tv_nsec = 1000;
	int r[2];
	pipe(r);
	fds[0] = (struct pollfd){ r[0], POLLIN };
	setup_done();
	syscall(SYS_ppoll, fds, 1, &ts, &ss, 8);
	emit("ppoll timeout", "ppoll", -1, fds, sizeof *fds);

	int ep = epoll_create1(0);
	struct epoll_event ev = { EPOLLIN | EPOLLET, { .u64 = 0x1234567890ull } };
	setup_done();
	syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], &ev);
	emit("epoll_ctl add", "epoll_ctl", 3, &ev, sizeof ev);
	ev = (struct epoll_event){ EPOLLOUT, { .fd = p[1] } };
	setup_done();
	syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[1], &ev);
	emit("epoll_ctl fd", "epoll_ctl", 3, &ev, sizeof ev);
	ev = (struct epoll_event){ 0xffffffffu, { .u64 = UINT64_MAX } };
	setup_done();
	syscall(SYS_epoll_ctl, ep, EPOLL_CTL_MOD, 999, &ev);
	emit("epoll_ctl all bits", "epoll_ctl", 3, &ev, sizeof ev);
	ev = (struct epoll_event){ 0, { .u64 = 0 } };
	setup_done();
	syscall(SYS_epoll_ctl, ep, EPOLL_CTL_MOD, 999, &ev);
	emit("epoll_ctl zero", "epoll_ctl", 3, &ev, sizeof ev);
	struct epoll_event evs[8];
	setup_done();
	int n = syscall(SYS_epoll_wait, ep, evs, 8, 0);
	emit("epoll_wait", "epoll_wait", 1, evs, n * sizeof *evs);
	setup_done();
	n = syscall(SYS_epoll_pwait, ep, evs, 8, 0, NULL, 8);
	emit("epoll_pwait", "epoll_pwait", 1, evs, n * sizeof *evs);
	int e2 = epoll_create1(0);
	setup_done();
	n = syscall(SYS_epoll_wait, e2, evs, 8, 0);
	emit("epoll_wait none", "epoll_wait", 1, evs, 0);
	return 0;
}
