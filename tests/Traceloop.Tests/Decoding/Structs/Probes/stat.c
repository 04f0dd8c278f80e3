/* struct stat and struct statx as the kernel fills them (stat, lstat, fstat, newfstatat, statx). */
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <linux/stat.h>

static void do_stat(const char *name, const char *path)
{
	char buf[144];
	setup_done();
	syscall(SYS_stat, path, buf);
	emit(name, "stat", 1, buf, sizeof buf);
}

static void do_statx(const char *name, const char *path, int flags, unsigned mask)
{
	char buf[256];
	setup_done();
	syscall(SYS_statx, AT_FDCWD, path, flags, mask, buf);
	emit(name, "statx", 4, buf, sizeof buf);
}

int main(void)
{
	char buf[144];
	do_stat("regular", "/etc/passwd");
	do_stat("char device", "/dev/null");
	do_stat("sticky directory", "/tmp");
	setup_done();
	syscall(SYS_lstat, "/proc/self/exe", buf);
	emit("symlink", "lstat", 1, buf, sizeof buf);
	int p[2];
	pipe(p);
	setup_done();
	syscall(SYS_fstat, p[0], buf);
	emit("fifo", "fstat", 1, buf, sizeof buf);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	setup_done();
	syscall(SYS_fstat, s, buf);
	emit("socket", "fstat", 1, buf, sizeof buf);

	const char *f = "/tmp/tl-probe-file";
	int fd = open(f, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	write(fd, "0123456789", 10);
	close(fd);
	chmod(f, 04755);
	do_stat("setuid", f);
	chmod(f, 02710);
	do_stat("setgid", f);
	chmod(f, 07777);
	do_stat("all mode bits", f);
	chmod(f, 0);
	do_stat("no permissions", f);
	setup_done();
	syscall(SYS_newfstatat, AT_FDCWD, f, buf, 0);
	emit("newfstatat", "newfstatat", 2, buf, sizeof buf);
	fd = open(f, O_RDONLY);
	setup_done();
	syscall(SYS_newfstatat, fd, "", buf, AT_EMPTY_PATH);
	emit("newfstatat empty path", "newfstatat", 2, buf, sizeof buf);

	const char *b = "/tmp/tl-probe-blk";
	unlink(b);
	mknod(b, S_IFBLK | 0660, makedev(8, 1));
	do_stat("block device", b);
	unlink(b);
	mknod(b, S_IFCHR | 0600, makedev(300, 70000));
	do_stat("large device numbers", b);
	unlink(b);
	mknod(b, S_IFCHR | 0600, makedev(0, 0));
	do_stat("device 0 0", b);
	unlink(b);

	do_statx("statx regular", "/etc/passwd", 0, STATX_ALL);
	do_statx("statx basic", "/etc/passwd", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS);
	do_statx("statx char device", "/dev/null", 0, STATX_TYPE | STATX_MODE);
	do_statx("statx directory", "/tmp", 0, 0);
	do_statx("statx all", f, 0, 0xffffffffu);
	unlink(f);
	return 0;
}
