/* struct rlimit: getrlimit/prlimit64 (exit), setrlimit/prlimit64 (enter). */
#include "probe.h"
#include <stdint.h>
#include <sys/resource.h>

static void set(const char *name, uint64_t cur, uint64_t max)
{
	uint64_t r[2] = { cur, max };
	setup_done();
	/* An invalid resource: the kernel refuses, strace prints the struct all the same. */
	syscall(SYS_setrlimit, 1000, r);
	emit(name, "setrlimit", 1, r, sizeof r);
}

int main(void)
{
	uint64_t r[2], o[2];
	setup_done();
	syscall(SYS_getrlimit, RLIMIT_NOFILE, r);
	emit("getrlimit nofile", "getrlimit", 1, r, sizeof r);
	setup_done();
	syscall(SYS_getrlimit, RLIMIT_STACK, r);
	emit("getrlimit stack", "getrlimit", 1, r, sizeof r);
	setup_done();
	syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, o);
	emit("prlimit64 old", "prlimit64", 3, o, sizeof o);
	r[0] = 1024;
	r[1] = 4096;
	setup_done();
	syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, r, o);
	emit("prlimit64 new", "prlimit64", 2, r, sizeof r);
	setup_done();
	syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, r, o);
	emit("prlimit64 old after set", "prlimit64", 3, o, sizeof o);
	set("zero", 0, 1);
	set("1023 and 1024", 1023, 1024);
	set("1025 and 2048", 1025, 2048);
	set("infinity", UINT64_MAX, UINT64_MAX);
	set("infinity minus 1024", UINT64_MAX - 1023, UINT64_MAX - 1);
	set("large multiples", 1ull << 40, 3ull << 20);
	set("just below infinity", INT64_MAX, (uint64_t)INT64_MAX + 1);
	return 0;
}
