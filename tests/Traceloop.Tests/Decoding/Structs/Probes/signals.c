/*
 * Kernel sigset_t (8 bytes) for rt_sigprocmask, rt_sigpending, rt_sigsuspend, rt_sigtimedwait,
 * and struct kernel_sigaction (handler, flags, restorer, mask: 32 bytes) for rt_sigaction.
 */
#include "probe.h"
#include <signal.h>
#include <stdint.h>

struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

static void mask(const char *name, uint64_t set)
{
	setup_done();
	/* An invalid "how": the kernel refuses, strace prints the set all the same. */
	syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8);
	emit(name, "rt_sigprocmask", 1, &set, sizeof set);
}

static uint64_t bits(int from, int to)
{
	uint64_t m = 0;
	for (int s = from; s <= to; s++)
		m |= 1ull << (s - 1);
	return m;
}

static void act(const char *name, uint64_t handler, uint64_t flags, uint64_t restorer, uint64_t m)
{
	struct ksigaction a = { handler, flags, restorer, m };
	setup_done();
	/* Signal 0 is invalid: the kernel refuses, strace prints the struct all the same. */
	syscall(SYS_rt_sigaction, 0, &a, NULL, 8);
	emit(name, "rt_sigaction", 1, &a, sizeof a);
}

static void handler(int sig) { }

int main(void)
{
	mask("empty", 0);
	mask("CHLD", 1ull << (SIGCHLD - 1));
	mask("HUP INT TERM", (1ull << 0) | (1ull << 1) | (1ull << 14));
	mask("31 and 32", bits(31, 32));
	mask("33 34 35", bits(33, 35));
	mask("64", 1ull << 63);
	mask("all", ~0ull);
	mask("all but 32 and 33", ~bits(32, 33));
	mask("41 set", bits(1, 41));
	mask("42 set", bits(1, 42));
	mask("43 set", bits(1, 43));
	mask("42 set high", bits(23, 64));
	mask("21 low", bits(1, 21));
	mask("1 to 31", bits(1, 31));

	uint64_t set = 1ull << (SIGUSR1 - 1), old;
	setup_done();
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 8);
	emit("old mask empty", "rt_sigprocmask", 2, &old, sizeof old);
	setup_done();
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 8);
	emit("old mask USR1", "rt_sigprocmask", 2, &old, sizeof old);
	raise(SIGUSR1);
	setup_done();
	syscall(SYS_rt_sigpending, &old, 8);
	emit("pending", "rt_sigpending", 0, &old, sizeof old);
	set = 1ull << (SIGUSR2 - 1);
	struct timespec ts = { 0, 0 };
	setup_done();
	syscall(SYS_rt_sigtimedwait, &set, NULL, &ts, 8);
	emit("sigtimedwait", "rt_sigtimedwait", 0, &set, sizeof set);
	set = 0;
	setup_done();
	/* Run with -e inject=rt_sigsuspend:error=EINTR so this returns at once. */
	syscall(SYS_rt_sigsuspend, &set, 8);
	emit("sigsuspend", "rt_sigsuspend", 0, &set, sizeof set);

	struct ksigaction a, o;
	setup_done();
	syscall(SYS_rt_sigaction, SIGUSR2, NULL, &o, 8);
	emit("oact default", "rt_sigaction", 2, &o, sizeof o);
	struct sigaction sa = { .sa_handler = handler, .sa_flags = SA_RESTART | SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGUSR2, &sa, NULL);
	setup_done();
	syscall(SYS_rt_sigaction, SIGUSR2, NULL, &o, 8);
	emit("oact handler", "rt_sigaction", 2, &o, sizeof o);
	act("ignore", 1, 0x04000000, 0x401000, 0);
	act("default", 0, 0, 0, 0);
	act("SIG_ERR", UINT64_MAX, 0, 0, 0);
	act("handler no restorer", 0x401234, 0x10000000, 0x401000, 1ull << 9);
	act("all flags", 0x401234, 0xffffffffull, 0x7f0012345678ull, ~0ull);
	act("high flag bits", 0x401234, 0xffffffff00000000ull | 0x04000000, 0, 0);
	act("known flags", 0x401234, SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND | 0x04000000, 0x400000, bits(1, 64));
	act("unknown flags only", 0x2, 0x300, 0, 0);
	return 0;
}
