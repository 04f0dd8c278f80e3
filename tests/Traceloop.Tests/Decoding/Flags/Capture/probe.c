/* Issues each case of cases.h as a raw syscall, for capture.py; no libc, so strace sees nothing else. */
struct probe_case { unsigned long nr, a[6]; };
static const struct probe_case cases[] = {
#include "cases.h" /* written by capture.py */
};
static long sys6(unsigned long n, unsigned long a, unsigned long b, unsigned long c, unsigned long d, unsigned long e, unsigned long f)
{
	long ret;
	register unsigned long r10 __asm__("r10") = d;
	register unsigned long r8 __asm__("r8") = e;
	register unsigned long r9 __asm__("r9") = f;
	__asm__ volatile ("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return ret;
}
void _start(void)
{
	for (unsigned long i = 0; i < sizeof cases / sizeof cases[0]; i++)
		sys6(cases[i].nr, cases[i].a[0], cases[i].a[1], cases[i].a[2], cases[i].a[3], cases[i].a[4], cases[i].a[5]);
	sys6(231, 0, 0, 0, 0, 0, 0);
	for (;;) ;
}
