/*
 * getdents64: strace prints the buffer address and the number of entries, which the kernel side
 * counts and captures as a u32 (the hex column is that count).
 */
#include "probe.h"
#include <fcntl.h>
#include <stdint.h>

static uint32_t count(const char *buf, long n)
{
	uint32_t c = 0;
	for (long off = 0; off < n; c++)
		off += *(const uint16_t *)(buf + off + 16);
	return c;
}

int main(void)
{
	static char buf[32768];
	mkdir("/tmp/tl-probe-dir", 0700);
	close(open("/tmp/tl-probe-dir/a", O_CREAT | O_WRONLY, 0600));
	int fd = open("/tmp/tl-probe-dir", O_RDONLY | O_DIRECTORY);
	setup_done();
	long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
	uint32_t c = count(buf, n);
	emit_ctx("three entries", "getdents64", 1, &c, 4, "addr=%p", buf);
	setup_done();
	n = syscall(SYS_getdents64, fd, buf, sizeof buf);
	c = count(buf, n);
	emit_ctx("end of directory", "getdents64", 1, &c, 4, "addr=%p", buf);
	lseek(fd, 0, SEEK_SET);
	setup_done();
	n = syscall(SYS_getdents64, fd, buf, 40);
	c = count(buf, n);
	emit_ctx("one entry", "getdents64", 1, &c, 4, "addr=%p", buf);
	unlink("/tmp/tl-probe-dir/a");
	rmdir("/tmp/tl-probe-dir");
	return 0;
}
