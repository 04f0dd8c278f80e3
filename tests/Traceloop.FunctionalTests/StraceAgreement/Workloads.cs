namespace Traceloop.FunctionalTests.StraceAgreement;

/// <summary>
/// The corpus. The C programs call libc the ordinary way, so the syscalls are the ones real programs make
/// (glibc picks openat for open, newfstatat for stat, clone for fork, clone3 for threads).
/// </summary>
internal static class Workloads
{
    public static IReadOnlyList<Workload> All { get; } =
    [
        new("files", "openat, read, write, pread64, lseek, close, newfstatat, getdents64, unlink, rename, mkdir, rmdir, readlink, symlink, getcwd, chdir, dup*, fcntl",
            [], FilesSource),
        new("processes", "pipe2, clone (fork), clone3 (thread), execve, wait4, kill, exit_group, getpid/getppid", [], ProcessesSource),
        new("network", "socket, setsockopt/getsockopt, bind, listen, getsockname, connect, accept4, sendto/recvfrom, sendmsg/recvmsg, shutdown, ECONNREFUSED, UDP, AF_INET6, AF_UNIX",
            [], NetworkSource),
        new("memory", "mmap, mprotect, munmap, mremap, madvise, brk", [], MemorySource),
        new("failures", "ENOENT, EEXIST, EBADF, ENOTDIR, EISDIR, ENOTEMPTY, ESRCH, EINVAL, EFAULT, and EACCES as nobody (setuid 65534)",
            [], FailuresSource),
        new("signals", "rt_sigaction, rt_sigprocmask, SIGUSR1 to a handler, SIGCHLD, a child killed by SIGSEGV and one by SIGTERM",
            [], SignalsSource),
        new("io", "readv/writev, poll/ppoll, pselect6, epoll, eventfd2, memfd_create, sendfile, ioctl, statx, utimensat, umask, uname, getrlimit, sysinfo, getuid/geteuid",
            [], IoSource),
        new("shell", "busybox sh: ls -la, cat, redirections, a pipeline, mkdir/rmdir, ln -s, readlink, rm",
            ["sh", "-c", "cd /tmp && ls -la /etc && cat /etc/passwd > p && wc -l p && echo hello | tr a-z A-Z && mkdir d && rmdir d && ln -s /etc/hosts h && readlink h && rm p h && ls /nonexistent; exit 0"]),
    ];

    private const string FilesSource = """
        #define _GNU_SOURCE
        #include <dirent.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/stat.h>
        #include <unistd.h>

        int main(void)
        {
            char buf[256];
            struct stat st;
            static const char text[] = "hello, strace agreement\nsecond line of the file\n";

            mkdir("/tmp/w", 0755);
            chdir("/tmp/w");
            getcwd(buf, sizeof buf);
            int fd = open("a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
            write(fd, text, sizeof text - 1);
            fsync(fd);
            close(fd);

            fd = openat(AT_FDCWD, "a.txt", O_RDONLY | O_CLOEXEC);
            read(fd, buf, sizeof buf);
            lseek(fd, 7, SEEK_SET);
            read(fd, buf, 6);
            pread(fd, buf, 5, 0);
            fstat(fd, &st);
            int copy = dup(fd);
            dup2(fd, 10);
            dup3(fd, 11, O_CLOEXEC);
            fcntl(fd, F_GETFL);
            fcntl(fd, F_SETFD, FD_CLOEXEC);
            fcntl(fd, F_DUPFD_CLOEXEC, 20);
            close(copy);
            close(10);
            close(11);
            close(fd);

            stat("a.txt", &st);
            symlink("a.txt", "link");
            lstat("link", &st);
            ssize_t n = readlink("link", buf, sizeof buf);
            rename("a.txt", "b.txt");
            access("b.txt", R_OK | W_OK);
            chmod("b.txt", 0600);
            truncate("b.txt", 10);
            link("b.txt", "c.txt");
            mkdir("sub", 0700);
            rmdir("sub");

            DIR *dir = opendir(".");
            int entries = 0;
            while (readdir(dir) != NULL)
            {
                entries++;
            }
            closedir(dir);

            unlink("link");
            unlinkat(AT_FDCWD, "c.txt", 0);
            unlink("b.txt");
            chdir("/");
            rmdir("/tmp/w");
            printf("files: %d entries, link of %zd bytes\n", entries, n);
            return 0;
        }
        """;

    private const string ProcessesSource = """
        #define _GNU_SOURCE
        #include <pthread.h>
        #include <signal.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/wait.h>
        #include <unistd.h>

        static void *thread_main(void *arg)
        {
            write(1, "thread\n", 7);
            return arg;
        }

        int main(void)
        {
            int fds[2];
            char buf[64];
            int status;

            getpid();
            getppid();
            pipe(fds);
            pid_t child = fork();
            if (child == 0)
            {
                close(fds[0]);
                write(fds[1], "from the child", 14);
                close(fds[1]);
                _exit(3);
            }
            close(fds[1]);
            ssize_t n = read(fds[0], buf, sizeof buf);
            close(fds[0]);
            waitpid(child, &status, 0);

            child = fork();
            if (child == 0)
            {
                char *argv[] = { "true", NULL };
                char *envp[] = { "A=1", "B=2", NULL };
                execve("/bin/true", argv, envp);
                _exit(127);
            }
            waitpid(child, &status, 0);

            child = fork();
            if (child == 0)
            {
                char *argv[] = { "echo", "exec'd", "echo", NULL };
                execv("/bin/echo", argv);
                _exit(127);
            }
            wait4(child, &status, 0, NULL);

            pipe(fds);
            child = fork();
            if (child == 0)
            {
                close(fds[1]);
                read(fds[0], buf, 1);
                _exit(0);
            }
            close(fds[0]);
            kill(child, SIGTERM);
            waitpid(child, &status, 0);
            close(fds[1]);

            pthread_t thread;
            pthread_create(&thread, NULL, thread_main, NULL);
            pthread_join(thread, NULL);

            printf("processes: read %zd bytes, last status %#x\n", n, status);
            return 0;
        }
        """;

    private const string NetworkSource = """
        #define _GNU_SOURCE
        #include <arpa/inet.h>
        #include <netinet/in.h>
        #include <netinet/tcp.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <sys/un.h>
        #include <unistd.h>

        int main(void)
        {
            char buf[128];
            int one = 1;
            socklen_t len;

            int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(7777), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
            bind(listener, (struct sockaddr *)&addr, sizeof addr);
            listen(listener, 8);
            struct sockaddr_in bound;
            len = sizeof bound;
            getsockname(listener, (struct sockaddr *)&bound, &len);

            int client = socket(AF_INET, SOCK_STREAM, 0);
            setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            connect(client, (struct sockaddr *)&addr, sizeof addr);
            struct sockaddr_in peer;
            len = sizeof peer;
            int server = accept4(listener, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
            int error = -1;
            len = sizeof error;
            getsockopt(client, SOL_SOCKET, SO_ERROR, &error, &len);
            int type = -1;
            len = sizeof type;
            getsockopt(server, SOL_SOCKET, SO_TYPE, &type, &len);
            len = sizeof peer;
            getpeername(client, (struct sockaddr *)&peer, &len);

            send(client, "GET / HTTP/1.0\r\n\r\n", 18, 0);
            recv(server, buf, sizeof buf, 0);
            sendto(server, "HTTP/1.0 200 OK\r\n", 17, MSG_NOSIGNAL, NULL, 0);
            recvfrom(client, buf, sizeof buf, 0, NULL, NULL);
            shutdown(client, SHUT_WR);
            recv(server, buf, sizeof buf, 0);
            close(server);
            close(client);
            close(listener);

            int refused = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in closed = { .sin_family = AF_INET, .sin_port = htons(1), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
            connect(refused, (struct sockaddr *)&closed, sizeof closed);
            close(refused);

            int udp = socket(AF_INET, SOCK_DGRAM, 0);
            struct sockaddr_in uaddr = { .sin_family = AF_INET, .sin_port = htons(7778), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
            bind(udp, (struct sockaddr *)&uaddr, sizeof uaddr);
            sendto(udp, "datagram", 8, 0, (struct sockaddr *)&uaddr, sizeof uaddr);
            struct sockaddr_in from;
            len = sizeof from;
            recvfrom(udp, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
            close(udp);

            int six = socket(AF_INET6, SOCK_STREAM, 0);
            struct sockaddr_in6 addr6 = { .sin6_family = AF_INET6, .sin6_port = htons(7779), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
            bind(six, (struct sockaddr *)&addr6, sizeof addr6);
            close(six);

            int pair[2];
            socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
            struct iovec iov = { .iov_base = "over a socketpair", .iov_len = 17 };
            struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
            sendmsg(pair[0], &msg, 0);
            struct iovec riov = { .iov_base = buf, .iov_len = sizeof buf };
            struct msghdr rmsg = { .msg_iov = &riov, .msg_iovlen = 1 };
            recvmsg(pair[1], &rmsg, 0);
            close(pair[0]);
            close(pair[1]);

            int unix_socket = socket(AF_UNIX, SOCK_STREAM, 0);
            struct sockaddr_un uname = { .sun_family = AF_UNIX, .sun_path = "/tmp/agree.sock" };
            bind(unix_socket, (struct sockaddr *)&uname, sizeof uname);
            close(unix_socket);
            unlink("/tmp/agree.sock");

            printf("network: error %d, type %d\n", error, type);
            return 0;
        }
        """;

    private const string MemorySource = """
        #define _GNU_SOURCE
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/mman.h>
        #include <unistd.h>

        int main(void)
        {
            size_t page = 4096;
            char *a = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            memset(a, 1, 4 * page);
            mprotect(a + page, page, PROT_READ);
            madvise(a, 4 * page, MADV_DONTNEED);
            char *b = mremap(a, 4 * page, 8 * page, MREMAP_MAYMOVE);
            munmap(b, 8 * page);

            char *fixed = mmap((void *)0x200000000000, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            mprotect(fixed, page, PROT_READ | PROT_WRITE | PROT_EXEC);
            munmap(fixed, page);

            int fd = open("/etc/passwd", O_RDONLY);
            char *file = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
            close(fd);
            msync(file, page, MS_SYNC);
            munmap(file, page);

            void *start = sbrk(0);
            brk((char *)start + 8 * page);
            brk(start);
            char *big = malloc(1 << 20);
            free(big);

            mlock(&page, sizeof page);
            munlock(&page, sizeof page);
            printf("memory: mapped %d\n", file != MAP_FAILED);
            return 0;
        }
        """;

    private const string FailuresSource = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <signal.h>
        #include <stdio.h>
        #include <sys/socket.h>
        #include <sys/stat.h>
        #include <unistd.h>

        int main(void)
        {
            char buf[16];
            int failures = 0;

            failures += open("/nonexistent/file", O_RDONLY) < 0;
            failures += openat(AT_FDCWD, "/etc/missing.conf", O_RDONLY | O_CLOEXEC) < 0;
            failures += mkdir("/tmp", 0755) < 0;
            failures += close(999) < 0;
            failures += read(-1, buf, sizeof buf) < 0;
            failures += write(42, "x", 1) < 0;
            failures += open("/etc/passwd/child", O_RDONLY) < 0;
            failures += open("/tmp", O_WRONLY) < 0;
            mkdir("/tmp/full", 0755);
            int fd = open("/tmp/full/f", O_CREAT | O_WRONLY, 0600);
            close(fd);
            failures += rmdir("/tmp/full") < 0;
            failures += unlink("/tmp/no-such-file") < 0;
            failures += kill(99999, 0) < 0;
            failures += lseek(0, 0, 42) < 0;
            failures += access(NULL, F_OK) < 0;
            failures += socket(12345, SOCK_STREAM, 0) < 0;
            failures += open("/etc/passwd", O_WRONLY) < 0;
            failures += chdir("/etc/passwd") < 0;

            fd = open("/tmp/secret", O_CREAT | O_WRONLY, 0000);
            close(fd);
            mkdir("/tmp/locked", 0700);
            setgid(65534);
            setuid(65534);
            failures += open("/tmp/secret", O_RDONLY) < 0;
            failures += open("/tmp/locked/x", O_CREAT | O_WRONLY, 0644) < 0;
            failures += unlink("/tmp/secret") < 0;
            failures += setuid(0) < 0;
            failures += kill(1, 0) < 0;
            printf("failures: %d\n", failures);
            return 0;
        }
        """;

    private const string IoSource = """
        #define _GNU_SOURCE
        #include <fcntl.h>
        #include <poll.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/epoll.h>
        #include <sys/eventfd.h>
        #include <sys/ioctl.h>
        #include <sys/mman.h>
        #include <sys/resource.h>
        #include <sys/select.h>
        #include <sys/sendfile.h>
        #include <sys/stat.h>
        #include <sys/sysinfo.h>
        #include <sys/uio.h>
        #include <sys/utsname.h>
        #include <termios.h>
        #include <time.h>
        #include <unistd.h>

        int main(void)
        {
            char a[8], b[16];
            int fds[2];
            pipe2(fds, O_CLOEXEC | O_NONBLOCK);
            struct iovec out[2] = { { "vectored ", 9 }, { "write", 5 } };
            writev(fds[1], out, 2);
            struct iovec in[2] = { { a, sizeof a }, { b, sizeof b } };
            readv(fds[0], in, 2);

            struct pollfd pfd[2] = { { .fd = fds[0], .events = POLLIN }, { .fd = fds[1], .events = POLLOUT } };
            poll(pfd, 2, 0);
            struct timespec zero = { 0, 0 };
            ppoll(pfd, 1, &zero, NULL);
            fd_set readable;
            FD_ZERO(&readable);
            FD_SET(fds[0], &readable);
            struct timeval tv = { 0, 1000 };
            select(fds[0] + 1, &readable, NULL, NULL, &tv);

            int ep = epoll_create1(EPOLL_CLOEXEC);
            struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[0] };
            epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
            write(fds[1], "x", 1);
            struct epoll_event got[4];
            epoll_wait(ep, got, 4, 100);
            ev.events = EPOLLIN | EPOLLET;
            epoll_ctl(ep, EPOLL_CTL_MOD, fds[0], &ev);
            /* DEL ignores its event: strace prints the address, and so must the recorder, which does not read it. */
            epoll_ctl(ep, EPOLL_CTL_DEL, fds[0], &ev);
            close(ep);

            int efd = eventfd(3, EFD_CLOEXEC);
            unsigned long long value;
            read(efd, &value, sizeof value);
            close(efd);

            int mfd = memfd_create("agree", MFD_CLOEXEC);
            ftruncate(mfd, 4096);
            int src = open("/etc/passwd", O_RDONLY);
            off_t offset = 0;
            sendfile(mfd, src, &offset, 32);
            lseek(mfd, 0, SEEK_SET);
            close(src);
            close(mfd);

            struct winsize ws;
            ioctl(1, TIOCGWINSZ, &ws);
            struct termios t;
            ioctl(0, TCGETS, &t);
            int avail = 0;
            ioctl(fds[0], FIONREAD, &avail);

            struct statx sx;
            statx(AT_FDCWD, "/etc/hosts", AT_SYMLINK_NOFOLLOW, STATX_SIZE | STATX_MODE, &sx);
            int tmp = open("/tmp/times", O_CREAT | O_WRONLY, 0644);
            struct timespec times[2] = { { 1, 0 }, { 2, UTIME_OMIT } };
            futimens(tmp, times);
            utimensat(AT_FDCWD, "/tmp/times", NULL, 0);
            close(tmp);
            umask(022);
            struct utsname un;
            uname(&un);
            struct rlimit rl;
            getrlimit(RLIMIT_NOFILE, &rl);
            struct sysinfo si;
            sysinfo(&si);
            getuid();
            geteuid();
            getgid();
            gettid();
            struct timespec req = { 0, 1000 };
            nanosleep(&req, NULL);
            clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
            close(fds[0]);
            close(fds[1]);
            printf("io: %d bytes available, %d open files\n", avail, (int)rl.rlim_cur);
            return 0;
        }
        """;

    private const string SignalsSource = """
        #define _GNU_SOURCE
        #include <signal.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/wait.h>
        #include <unistd.h>

        static volatile sig_atomic_t usr1;
        static volatile sig_atomic_t chld;

        static void on_usr1(int signo) { usr1 = signo; }
        static void on_chld(int signo) { chld = signo; }

        int main(void)
        {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_usr1;
            sigemptyset(&sa.sa_mask);
            sa.sa_flags = SA_RESTART;
            sigaction(SIGUSR1, &sa, NULL);
            sa.sa_handler = on_chld;
            sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
            sigaction(SIGCHLD, &sa, NULL);
            signal(SIGPIPE, SIG_IGN);

            kill(getpid(), SIGUSR1);

            sigset_t set, old;
            sigemptyset(&set);
            sigaddset(&set, SIGUSR1);
            sigprocmask(SIG_BLOCK, &set, &old);
            kill(getpid(), SIGUSR1);
            sigpending(&set);
            sigprocmask(SIG_SETMASK, &old, NULL);

            int status;
            pid_t child = fork();
            if (child == 0)
            {
                _exit(7);
            }
            while (waitpid(child, &status, 0) < 0)
            {
            }

            child = fork();
            if (child == 0)
            {
                *(volatile int *)0 = 1;
                _exit(0);
            }
            while (waitpid(child, &status, 0) < 0)
            {
            }

            child = fork();
            if (child == 0)
            {
                kill(getpid(), SIGTERM);
                _exit(0);
            }
            while (waitpid(child, &status, 0) < 0)
            {
            }

            stack_t ss = { .ss_size = SIGSTKSZ };
            char stack[SIGSTKSZ];
            ss.ss_sp = stack;
            sigaltstack(&ss, NULL);
            alarm(0);
            printf("signals: usr1 %d, chld %d, status %#x\n", usr1, chld, status);
            return 0;
        }
        """;
}
