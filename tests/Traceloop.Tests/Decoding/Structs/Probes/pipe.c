/* int[2] filled by pipe, pipe2 and socketpair. */
#include "probe.h"
#include <fcntl.h>
#include <sys/socket.h>

int main(void)
{
	int p[2];
	setup_done();
	syscall(SYS_pipe, p);
	emit("pipe", "pipe", 0, p, sizeof p);
	setup_done();
	syscall(SYS_pipe2, p, O_CLOEXEC | O_NONBLOCK);
	emit("pipe2", "pipe2", 0, p, sizeof p);
	setup_done();
	syscall(SYS_socketpair, AF_UNIX, SOCK_DGRAM, 0, p);
	emit("socketpair", "socketpair", 3, p, sizeof p);
	dup2(p[0], 1000);
	dup2(p[1], 1001);
	close(p[0]);
	close(p[1]);
	return 0;
}
