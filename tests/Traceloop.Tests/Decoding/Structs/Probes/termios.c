/* struct termios (TCGETS at exit, TCSETS* at enter) and struct winsize on a pseudo-terminal. */
#include "probe.h"
#include <fcntl.h>
#include <stdint.h>
#include <asm/termbits.h>
#include <sys/ioctl.h>

int posix_openpt(int);
int grantpt(int);
int unlockpt(int);
char *ptsname(int);

static void tcsets(const char *name, int fd, unsigned long req, const char *reqname, const struct termios *t)
{
	setup_done();
	syscall(SYS_ioctl, fd, req, t);
	emit(name, "ioctl", 2, t, sizeof *t);
}

static void fake(const char *name, int fd, uint32_t i, uint32_t o, uint32_t c, uint32_t l)
{
	struct termios t;
	memset(&t, 0, sizeof t);
	t.c_iflag = i;
	t.c_oflag = o;
	t.c_cflag = c;
	t.c_lflag = l;
	t.c_line = 0;
	/* TCSETS on an fd that is no tty: the kernel refuses, strace still prints the struct. */
	tcsets(name, fd, TCSETS, "TCSETS", &t);
}

int main(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	grantpt(m);
	unlockpt(m);
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);
	struct termios t;
	setup_done();
	syscall(SYS_ioctl, s, TCGETS, &t);
	emit("TCGETS default", "ioctl", 2, &t, sizeof t);
	struct termios raw = t;
	raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	raw.c_oflag &= ~OPOST;
	raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag &= ~(CSIZE | PARENB | CBAUD);
	raw.c_cflag |= CS8 | B115200;
	tcsets("TCSETS raw", s, TCSETS, "TCSETS", &raw);
	tcsets("TCSETSW", s, TCSETSW, "TCSETSW", &t);
	tcsets("TCSETSF", s, TCSETSF, "TCSETSF", &t);
	setup_done();
	syscall(SYS_ioctl, s, TCGETS, &t);
	emit("TCGETS after", "ioctl", 2, &t, sizeof t);
	int p[2];
	pipe(p);
	fake("termios zero", p[0], 0, 0, 0, 0);
	fake("termios all ones", p[0], ~0u, ~0u, ~0u, ~0u);
	fake("termios B9600 CS7 PARENB", p[0], ICRNL | IXON | IUTF8, OPOST | ONLCR, B9600 | CS7 | PARENB | CREAD | HUPCL | CLOCAL, ISIG | ECHOE);
	fake("termios delays", p[0], 0, NL1 | CR2 | TAB3 | BS1 | VT1 | FF1, B0, ECHOCTL | ECHOKE | PENDIN | FLUSHO | TOSTOP | EXTPROC);
	fake("termios CBAUDEX", p[0], 0, CR3 | TAB1, B4000000 | CMSPAR | CRTSCTS, XCASE);

	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	setup_done();
	syscall(SYS_ioctl, s, TIOCSWINSZ, &ws);
	emit("TIOCSWINSZ", "ioctl", 2, &ws, sizeof ws);
	setup_done();
	syscall(SYS_ioctl, s, TIOCGWINSZ, &ws);
	emit("TIOCGWINSZ", "ioctl", 2, &ws, sizeof ws);
	ws.ws_row = 65535;
	ws.ws_col = 1;
	ws.ws_xpixel = 640;
	ws.ws_ypixel = 480;
	setup_done();
	syscall(SYS_ioctl, m, TIOCSWINSZ, &ws);
	emit("TIOCSWINSZ master", "ioctl", 2, &ws, sizeof ws);
	return 0;
}
