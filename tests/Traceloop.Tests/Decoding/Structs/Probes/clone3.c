/* struct clone_args for clone3 (enter; the size is the second argument). */
#include "probe.h"
#include <signal.h>
#include <stdint.h>
#include <linux/sched.h>
#include <sys/wait.h>

static void args(const char *name, struct clone_args *a, size_t size)
{
	unsigned char buf[128];
	memset(buf, 0, sizeof buf);
	memcpy(buf, a, size < sizeof *a ? size : sizeof *a);
	setup_done();
	long r = syscall(SYS_clone3, buf, size);
	if (r == 0)
		syscall(SYS_exit, 0);
	emit_ctx(name, "clone3", 0, buf, size > sizeof buf ? sizeof buf : size, "size=%zu", size);
	if (r > 0)
		waitpid(r, NULL, __WALL);
}

int main(void)
{
	struct clone_args a = { .exit_signal = SIGCHLD };
	args("fork-like", &a, sizeof a);
	int pidfd = -1, ptid = 0;
	a = (struct clone_args){ .flags = CLONE_PIDFD | CLONE_PARENT_SETTID, .pidfd = (uintptr_t)&pidfd,
				 .parent_tid = (uintptr_t)&ptid, .exit_signal = SIGCHLD };
	args("pidfd and parent tid, size 64", &a, 64);
	static char stack[65536];
	a = (struct clone_args){ .flags = CLONE_VM | CLONE_VFORK, .stack = (uintptr_t)stack, .stack_size = sizeof stack };
	args("vfork with stack", &a, sizeof a);
	/* Invalid combinations: the kernel refuses them before creating anything. */
	a = (struct clone_args){ .flags = ~0ull, .child_tid = 0x1000, .parent_tid = 0x2000, .pidfd = 0x3000,
				 .exit_signal = 0x1234, .stack = 0x4000, .stack_size = 0x5000, .tls = 0x6000,
				 .set_tid = 0x7000, .set_tid_size = 2, .cgroup = 7 };
	args("all flags", &a, sizeof a);
	a = (struct clone_args){ .flags = CLONE_SETTLS | CLONE_CHILD_SETTID | CLONE_NEWPID | CLONE_INTO_CGROUP,
				 .child_tid = 0x1000, .exit_signal = 64, .tls = 0x6000, .cgroup = 9 };
	args("tls, child tid, cgroup", &a, sizeof a);
	a = (struct clone_args){ .flags = 0x200000000ull, .exit_signal = 0xffffffffull };
	args("exit_signal huge, unknown flag", &a, sizeof a);
	a = (struct clone_args){ .exit_signal = 0x7fffffff, .set_tid = 0x7000, .set_tid_size = 40 };
	args("set_tid too many", &a, sizeof a);
	pid_t tids[2] = { 1000, 1001 };
	a = (struct clone_args){ .flags = CLONE_NEWPID, .exit_signal = SIGCHLD, .set_tid = (uintptr_t)tids, .set_tid_size = 2, .cgroup = 0 };
	args("set_tid array", &a, sizeof a);
	a = (struct clone_args){ .exit_signal = SIGCHLD };
	args("size 72", &a, 72);
	args("size 63", &a, 63);
	a = (struct clone_args){ .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	args("size 96 zero tail", &a, 96);
	unsigned char big[100] = { 0 };
	memcpy(big, &a, sizeof a);
	big[90] = 0xab;
	big[95] = 1;
	setup_done();
	syscall(SYS_clone3, big, 96);
	emit_ctx("size 96 nonzero tail", "clone3", 0, big, 96, "size=96");
	return 0;
}
