/*
 * Socket addresses: passed in (connect, bind, sendto; the bytes are addrlen long, at most 128)
 * and returned (accept, accept4, getsockname, getpeername, recvfrom; the bytes are
 * min(*addrlen before, *addrlen after) long). Context: len=addrlen, or in= and out= for *addrlen.
 */
#include "probe.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/vm_sockets.h>

static int min(int a, int b) { return a < b ? a : b; }

static void in_addr(const char *name, int family, int type, const void *sa, int len)
{
	int s = socket(family == AF_UNIX ? AF_UNIX : AF_INET6, type, 0);
	setup_done();
	syscall(SYS_connect, s, sa, len);
	emit_ctx(name, "connect", 1, sa, len < 0 ? 0 : min(len, 128), "len=%d", len);
	close(s);
}

static void in6(const char *name, const char *addr, uint16_t port, uint32_t flow, uint32_t scope, int len)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_flowinfo = htonl(flow), .sin6_scope_id = scope };
	inet_pton(AF_INET6, addr, &s6.sin6_addr);
	in_addr(name, AF_INET6, SOCK_DGRAM, &s6, len);
}

static void un(const char *name, const char *path, int pathlen, int len)
{
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	memcpy(su.sun_path, path, pathlen);
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	setup_done();
	syscall(SYS_bind, s, &su, len);
	emit_ctx(name, "bind", 1, &su, min(len, sizeof su), "len=%d", len);
	close(s);
}

static void raw(const char *name, const char *sys, uint16_t family, const char *data, int datalen, int len)
{
	unsigned char buf[200] = { 0 };
	memcpy(buf, &family, 2);
	memcpy(buf + 2, data, datalen);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	setup_done();
	if (!strcmp(sys, "connect"))
		syscall(SYS_connect, s, buf, len);
	else
		syscall(SYS_bind, s, buf, len);
	emit_ctx(name, sys, 1, buf, len < 0 ? 0 : min(len, 128), "len=%d", len);
	close(s);
}

int main(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8080) };
	sin.sin_addr.s_addr = inet_addr("127.0.0.1");
	int s = socket(AF_INET, SOCK_STREAM, 0);
	setup_done();
	syscall(SYS_connect, s, &sin, sizeof sin);
	emit_ctx("inet", "connect", 1, &sin, sizeof sin, "len=16");
	close(s);
	sin.sin_port = htons(0);
	sin.sin_addr.s_addr = inet_addr("255.255.255.255");
	raw("inet broadcast port 0", "connect", AF_INET, (char *)&sin + 2, 14, 16);
	sin.sin_port = htons(65535);
	sin.sin_addr.s_addr = inet_addr("10.1.200.3");
	memcpy(sin.sin_zero, "zeropad", 8);
	raw("inet nonzero padding", "connect", AF_INET, (char *)&sin + 2, 14, 16);
	raw("inet addrlen 128", "connect", AF_INET, (char *)&sin + 2, 14, 128);
	raw("inet addrlen 200", "connect", AF_INET, (char *)&sin + 2, 14, 200);
	raw("inet addrlen 15", "connect", AF_INET, (char *)&sin + 2, 14, 15);
	raw("inet addrlen 8", "connect", AF_INET, (char *)&sin + 2, 14, 8);
	raw("inet addrlen 3", "connect", AF_INET, (char *)&sin + 2, 14, 3);
	raw("inet addrlen 2", "connect", AF_INET, (char *)&sin + 2, 14, 2);
	raw("inet addrlen 1", "connect", AF_INET, (char *)&sin + 2, 14, 1);
	raw("inet addrlen 0", "connect", AF_INET, (char *)&sin + 2, 14, 0);
	raw("inet addrlen -1", "connect", AF_INET, (char *)&sin + 2, 14, -1);

	in6("inet6 loopback", "::1", 443, 0, 0, 28);
	in6("inet6 any", "::", 0, 0, 0, 28);
	in6("inet6 flowinfo", "2001:db8::1", 80, 0x12345, 0, 28);
	in6("inet6 v4-mapped", "::ffff:127.0.0.1", 80, 0, 0, 28);
	in6("inet6 v4-compatible", "::1.2.3.4", 80, 0, 0, 28);
	in6("inet6 ::2", "::2", 80, 0, 0, 28);
	in6("inet6 ::0.1.0.0", "::0.1.0.0", 80, 0, 0, 28);
	in6("inet6 ::ffff:0:1.2.3.4", "::ffff:0:1.2.3.4", 80, 0, 0, 28);
	in6("inet6 two zero runs", "1:0:0:2:0:0:0:3", 80, 0, 0, 28);
	in6("inet6 equal zero runs", "1:0:0:2:3:0:0:4", 80, 0, 0, 28);
	in6("inet6 single zero", "1:2:3:4:5:6:0:8", 80, 0, 0, 28);
	in6("inet6 trailing zeros", "fd00:abcd::", 80, 0, 0, 28);
	in6("inet6 full", "2001:db8:85a3:1234:5678:8a2e:370:7334", 80, 0, 0, 28);
	in6("inet6 scope id not link-local", "2001:db8::1", 80, 0, 7, 28);
	in6("inet6 link-local unknown interface", "fe80::1", 80, 0, 12345, 28);
	in6("inet6 link-local scope 0", "fe80::1", 80, 0, 0, 28);
	in6("inet6 multicast link-local unknown interface", "ff02::1", 80, 0, 4242, 28);
	in6("inet6 addrlen 24", "::1", 80, 0, 0, 24);
	in6("inet6 addrlen 25", "::1", 80, 0, 3, 25);
	in6("inet6 addrlen 23", "::1", 80, 0, 0, 23);
	in6("inet6 addrlen 128", "::1", 80, 0, 0, 128);

	un("unix path", "/tmp/tl-probe.sock", 19, sizeof(struct sockaddr_un));
	unlink("/tmp/tl-probe.sock");
	un("unix path without NUL", "/tmp/tl-probe.sock", 18, 2 + 18);
	unlink("/tmp/tl-probe.sock");
	un("unix abstract", "\0tl-probe", 9, 2 + 9);
	un("unix abstract with NULs", "\0a\0b\n\x01", 6, 2 + 6);
	un("unix abstract full length", "\0x", 2, sizeof(struct sockaddr_un));
	un("unix unnamed", "", 0, 2);
	un("unix addrlen 3", "", 0, 3);
	char longpath[108];
	memset(longpath, 'p', sizeof longpath);
	longpath[0] = '/';
	un("unix path 108 bytes", longpath, 108, sizeof(struct sockaddr_un));
	un("unix path non-printable", "/tmp/\x01\xff\"\\q", 10, 2 + 11);
	un("unix addrlen 128", "/tmp/tl-probe-x", 16, 128);

	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	s = socket(AF_NETLINK, SOCK_RAW, 0);
	setup_done();
	syscall(SYS_bind, s, &nl, sizeof nl);
	emit_ctx("netlink", "bind", 1, &nl, sizeof nl, "len=12");
	close(s);
	nl.nl_pid = 1234;
	nl.nl_groups = 0x11;
	raw("netlink pid and groups", "bind", AF_NETLINK, (char *)&nl + 2, 10, 12);
	nl.nl_pad = 7;
	raw("netlink pad", "bind", AF_NETLINK, (char *)&nl + 2, 10, 12);
	nl.nl_pad = 0;
	nl.nl_pid = -1;
	nl.nl_groups = 0x12345678;
	raw("netlink wide groups", "bind", AF_NETLINK, (char *)&nl + 2, 10, 12);
	raw("netlink addrlen 11", "bind", AF_NETLINK, (char *)&nl + 2, 10, 11);

	raw("unspec", "connect", AF_UNSPEC, "", 0, 16);
	raw("unknown family", "connect", 200, "abc\0def", 7, 10);
	raw("unknown family long", "connect", 46, "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz", 72, 74);
	raw("appletalk", "connect", AF_APPLETALK, "\1\2\3\4\5\6", 6, 16);
	raw("packet short", "connect", AF_PACKET, "\0\3", 2, 8);
	raw("bluetooth short", "connect", AF_BLUETOOTH, "", 0, 2);

	struct sockaddr_vm vm = { .svm_family = AF_VSOCK, .svm_port = 1234, .svm_cid = VMADDR_CID_HOST };
	raw("vsock", "connect", AF_VSOCK, (char *)&vm + 2, sizeof vm - 2, sizeof vm);
	vm.svm_port = VMADDR_PORT_ANY;
	vm.svm_cid = VMADDR_CID_ANY;
	raw("vsock any", "connect", AF_VSOCK, (char *)&vm + 2, sizeof vm - 2, sizeof vm);
	vm.svm_port = 5;
	vm.svm_cid = 77;
	vm.svm_reserved1 = 1;
	vm.svm_flags = 1;
	raw("vsock flags", "connect", AF_VSOCK, (char *)&vm + 2, sizeof vm - 2, sizeof vm);
	vm.svm_reserved1 = 0;
	vm.svm_flags = 0x82;
	vm.svm_zero[0] = 1;
	vm.svm_zero[2] = 0xff;
	raw("vsock padding", "connect", AF_VSOCK, (char *)&vm + 2, sizeof vm - 2, sizeof vm);
	raw("vsock addrlen 15", "connect", AF_VSOCK, (char *)&vm + 2, sizeof vm - 2, 15);

	/* sendto */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_port = htons(9);
	sin.sin_addr.s_addr = inet_addr("127.0.0.1");
	memset(sin.sin_zero, 0, 8);
	setup_done();
	syscall(SYS_sendto, s, "hi", 2, 0, &sin, sizeof sin);
	emit_ctx("sendto", "sendto", 4, &sin, sizeof sin, "len=16");

	/* accept, accept4, getsockname, getpeername, recvfrom */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in la = { .sin_family = AF_INET, .sin_addr.s_addr = inet_addr("127.0.0.1") };
	bind(l, (void *)&la, sizeof la);
	listen(l, 8);
	socklen_t lal = sizeof la;
	getsockname(l, (void *)&la, &lal);
	for (int i = 0; i < 3; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		connect(c, (void *)&la, sizeof la);
	}
	unsigned char ab[256];
	socklen_t in, out;
	memset(ab, 0xaa, sizeof ab);
	in = out = 128;
	setup_done();
	syscall(SYS_accept, l, ab, &out);
	emit_ctx("accept", "accept", 1, ab, min(in, out), "in=%d out=%d", in, out);
	in = out = 16;
	setup_done();
	syscall(SYS_accept4, l, ab, &out, SOCK_CLOEXEC);
	emit_ctx("accept4 exact length", "accept4", 1, ab, min(in, out), "in=%d out=%d", in, out);
	in = out = 4;
	setup_done();
	syscall(SYS_accept, l, ab, &out);
	emit_ctx("accept short buffer", "accept", 1, ab, min(in, out), "in=%d out=%d", in, out);
	in = out = 128;
	setup_done();
	syscall(SYS_getsockname, l, ab, &out);
	emit_ctx("getsockname", "getsockname", 1, ab, min(in, out), "in=%d out=%d", in, out);

	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	in = out = 128;
	setup_done();
	syscall(SYS_getpeername, sp[0], ab, &out);
	emit_ctx("getpeername unix unnamed", "getpeername", 1, ab, min(in, out), "in=%d out=%d", in, out);
	write(sp[1], "x", 1);
	in = out = 128;
	setup_done();
	syscall(SYS_recvfrom, sp[0], ab + 200, 10, 0, ab, &out);
	emit_ctx("recvfrom stream", "recvfrom", 4, ab, min(in, out), "in=%d out=%d", in, out);

	struct sockaddr_un su = { .sun_family = AF_UNIX, .sun_path = "\0tl-probe-abs" };
	int u = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(u, (void *)&su, 2 + 13);
	in = out = 128;
	setup_done();
	syscall(SYS_getsockname, u, ab, &out);
	emit_ctx("getsockname unix abstract", "getsockname", 1, ab, min(in, out), "in=%d out=%d", in, out);

	int d = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 d6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bind(d, (void *)&d6, sizeof d6);
	socklen_t d6l = sizeof d6;
	getsockname(d, (void *)&d6, &d6l);
	int e = socket(AF_INET6, SOCK_DGRAM, 0);
	sendto(e, "ping", 4, 0, (void *)&d6, sizeof d6);
	in = out = 128;
	setup_done();
	syscall(SYS_recvfrom, d, ab + 200, 10, 0, ab, &out);
	emit_ctx("recvfrom inet6", "recvfrom", 4, ab, min(in, out), "in=%d out=%d", in, out);
	return 0;
}
