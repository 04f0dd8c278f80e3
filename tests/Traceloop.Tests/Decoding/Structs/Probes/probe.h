/*
 * Shared by the probes: each case makes one syscall, then emit() writes one line to fd 3
 *   name <TAB> syscall <TAB> arg <TAB> hex bytes <TAB> context
 * and makes a marker syscall, close(100000 + n), that capture.py finds in strace's output
 * to pair the line with the strace line of that syscall. arg is the argument whose text
 * strace printed (-1: the text after the return value).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

static int probe_seq;

static void emit_ctx(const char *name, const char *sys, int arg, const void *p, size_t n, const char *fmt, ...)
{
	char line[65536];
	int len = snprintf(line, sizeof line, "%s\t%s\t%d\t", name, sys, arg);
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		len += snprintf(line + len, sizeof line - len, "%02x", b[i]);
	line[len++] = '\t';
	va_list ap;
	va_start(ap, fmt);
	len += vsnprintf(line + len, sizeof line - len, fmt, ap);
	va_end(ap);
	line[len++] = '\n';
	if (write(3, line, len) != len)
		abort();
	syscall(SYS_close, 100000 + probe_seq++);
}

#define emit(name, sys, arg, p, n) emit_ctx(name, sys, arg, p, n, "")

/* Ends the setup of a case: capture.py looks for the case's syscall after the last of these. */
static void setup_done(void)
{
	syscall(SYS_close, 99999);
}
