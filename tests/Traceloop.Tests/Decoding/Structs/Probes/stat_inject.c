/*
 * Synthetic struct stat / struct statx contents: run with
 *   strace -e inject=newfstatat,statx:retval=0
 * so the kernel never runs the call and strace decodes the bytes this program put there.
 */
#include "probe.h"
#include <fcntl.h>
#include <stdint.h>
#include <linux/stat.h>

static void fake_stat(const char *name, uint32_t mode, int64_t size, uint64_t rdev)
{
	unsigned char buf[144];
	memset(buf, 0x5a, sizeof buf);
	memcpy(buf + 24, &mode, 4);
	memcpy(buf + 40, &rdev, 8);
	memcpy(buf + 48, &size, 8);
	setup_done();
	syscall(SYS_newfstatat, AT_FDCWD, "x", buf, 0);
	emit(name, "newfstatat", 2, buf, sizeof buf);
}

static void fake_statx(const char *name, uint32_t mask, uint64_t attrs, uint16_t mode, uint64_t size)
{
	unsigned char buf[256];
	memset(buf, 0x5a, sizeof buf);
	memcpy(buf + 0, &mask, 4);
	memcpy(buf + 8, &attrs, 8);
	memcpy(buf + 28, &mode, 2);
	memcpy(buf + 40, &size, 8);
	setup_done();
	syscall(SYS_statx, AT_FDCWD, "x", 0, 0, buf);
	emit(name, "statx", 4, buf, sizeof buf);
}

int main(void)
{
	fake_stat("no file type", 0644, 1, 0);
	fake_stat("mode zero", 0, 0, 0);
	fake_stat("unknown file type", 0170000 | 0755, 5, 0);
	fake_stat("type bits 0030000", 0030000 | 0644, 5, 0);
	fake_stat("high mode bits", 0xffff0000u | 0100644, 5, 0);
	fake_stat("all ones", 0xffffffffu, -1, ~0ull);
	fake_stat("negative size", 0100600, -5, 0);
	fake_stat("huge size", 0100600, INT64_MAX, 0);
	fake_stat("block device with 64-bit rdev", 0060600, 0, 0xfedcba9876543210ull);
	fake_stat("char device rdev minor only", 0020600, 0, 0x00000000000000ffull);
	fake_stat("char device old encoding", 0020600, 0, 0x0000000000000503ull);
	fake_statx("statx unknown mask bits", 0xffffffffu, 0, 0100644, 7);
	fake_statx("statx mask zero", 0, 0, 0100644, 7);
	fake_statx("statx mask unknown only", 0x80000000u, 0, 0100644, 7);
	fake_statx("statx attributes", 0x7ff, 0xffffffffffffffffull, 0040755, 4096);
	fake_statx("statx attribute bits", 0x7ff, 0x0000000000000004ull | 0x20 | 0x1000 | 0x100000, 0100644, 1);
	fake_statx("statx attributes unknown", 0x7ff, 0x8000000000000000ull, 0100644, 1);
	fake_statx("statx huge size", 0x7ff, 0, 0xffff, UINT64_MAX);
	return 0;
}
