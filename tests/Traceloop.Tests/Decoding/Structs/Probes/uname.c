/* struct utsname (6 x 65 bytes) and struct sysinfo (112 bytes), real and synthetic. */
#include "probe.h"
#include <sys/utsname.h>
#include <sys/sysinfo.h>

static void fake_uname(const char *name, const char *sys, int syslen, const char *node, int nodelen)
{
	struct utsname u;
	memset(&u, 'z', sizeof u);
	memcpy(u.sysname, sys, syslen);
	memcpy(u.nodename, node, nodelen);
	setup_done();
	/* Run with -e inject=uname:retval=0:when=2+ so only the first call reaches the kernel. */
	syscall(SYS_uname, &u);
	emit(name, "uname", 0, &u, sizeof u);
}

int main(void)
{
	struct utsname u;
	setup_done();
	syscall(SYS_uname, &u);
	emit("uname", "uname", 0, &u, sizeof u);
	fake_uname("long nodename", "Linux", 6, "my-deployment-5d8f7c9b6d-abcde.example.internal.cluster", 57);
	char full[65];
	memset(full, 'n', sizeof full);
	fake_uname("nodename without NUL", "Linux", 6, full, 65);
	fake_uname("nodename 64", "Linux", 6, full, 64);
	fake_uname("non-printable", "Li\"nux\n", 9, "\x01\xff", 3);
	fake_uname("empty", "", 1, "", 1);

	struct sysinfo si;
	setup_done();
	syscall(SYS_sysinfo, &si);
	emit("sysinfo", "sysinfo", 0, &si, sizeof si);
	return 0;
}
