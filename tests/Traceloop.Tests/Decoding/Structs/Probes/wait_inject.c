/*
 * Synthetic wait4 status words: run with strace -e inject=wait4:retval=42, so the kernel does
 * not run wait4 and strace decodes the word this program put there.
 */
#include "probe.h"

static void fake(const char *name, unsigned status)
{
	setup_done();
	syscall(SYS_wait4, -1, &status, 0, NULL);
	emit(name, "wait4", 1, &status, sizeof status);
}

int main(void)
{
	fake("core dumped", 0x8b);
	fake("signaled 32", 0x20);
	fake("signaled 33", 0x21);
	fake("signaled 34", 0x22);
	fake("signaled 64", 0x40);
	fake("signaled 65", 0x41);
	fake("signaled 127 core", 0xff - 0x7f + 0x7e);
	fake("stopped 0x80", 0x857f);
	fake("stopped event fork", 0x1057f);
	fake("stopped event exec", 0x4057f);
	fake("stopped event stop", 0x80137f);
	fake("stopped unknown event", 0x99057f);
	fake("stopped signal 0", 0x007f);
	fake("stopped signal 40", 0x287f);
	fake("exited with event bits", 0x10100);
	fake("exited with high bits", 0xff000100);
	fake("signaled with extra bits", 0x1234509);
	fake("continued", 0xffff);
	fake("continued with high bits", 0x1ffff);
	fake("all ones", 0xffffffff);
	return 0;
}
