/* wait4 status words, from real children. */
#include "probe.h"
#include <signal.h>
#include <sys/wait.h>

static void reap(const char *name, pid_t pid, int options)
{
	int status = 0x5a5a5a5a;
	setup_done();
	syscall(SYS_wait4, pid, &status, options, NULL);
	emit(name, "wait4", 1, &status, sizeof status);
}

int main(void)
{
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	reap("exited 0", c, 0);
	c = fork();
	if (c == 0)
		_exit(255);
	reap("exited 255", c, 0);
	c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	kill(c, SIGKILL);
	reap("killed", c, 0);
	c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	kill(c, SIGSTOP);
	reap("stopped", c, WUNTRACED);
	kill(c, SIGCONT);
	reap("continued", c, WCONTINUED);
	kill(c, SIGTERM);
	reap("terminated", c, 0);
	c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	kill(c, 40);
	reap("killed by real-time signal", c, 0);
	return 0;
}
