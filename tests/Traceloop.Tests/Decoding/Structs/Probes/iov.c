/*
 * Buffers (read, write, sendto, recvfrom), iovec arrays (readv, writev, preadv, pwritev) and
 * struct msghdr (sendmsg, recvmsg), in the payload layouts the recorder defines (see
 * recorder/Traceloop.Recorder/Decoding/Structs/IoVec.cs and MsgHdr.cs): each buffer is
 * captured up to 32 bytes, as strace -s 32 prints it.
 */
#include "probe.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define CAP 32

static unsigned char out[65536];
static size_t outlen;

static void put(const void *p, size_t n)
{
	memcpy(out + outlen, p, n);
	outlen += n;
}

static void put_u32(uint32_t v) { put(&v, 4); }

/* count, pad, the iovecs, then each buffer as u32 length + bytes; data_size limits the bytes (readv). */
static void put_iov(const struct iovec *iov, int n, int64_t data_size)
{
	put_u32(n);
	put_u32(0);
	put(iov, n * sizeof *iov);
	for (int i = 0; i < n; i++) {
		uint64_t len = iov[i].iov_len;
		if (data_size >= 0 && len > (uint64_t)data_size)
			len = data_size;
		if (data_size >= 0)
			data_size -= len;
		uint32_t got = len > CAP ? CAP : len;
		put_u32(got);
		put(iov[i].iov_base, got);
	}
}

static void put_msghdr(const struct msghdr *m, int64_t data_size, int namelen)
{
	put(m, sizeof *m);
	uint32_t nl = namelen < 0 ? 0 : namelen > 128 ? 128 : namelen;
	if (!m->msg_name)
		nl = 0;
	put_u32(nl);
	put(m->msg_name, nl);
	put_iov(m->msg_iov, m->msg_iovlen, data_size);
	uint32_t cl = m->msg_control ? m->msg_controllen : 0;
	put_u32(cl);
	put(m->msg_control, cl);
}

static void buffer(const char *name, const char *sys, int arg, const void *p, size_t len)
{
	size_t got = len > CAP ? CAP : len;
	emit_ctx(name, sys, arg, p, got, "len=%zu", len);
}

int main(void)
{
	int p[2];
	pipe(p);
	setup_done();
	syscall(SYS_write, p[1], "hello\n", 6);
	buffer("write", "write", 1, "hello\n", 6);
	static const char bin[] = "\0\1\2\3\37 7\177\200\377\"\\\t\r\v\f\a\b\x1b" "9z";
	setup_done();
	syscall(SYS_write, p[1], bin, sizeof bin - 1);
	buffer("write binary", "write", 1, bin, sizeof bin - 1);
	static const char longtext[] = "The quick brown fox jumps over the lazy dog";
	setup_done();
	syscall(SYS_write, p[1], longtext, sizeof longtext - 1);
	buffer("write long", "write", 1, longtext, sizeof longtext - 1);
	setup_done();
	syscall(SYS_write, p[1], longtext, 32);
	buffer("write 32", "write", 1, longtext, 32);
	setup_done();
	syscall(SYS_write, p[1], longtext, 33);
	buffer("write 33", "write", 1, longtext, 33);
	setup_done();
	syscall(SYS_write, p[1], "", 0);
	buffer("write empty", "write", 1, "", 0);
	char rb[256];
	setup_done();
	long n = syscall(SYS_read, p[0], rb, sizeof rb);
	buffer("read", "read", 1, rb, n);

	struct iovec iov[40] = { { "hello", 5 }, { "world\n", 6 } };
	outlen = 0;
	put_iov(iov, 2, -1);
	setup_done();
	syscall(SYS_writev, p[1], iov, 2);
	emit("writev", "writev", 1, out, outlen);

	char r1[3], r2[50], r3[10];
	struct iovec riov[3] = { { r1, 3 }, { r2, 50 }, { r3, 10 } };
	setup_done();
	n = syscall(SYS_readv, p[0], riov, 3);
	outlen = 0;
	put_iov(riov, 3, n);
	emit("readv", "readv", 1, out, outlen);

	iov[0] = (struct iovec){ (void *)longtext, 43 };
	iov[1] = (struct iovec){ NULL, 0 };
	iov[2] = (struct iovec){ (void *)bin, 4 };
	outlen = 0;
	put_iov(iov, 3, -1);
	setup_done();
	syscall(SYS_writev, p[1], iov, 3);
	emit("writev long, empty, binary", "writev", 1, out, outlen);
	n = syscall(SYS_readv, p[0], riov, 3);

	for (int i = 0; i < 40; i++)
		iov[i] = (struct iovec){ "ab", 2 };
	outlen = 0;
	put_iov(iov, 40, -1);
	setup_done();
	syscall(SYS_writev, p[1], iov, 40);
	emit("writev 40 entries", "writev", 1, out, outlen);
	read(p[0], rb, sizeof rb);

	int f = open("/tmp/tl-probe-iov", O_CREAT | O_RDWR | O_TRUNC, 0600);
	iov[0] = (struct iovec){ "abc", 3 };
	iov[1] = (struct iovec){ "defgh", 5 };
	outlen = 0;
	put_iov(iov, 2, -1);
	setup_done();
	syscall(SYS_pwritev, f, iov, 2, 0, 0);
	emit("pwritev", "pwritev", 1, out, outlen);
	riov[0] = (struct iovec){ r1, 3 };
	riov[1] = (struct iovec){ r2, 50 };
	setup_done();
	n = syscall(SYS_preadv, f, riov, 2, 2, 0);
	outlen = 0;
	put_iov(riov, 2, n);
	emit("preadv", "preadv", 1, out, outlen);
	setup_done();
	n = syscall(SYS_preadv, f, riov, 2, 100, 0);
	outlen = 0;
	put_iov(riov, 2, n);
	emit("preadv at end of file", "preadv", 1, out, outlen);
	unlink("/tmp/tl-probe-iov");

	/* msghdr */
	int sp[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
	struct iovec miov[2] = { { "hello", 5 }, { "world", 5 } };
	struct msghdr m = { .msg_iov = miov, .msg_iovlen = 2 };
	outlen = 0;
	put_msghdr(&m, -1, 0);
	setup_done();
	syscall(SYS_sendmsg, sp[0], &m, 0);
	emit("sendmsg", "sendmsg", 1, out, outlen);

	union { char buf[CMSG_SPACE(sizeof(int) * 2)]; struct cmsghdr align; } c;
	memset(&c, 0, sizeof c);
	m.msg_control = c.buf;
	m.msg_controllen = sizeof c.buf;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * 2);
	int fds[2] = { 0, 1 };
	memcpy(CMSG_DATA(cm), fds, sizeof fds);
	outlen = 0;
	put_msghdr(&m, -1, 0);
	setup_done();
	syscall(SYS_sendmsg, sp[0], &m, MSG_DONTWAIT);
	emit("sendmsg SCM_RIGHTS", "sendmsg", 1, out, outlen);

	char m1[3], m2[100], mc[64];
	struct iovec mriov[2] = { { m1, 3 }, { m2, 100 } };
	struct msghdr rm = { .msg_iov = mriov, .msg_iovlen = 2, .msg_control = mc, .msg_controllen = sizeof mc };
	setup_done();
	n = syscall(SYS_recvmsg, sp[1], &rm, 0);
	outlen = 0;
	put_msghdr(&rm, n, 0);
	emit_ctx("recvmsg", "recvmsg", 1, out, outlen, "namelen=0");
	rm.msg_controllen = sizeof mc;
	setup_done();
	n = syscall(SYS_recvmsg, sp[1], &rm, MSG_CMSG_CLOEXEC);
	outlen = 0;
	put_msghdr(&rm, n, 0);
	emit_ctx("recvmsg SCM_RIGHTS", "recvmsg", 1, out, outlen, "namelen=0");

	struct { struct cmsghdr h; struct ucred cr; } cred = { { CMSG_LEN(sizeof(struct ucred)), SOL_SOCKET, SCM_CREDENTIALS }, { 1234, 0, 0 } };
	m.msg_control = &cred;
	m.msg_controllen = sizeof cred;
	outlen = 0;
	put_msghdr(&m, -1, 0);
	setup_done();
	syscall(SYS_sendmsg, sp[0], &m, 0);
	emit("sendmsg SCM_CREDENTIALS", "sendmsg", 1, out, outlen);

	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
	a.sin_addr.s_addr = inet_addr("127.0.0.1");
	bind(u, (void *)&a, sizeof a);
	int on = 1;
	setsockopt(u, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on);
	struct msghdr um = { .msg_name = &a, .msg_namelen = sizeof a, .msg_iov = miov, .msg_iovlen = 1 };
	outlen = 0;
	put_msghdr(&um, -1, sizeof a);
	setup_done();
	syscall(SYS_sendmsg, u, &um, 0);
	emit("sendmsg name", "sendmsg", 1, out, outlen);
	syscall(SYS_sendmsg, u, &um, 0);
	syscall(SYS_sendmsg, u, &um, 0);
	struct sockaddr_in6 from;
	struct msghdr fm = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = mriov, .msg_iovlen = 2, .msg_control = mc, .msg_controllen = sizeof mc };
	setup_done();
	n = syscall(SYS_recvmsg, u, &fm, 0);
	outlen = 0;
	put_msghdr(&fm, n, sizeof from < fm.msg_namelen ? sizeof from : fm.msg_namelen);
	emit_ctx("recvmsg name and timestamp", "recvmsg", 1, out, outlen, "namelen=%zu", sizeof from);
	fm.msg_namelen = 4;
	fm.msg_controllen = 8;
	setup_done();
	n = syscall(SYS_recvmsg, u, &fm, 0);
	outlen = 0;
	put_msghdr(&fm, n, 4);
	emit_ctx("recvmsg short name and control", "recvmsg", 1, out, outlen, "namelen=4");
	struct iovec liov = { (void *)longtext, 40 };
	struct msghdr lm = { .msg_iov = &liov, .msg_iovlen = 1, .msg_flags = MSG_EOR };
	outlen = 0;
	put_msghdr(&lm, -1, 0);
	setup_done();
	syscall(SYS_sendmsg, sp[0], &lm, 0);
	emit("sendmsg long", "sendmsg", 1, out, outlen);

	/* Synthetic control messages: sendmsg decodes at entry, whatever the kernel says. */
	static const struct { int level, type; int len; const char *data; const char *name; } cms[] = {
		{ SOL_SOCKET, 3, 5, "ctx\0\1", "SCM_SECURITY" },
		{ SOL_SOCKET, 29, 16, "\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0", "SO_TIMESTAMP_OLD" },
		{ SOL_SOCKET, 29, 8, "\x01\0\0\0\0\0\0\0", "SO_TIMESTAMP_OLD short" },
		{ SOL_SOCKET, 35, 16, "\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0", "SO_TIMESTAMPNS_OLD" },
		{ SOL_SOCKET, 37, 48, "\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\0\x04\0\0\0\0\0\0\0\x05\0\0\0\0\0\0\0\x06\0\0\0\0\0\0\0", "SO_TIMESTAMPING_OLD" },
		{ SOL_SOCKET, 37, 20, "\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\x03\0\0\0", "SO_TIMESTAMPING_OLD short" },
		{ SOL_SOCKET, 63, 16, "\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0", "SO_TIMESTAMP_NEW" },
		{ SOL_SOCKET, 64, 16, "\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0", "SO_TIMESTAMPNS_NEW" },
		{ SOL_SOCKET, 65, 48, "\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\0\x04\0\0\0\0\0\0\0\x05\0\0\0\0\0\0\0\x06\0\0\0\0\0\0\0", "SO_TIMESTAMPING_NEW" },
		{ SOL_SOCKET, 4, 4, "\x07\0\0\0", "type 4" },
		{ SOL_SOCKET, 41, 4, "\x07\0\0\0", "type 41" },
		{ SOL_SOCKET, 61, 4, "\x07\0\0\0", "type 61" },
		{ SOL_SOCKET, 0x36, 4, "\x07\0\0\0", "type 0x36" },
		{ SOL_SOCKET, 0x3a, 4, "\x07\0\0\0", "type 0x3a" },
		{ SOL_SOCKET, 0x4e, 4, "\x07\0\0\0", "type 0x4e" },
		{ SOL_SOCKET, 99, 4, "\x07\0\0\0", "unknown socket type" },
		{ SOL_SOCKET, SCM_RIGHTS, 3, "\x07\0\0", "SCM_RIGHTS short" },
		{ SOL_SOCKET, SCM_RIGHTS, 0, "", "SCM_RIGHTS empty" },
		{ SOL_SOCKET, SCM_CREDENTIALS, 8, "\x07\0\0\0\x07\0\0\0", "SCM_CREDENTIALS short" },
		{ SOL_SOCKET, SCM_CREDENTIALS, 12, "\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff", "SCM_CREDENTIALS no ids" },
		{ SOL_SOCKET, SCM_RIGHTS, 140, "\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0\x03\0\0\0", "SCM_RIGHTS 35 fds" },
		{ SOL_IP, 1, 1, "\x10", "IP_TOS" },
		{ SOL_IP, 2, 4, "\x40\0\0\0", "IP_TTL" },
		{ SOL_IP, 6, 3, "\x01\x02\x03", "IP_RECVOPTS" },
		{ SOL_IP, 7, 2, "\x01\x02", "IP_RETOPTS" },
		{ SOL_IP, 8, 12, "\x07\x30\0\0\x7f\0\0\x01\x0a\0\0\x02", "IP_PKTINFO" },
		{ SOL_IP, 11, 32, "\x6f\0\0\0\x02\x03\x04\0\x05\0\0\0\x06\0\0\0\x02\0\x00\x35\x08\x08\x08\x08\0\0\0\0\0\0\0\0", "IP_RECVERR" },
		{ SOL_IP, 20, 16, "\x02\0\x1f\x90\x0a\0\0\x01\0\0\0\0\0\0\0\0", "IP_ORIGDSTADDR" },
		{ SOL_IP, 23, 8, "\x01\0\0\0\x02\0\0\0", "IP_CHECKSUM" },
		{ SOL_IP, 52, 4, "\x06\0\0\0", "IP_PROTOCOL" },
		{ SOL_IP, 3, 4, "\x06\0\0\0", "IP unknown" },
		{ SOL_IP, 1, 0, "", "IP_TOS empty" },
		{ 6, 1, 4, "abcd", "SOL_TCP" },
		{ 41, 50, 4, "abcd", "SOL_IPV6" },
		{ 282, 1, 4, "abcd", "SOL_TLS" },
		{ 283, 1, 4, "abcd", "SOL_XDP" },
		{ 284, 1, 4, "abcd", "SOL 284" },
		{ 40, 1, 4, "abcd", "level 40" },
		{ -1, -1, 4, "abcd", "level -1" },
	};
	for (unsigned i = 0; i < sizeof cms / sizeof cms[0]; i++) {
		union { char buf[256]; struct cmsghdr align; } cb;
		memset(&cb, 0, sizeof cb);
		struct cmsghdr *h = (struct cmsghdr *)cb.buf;
		h->cmsg_len = CMSG_LEN(cms[i].len);
		h->cmsg_level = cms[i].level;
		h->cmsg_type = cms[i].type;
		memcpy(CMSG_DATA(h), cms[i].data, cms[i].len);
		struct msghdr sm = { .msg_iov = miov, .msg_iovlen = 1, .msg_control = cb.buf, .msg_controllen = CMSG_SPACE(cms[i].len) };
		outlen = 0;
		put_msghdr(&sm, -1, 0);
		setup_done();
		syscall(SYS_sendmsg, -1, &sm, 0);
		emit(cms[i].name, "sendmsg", 1, out, outlen);
	}

	/* Two messages, then truncated and malformed control buffers. */
	{
		union { char buf[256]; struct cmsghdr align; } cb;
		memset(&cb, 0, sizeof cb);
		struct cmsghdr *h = (struct cmsghdr *)cb.buf;
		h->cmsg_len = CMSG_LEN(4);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(h), "\x05\0\0\0", 4);
		struct cmsghdr *h2 = (struct cmsghdr *)(cb.buf + CMSG_SPACE(4));
		h2->cmsg_len = CMSG_LEN(1);
		h2->cmsg_level = SOL_IP;
		h2->cmsg_type = 1;
		CMSG_DATA(h2)[0] = 0x20;
		struct msghdr sm = { .msg_iov = miov, .msg_iovlen = 1, .msg_control = cb.buf, .msg_controllen = CMSG_SPACE(4) + CMSG_SPACE(1) };
		static const struct { int controllen; const char *name; } cuts[] = {
			{ CMSG_SPACE(4) + CMSG_SPACE(1), "two control messages" },
			{ CMSG_SPACE(4) + CMSG_LEN(1), "second message unpadded" },
			{ CMSG_SPACE(4) + 8, "second header cut" },
			{ CMSG_SPACE(4) + 16, "second header only" },
			{ CMSG_LEN(2), "first data cut" },
			{ 15, "control shorter than a header" },
			{ 0, "controllen 0 with pointer" },
			{ CMSG_SPACE(4) + CMSG_SPACE(1) + 40, "trailing bytes" },
		};
		for (unsigned i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
			sm.msg_controllen = cuts[i].controllen;
			outlen = 0;
			put_msghdr(&sm, -1, 0);
			setup_done();
			syscall(SYS_sendmsg, -1, &sm, 0);
			emit(cuts[i].name, "sendmsg", 1, out, outlen);
		}
		h->cmsg_len = 200;
		sm.msg_controllen = CMSG_SPACE(4);
		outlen = 0;
		put_msghdr(&sm, -1, 0);
		setup_done();
		syscall(SYS_sendmsg, -1, &sm, 0);
		emit("cmsg_len beyond control", "sendmsg", 1, out, outlen);
		h->cmsg_len = 3;
		outlen = 0;
		put_msghdr(&sm, -1, 0);
		setup_done();
		syscall(SYS_sendmsg, -1, &sm, 0);
		emit("cmsg_len below header", "sendmsg", 1, out, outlen);
	}

	struct msghdr fl = { .msg_iov = miov, .msg_iovlen = 1, .msg_flags = -1 };
	outlen = 0;
	put_msghdr(&fl, -1, 0);
	setup_done();
	syscall(SYS_sendmsg, -1, &fl, 0);
	emit("msg_flags all bits", "sendmsg", 1, out, outlen);
	fl.msg_flags = 0x1000000;
	outlen = 0;
	put_msghdr(&fl, -1, 0);
	setup_done();
	syscall(SYS_sendmsg, -1, &fl, 0);
	emit("msg_flags unknown bit", "sendmsg", 1, out, outlen);
	struct sockaddr_in6 six = { .sin6_family = AF_INET6 };
	struct msghdr nm = { .msg_name = &six, .msg_namelen = 1, .msg_iov = NULL, .msg_iovlen = 0 };
	outlen = 0;
	put_msghdr(&nm, -1, 1);
	setup_done();
	syscall(SYS_sendmsg, -1, &nm, 0);
	emit("name too short, no iov", "sendmsg", 1, out, outlen);
	return 0;
}
