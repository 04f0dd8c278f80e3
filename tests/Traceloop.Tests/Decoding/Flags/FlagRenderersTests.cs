using System.Text;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Decoding.Flags;

namespace Traceloop.Tests.Decoding.Flags;

/// <summary>
/// Each family on readable values: zero, combinations, unknown bits. Every expected string is
/// what strace 6.1 printed for the same registers (the capture in StraceCaptures.g.cs holds
/// these and many more).
/// </summary>
public sealed class FlagRenderersTests
{
    private const ulong AT_FDCWD = unchecked((ulong)-100L);
    private const ulong Minus1 = ulong.MaxValue;

    internal static string Render(string syscall, int argIndex, params ulong[] registers)
    {
        Assert.True(SyscallTable.TryGetNumber(syscall, out int nr), syscall);
        var args = new ulong[6];
        registers.CopyTo(args, 0);
        var sb = new StringBuilder();
        Assert.True(ArgumentDecoders.TryAppend(nr, argIndex, args, sb), $"{syscall} has no renderer for argument {argIndex}");
        return sb.ToString();
    }

    internal static int[] Printed(string syscall, params ulong[] registers)
    {
        Assert.True(SyscallTable.TryGetNumber(syscall, out int nr), syscall);
        var args = new ulong[6];
        registers.CopyTo(args, 0);
        var order = new int[6];
        int count = ArgumentDecoders.GetPrintedArgs(nr, args, order);
        return order[..count];
    }

    [Theory]
    [InlineData(0x0UL, "O_RDONLY")]
    [InlineData(0x80000UL, "O_RDONLY|O_CLOEXEC")]
    [InlineData(0x241UL, "O_WRONLY|O_CREAT|O_TRUNC")]
    [InlineData(0x80241UL, "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC")]
    [InlineData(0x42UL, "O_RDWR|O_CREAT")]
    [InlineData(0x101000UL, "O_RDONLY|O_SYNC")]
    [InlineData(0x100000UL, "O_RDONLY|__O_SYNC")]
    [InlineData(0x410000UL, "O_RDONLY|O_TMPFILE")]
    [InlineData(0x400000UL, "O_RDONLY|__O_TMPFILE")]
    [InlineData(0x3UL, "O_ACCMODE")]
    [InlineData(0x40000000UL, "O_RDONLY|0x40000000")]
    [InlineData(0xffffffffUL, "O_ACCMODE|O_CREAT|O_EXCL|O_NOCTTY|O_TRUNC|O_APPEND|O_NONBLOCK|O_SYNC|O_DIRECT|O_LARGEFILE|O_NOFOLLOW|O_NOATIME|O_CLOEXEC|O_PATH|O_TMPFILE|FASYNC|0xff80003c")]
    public void OpenFlags(ulong flags, string expected) => Assert.Equal(expected, Render("openat", 2, AT_FDCWD, 0, flags, 0));

    [Fact]
    public void OpenPrintsTheModeOnlyWhenItCanCreate()
    {
        Assert.Equal([0, 1, 2], Printed("openat", AT_FDCWD, 0, 0x80000, 0x1a4 /* 0644 */));
        Assert.Equal([0, 1, 2, 3], Printed("openat", AT_FDCWD, 0, 0x241, 0x1a4 /* 0644 */));
        Assert.Equal([0, 1, 2, 3], Printed("openat", AT_FDCWD, 0, 0x400000, 0));
        Assert.Equal([0, 1], Printed("open", 0, 0x2, 0x180 /* 0600 */));
        Assert.Equal([0, 1, 2], Printed("open", 0, 0x41, 0x180 /* 0600 */));
        Assert.Equal("0644", Render("openat", 3, AT_FDCWD, 0, 0x41, 0x1a4 /* 0644 */));
        Assert.Equal("000", Render("openat", 3, AT_FDCWD, 0, 0x41, 0));
        Assert.Equal("0100644", Render("openat", 3, AT_FDCWD, 0, 0x41, 0x81a4 /* 0100644 */));
        Assert.Equal("AT_FDCWD", Render("openat", 0, AT_FDCWD, 0, 0, 0));
        Assert.Equal("AT_FDCWD", Render("openat", 0, 0xffffff9c, 0, 0, 0));
        Assert.Equal("-1", Render("openat", 0, Minus1, 0, 0, 0));
        Assert.Equal("O_CLOEXEC", Render("pipe2", 1, 0, 0x80000));
        Assert.Equal("0", Render("pipe2", 1, 0, 0));
        Assert.Equal("0x1 /* O_??? */", Render("dup3", 2, 3, 4, 1));
    }

    [Theory]
    [InlineData("newfstatat", 3, 0x1000UL, "AT_EMPTY_PATH")]
    [InlineData("newfstatat", 3, 0x0UL, "0")]
    [InlineData("newfstatat", 3, 0x1100UL, "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH")]
    [InlineData("newfstatat", 3, 0x1UL, "0x1 /* AT_??? */")]
    [InlineData("newfstatat", 3, 0x1101UL, "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH|0x1")]
    [InlineData("unlinkat", 2, 0x200UL, "AT_REMOVEDIR")]
    [InlineData("linkat", 4, 0x400UL, "AT_SYMLINK_FOLLOW")]
    [InlineData("faccessat2", 3, 0x200UL, "AT_EACCESS")]
    [InlineData("faccessat2", 3, 0x400UL, "0x400 /* AT_??? */")]
    [InlineData("statx", 2, 0x0UL, "AT_STATX_SYNC_AS_STAT")]
    [InlineData("statx", 2, 0x1100UL, "AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH")]
    [InlineData("statx", 2, 0x2000UL, "AT_STATX_FORCE_SYNC")]
    [InlineData("statx", 2, 0x1UL, "AT_STATX_SYNC_AS_STAT|0x1")]
    [InlineData("statx", 3, 0x7ffUL, "STATX_BASIC_STATS")]
    [InlineData("statx", 3, 0xfffUL, "STATX_ALL")]
    [InlineData("statx", 3, 0x17ffUL, "STATX_BASIC_STATS|STATX_MNT_ID")]
    [InlineData("statx", 3, 0x7feUL, "STATX_MODE|STATX_NLINK|STATX_UID|STATX_GID|STATX_ATIME|STATX_MTIME|STATX_CTIME|STATX_INO|STATX_SIZE|STATX_BLOCKS")]
    [InlineData("statx", 3, 0x4000UL, "0x4000 /* STATX_??? */")]
    [InlineData("renameat2", 4, 0x1UL, "RENAME_NOREPLACE")]
    [InlineData("renameat2", 4, 0x8UL, "0x8 /* RENAME_?? */")]
    public void AtFlags(string syscall, int index, ulong value, string expected)
    {
        var registers = new ulong[] { AT_FDCWD, 0, AT_FDCWD, 0, 0, 0 };
        registers[index] = value;
        Assert.Equal(expected, Render(syscall, index, registers));
    }

    [Theory]
    [InlineData(0x0UL, "F_OK")]
    [InlineData(0x4UL, "R_OK")]
    [InlineData(0x7UL, "R_OK|W_OK|X_OK")]
    [InlineData(0x5UL, "R_OK|X_OK")]
    [InlineData(0x8UL, "0x8 /* ?_OK */")]
    [InlineData(0xffUL, "R_OK|W_OK|X_OK|0xf8")]
    public void AccessModes(ulong mode, string expected)
    {
        Assert.Equal(expected, Render("access", 1, 0, mode));
        Assert.Equal(expected, Render("faccessat", 2, AT_FDCWD, 0, mode));
    }

    [Theory]
    [InlineData("chmod", 1, 0x1a4UL /* 0644 */, "0644")]
    [InlineData("chmod", 1, 0UL, "000")]
    [InlineData("chmod", 1, 0x7UL /* 07 */, "007")]
    [InlineData("chmod", 1, 0x9edUL /* 04755 */, "04755")]
    [InlineData("chmod", 1, 0xffffffffUL, "0177777")]
    [InlineData("umask", 0, 0x12UL /* 022 */, "022")]
    [InlineData("mkdir", 1, 0x1edUL /* 0755 */, "0755")]
    [InlineData("mknod", 1, 0x81a4UL /* 0100644 */, "S_IFREG|0644")]
    [InlineData("mknod", 1, 0x6180UL /* 060600 */, "S_IFBLK|0600")]
    [InlineData("mknod", 1, 0x1a4UL /* 0644 */, "0644")]
    public void Modes(string syscall, int index, ulong mode, string expected)
    {
        var registers = new ulong[6];
        registers[index] = mode;
        Assert.Equal(expected, Render(syscall, index, registers));
    }

    [Fact]
    public void MknodPrintsTheDeviceOnlyForDevices()
    {
        Assert.Equal([0, 1, 2], Printed("mknod", 0, 0x21a4 /* 020644 */, 0x103));
        Assert.Equal([0, 1], Printed("mknod", 0, 0x81a4 /* 0100644 */, 0x103));
        Assert.Equal("makedev(0x1, 0x3)", Render("mknod", 2, 0, 0x21a4 /* 020644 */, 0x103));
        Assert.Equal("makedev(0x567, 0x23489)", Render("mknod", 2, 0, 0x21a4 /* 020644 */, 0x123456789));
    }

    [Theory]
    [InlineData(2, 0x0UL, "PROT_NONE")]
    [InlineData(2, 0x3UL, "PROT_READ|PROT_WRITE")]
    [InlineData(2, 0x5UL, "PROT_READ|PROT_EXEC")]
    [InlineData(2, 0x10UL, "0x10 /* PROT_??? */")]
    [InlineData(2, 0x1000013UL, "PROT_READ|PROT_WRITE|PROT_GROWSDOWN|0x10")]
    [InlineData(3, 0x22UL, "MAP_PRIVATE|MAP_ANONYMOUS")]
    [InlineData(3, 0x812UL, "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE")]
    [InlineData(3, 0x1UL, "MAP_SHARED")]
    [InlineData(3, 0x3UL, "MAP_SHARED_VALIDATE")]
    [InlineData(3, 0x0UL, "MAP_FILE")]
    [InlineData(3, 0x80UL, "MAP_FILE|0x80")]
    [InlineData(3, 0x4UL, "0x4 /* MAP_??? */")]
    [InlineData(3, 0x54040022UL, "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT")]
    [InlineData(4, Minus1, "-1")]
    [InlineData(4, 0xffffffffUL, "-1")]
    [InlineData(5, 0x0UL, "0")]
    [InlineData(5, 0x26000UL, "0x26000")]
    [InlineData(0, 0x0UL, "NULL")]
    [InlineData(0, 0x7f0000000000UL, "0x7f0000000000")]
    [InlineData(1, 4096UL, "4096")]
    public void Mmap(int index, ulong value, string expected)
    {
        var registers = new ulong[] { 0, 4096, 3, 0x22, Minus1, 0 };
        registers[index] = value;
        Assert.Equal(expected, Render("mmap", index, registers));
    }

    [Theory]
    [InlineData("munmap", 0, 0UL, "NULL")]
    [InlineData("brk", 0, 0UL, "NULL")]
    [InlineData("brk", 0, 0x555555597000UL, "0x555555597000")]
    [InlineData("madvise", 2, 4UL, "MADV_DONTNEED")]
    [InlineData("madvise", 2, 0UL, "MADV_NORMAL")]
    [InlineData("madvise", 2, 5UL, "0x5 /* MADV_??? */")]
    [InlineData("madvise", 2, Minus1, "0xffffffff /* MADV_??? */")]
    [InlineData("msync", 2, 0x6UL, "MS_SYNC|MS_INVALIDATE")]
    [InlineData("mremap", 3, 0x3UL, "MREMAP_MAYMOVE|MREMAP_FIXED")]
    [InlineData("memfd_create", 1, 0x3UL, "MFD_CLOEXEC|MFD_ALLOW_SEALING")]
    [InlineData("memfd_create", 1, 0x54000005UL, "MFD_CLOEXEC|MFD_HUGETLB|21<<MFD_HUGE_SHIFT")]
    [InlineData("memfd_create", 1, 0x10000000UL, "4<<MFD_HUGE_SHIFT")]
    [InlineData("memfd_create", 1, 0UL, "0")]
    public void MemoryArguments(string syscall, int index, ulong value, string expected)
    {
        var registers = new ulong[] { 0x1000, 4096, 0, 0, 0, 0 };
        registers[index] = value;
        Assert.Equal(expected, Render(syscall, index, registers));
    }

    [Fact]
    public void MremapPrintsTheNewAddressOnlyWhenFixed()
    {
        Assert.Equal([0, 1, 2, 3], Printed("mremap", 0x1000, 4096, 8192, 1, 0x5000));
        Assert.Equal([0, 1, 2, 3, 4], Printed("mremap", 0x1000, 4096, 8192, 3, 0x5000));
    }

    [Theory]
    [InlineData(0x11UL, "flags=SIGCHLD")]
    [InlineData(0x0UL, "flags=0")]
    [InlineData(0x1200011UL, "flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD")]
    [InlineData(0x3d0f00UL, "flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID")]
    [InlineData(0x4111UL, "flags=CLONE_VM|CLONE_VFORK|SIGCHLD")]
    [InlineData(0x3d0f41UL, "flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|65")]
    [InlineData(0x400000UL, "flags=0x400000 /* CLONE_??? */")]
    [InlineData(0x400011UL, "flags=0x400000|SIGCHLD")]
    public void CloneFlags(ulong flags, string expected) => Assert.Equal(expected, Render("clone", 0, flags, 0, 0, 0, 0));

    [Fact]
    public void CloneArgumentsAreLabelledAndReordered()
    {
        // x86-64 registers: flags, newsp, parent_tidptr, child_tidptr, tls. strace: stack first.
        ulong[] thread = [0x3d0f00, 0x7000, 0x8000, 0x9000, 0xa000];
        Assert.Equal([1, 0, 2, 4, 3], Printed("clone", thread));
        Assert.Equal("child_stack=0x7000", Render("clone", 1, thread));
        Assert.Equal("parent_tid=0x8000", Render("clone", 2, thread));
        Assert.Equal("tls=0xa000", Render("clone", 4, thread));
        Assert.Equal("child_tidptr=0x9000", Render("clone", 3, thread));
        Assert.Equal([1, 0], Printed("clone", 0x11, 0, 0, 0, 0));
        Assert.Equal("child_stack=NULL", Render("clone", 1, 0x11, 0, 0, 0, 0));
        Assert.Equal([1, 0, 3], Printed("clone", 0x1200011, 0, 0, 0x7ffff7dd1a10, 0));
    }

    [Theory]
    [InlineData("unshare", 0, 0x20000UL, "CLONE_NEWNS")]
    [InlineData("unshare", 0, 0x10000000UL, "CLONE_NEWUSER")]
    [InlineData("unshare", 0, 0x11UL, "0x11 /* CLONE_??? */")]
    [InlineData("unshare", 0, 0UL, "0")]
    [InlineData("setns", 1, 0x40000000UL, "CLONE_NEWNET")]
    [InlineData("setns", 1, 0x100UL, "0x100 /* CLONE_NEW??? */")]
    public void Namespaces(string syscall, int index, ulong value, string expected)
    {
        var registers = new ulong[] { 3, 0, 0, 0, 0, 0 };
        registers[index] = value;
        Assert.Equal(expected, Render(syscall, index, registers));
    }

    [Theory]
    [InlineData(0, 2UL, "AF_INET")]
    [InlineData(0, 10UL, "AF_INET6")]
    [InlineData(0, 1UL, "AF_UNIX")]
    [InlineData(0, 16UL, "AF_NETLINK")]
    [InlineData(0, 46UL, "0x2e /* AF_??? */")]
    [InlineData(1, 1UL, "SOCK_STREAM")]
    [InlineData(1, 0x80001UL, "SOCK_STREAM|SOCK_CLOEXEC")]
    [InlineData(1, 0x80802UL, "SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK")]
    [InlineData(1, 0x80000UL, "SOCK_CLOEXEC")]
    [InlineData(1, 0x0UL, "0")]
    [InlineData(1, 0x40000001UL, "SOCK_STREAM|0x40000000 /* SOCK_??? */")]
    [InlineData(2, 6UL, "IPPROTO_TCP")]
    [InlineData(2, 0UL, "IPPROTO_IP")]
    [InlineData(2, 17UL, "IPPROTO_UDP")]
    [InlineData(2, 3UL, "0x3 /* IPPROTO_??? */")]
    public void Socket(int index, ulong value, string expected)
    {
        var registers = new ulong[] { 2, 1, 0, 0, 0, 0 };
        registers[index] = value;
        Assert.Equal(expected, Render("socket", index, registers));
    }

    [Fact]
    public void SocketProtocolDependsOnTheFamily()
    {
        Assert.Equal("NETLINK_ROUTE", Render("socket", 2, 16, 3, 0));
        Assert.Equal("NETLINK_AUDIT", Render("socket", 2, 16, 3, 9));
        Assert.Equal("htons(ETH_P_ALL)", Render("socket", 2, 17, 3, 0x300));
        Assert.Equal("htons(0x1234 /* ETH_P_??? */)", Render("socket", 2, 17, 3, 0x3412));
        Assert.Equal("0", Render("socket", 2, 1, 1, 0));
        Assert.Equal("IPPROTO_ICMPV6", Render("socket", 2, 10, 3, 58));
    }

    [Theory]
    [InlineData(1UL, 2UL, "SOL_SOCKET", "SO_REUSEADDR")]
    [InlineData(1UL, 9UL, "SOL_SOCKET", "SO_KEEPALIVE")]
    [InlineData(1UL, 0UL, "SOL_SOCKET", "0 /* SO_??? */")]
    [InlineData(6UL, 1UL, "SOL_TCP", "TCP_NODELAY")]
    [InlineData(0UL, 1UL, "SOL_IP", "IP_TOS")]
    [InlineData(41UL, 26UL, "SOL_IPV6", "IPV6_V6ONLY")]
    [InlineData(17UL, 103UL, "SOL_UDP", "UDP_SEGMENT")]
    [InlineData(1000UL, Minus1, "0x3e8 /* SOL_?? */", "4294967295")]
    public void SocketOptions(ulong level, ulong name, string expectedLevel, string expectedName)
    {
        Assert.Equal(expectedLevel, Render("setsockopt", 1, 3, level, name, 0, 4));
        Assert.Equal(expectedName, Render("setsockopt", 2, 3, level, name, 0, 4));
        Assert.Equal(expectedName, Render("getsockopt", 2, 3, level, name, 0, 0));
    }

    [Theory]
    [InlineData("shutdown", 1, 2UL, "SHUT_RDWR")]
    [InlineData("shutdown", 1, 3UL, "0x3 /* SHUT_??? */")]
    [InlineData("sendto", 3, 0x4000UL, "MSG_NOSIGNAL")]
    [InlineData("sendto", 3, 0UL, "0")]
    [InlineData("recvfrom", 3, 0x40000040UL, "MSG_DONTWAIT|MSG_CMSG_CLOEXEC")]
    [InlineData("sendmsg", 2, 0x8000UL, "MSG_MORE")]
    [InlineData("sendto", 3, 0x100000UL, "0x100000 /* MSG_??? */")]
    [InlineData("accept4", 3, 0x80800UL, "SOCK_CLOEXEC|SOCK_NONBLOCK")]
    [InlineData("accept4", 3, 1UL, "0x1 /* SOCK_??? */")]
    public void SocketCalls(string syscall, int index, ulong value, string expected)
    {
        var registers = new ulong[] { 3, 0, 0, 0, 0, 0 };
        registers[index] = value;
        Assert.Equal(expected, Render(syscall, index, registers));
    }

    [Theory]
    [InlineData(1UL, 0UL, "F_GETFD", null)]
    [InlineData(2UL, 1UL, "F_SETFD", "FD_CLOEXEC")]
    [InlineData(2UL, 0UL, "F_SETFD", "0")]
    [InlineData(2UL, 3UL, "F_SETFD", "FD_CLOEXEC|0x2")]
    [InlineData(3UL, 0UL, "F_GETFL", null)]
    [InlineData(4UL, 0x8802UL, "F_SETFL", "O_RDWR|O_NONBLOCK|O_LARGEFILE")]
    [InlineData(4UL, 0x800UL, "F_SETFL", "O_RDONLY|O_NONBLOCK")]
    [InlineData(0x406UL, 3UL, "F_DUPFD_CLOEXEC", "3")]
    [InlineData(0UL, Minus1, "F_DUPFD", "-1")]
    [InlineData(10UL, 29UL, "F_SETSIG", "SIGIO")]
    [InlineData(0x400UL, 1UL, "F_SETLEASE", "F_WRLCK")]
    [InlineData(0x409UL, 3UL, "F_ADD_SEALS", "F_SEAL_SEAL|F_SEAL_SHRINK")]
    [InlineData(0x402UL, 0x80000001UL, "F_NOTIFY", "DN_ACCESS|DN_MULTISHOT")]
    [InlineData(6UL, 0UL, "F_SETLK", "NULL")]
    [InlineData(0x40fUL, 0x1000UL, "0x40f /* F_??? */", "0x1000")]
    public void Fcntl(ulong cmd, ulong arg, string expectedCmd, string? expectedArg)
    {
        Assert.Equal(expectedCmd, Render("fcntl", 1, 3, cmd, arg));
        if (expectedArg is null)
        {
            Assert.Equal([0, 1], Printed("fcntl", 3, cmd, arg));
        }
        else
        {
            Assert.Equal([0, 1, 2], Printed("fcntl", 3, cmd, arg));
            Assert.Equal(expectedArg, Render("fcntl", 2, 3, cmd, arg));
        }
    }

    [Theory]
    [InlineData("wait4", 2, 0UL, "0")]
    [InlineData("wait4", 2, 1UL, "WNOHANG")]
    [InlineData("wait4", 2, 0x40000001UL, "WNOHANG|__WALL")]
    [InlineData("wait4", 2, 0x10UL, "0x10 /* W??? */")]
    [InlineData("waitid", 3, 0x1000004UL, "WEXITED|WNOWAIT")]
    [InlineData("waitid", 0, 1UL, "P_PID")]
    [InlineData("waitid", 0, 3UL, "P_PIDFD")]
    [InlineData("waitid", 0, 4UL, "0x4 /* P_??? */")]
    public void Wait(string syscall, int index, ulong value, string expected)
    {
        var registers = new ulong[] { Minus1, 0, 0, 0, 0, 0 };
        registers[index] = value;
        Assert.Equal(expected, Render(syscall, index, registers));
    }

    [Theory]
    [InlineData(9UL, "SIGKILL")]
    [InlineData(0UL, "0")]
    [InlineData(17UL, "SIGCHLD")]
    [InlineData(32UL, "SIGRTMIN")]
    [InlineData(33UL, "SIGRT_1")]
    [InlineData(34UL, "SIGRT_2")]
    [InlineData(64UL, "SIGRT_32")]
    [InlineData(65UL, "65")]
    [InlineData(Minus1, "-1")]
    [InlineData(0x100000009UL, "SIGKILL")]
    public void Signals(ulong signal, string expected)
    {
        Assert.Equal(expected, Render("kill", 1, 1, signal));
        Assert.Equal(expected, Render("tgkill", 2, 1, 1, signal));
        Assert.Equal(expected, Render("rt_sigaction", 0, signal, 0, 0, 8));
    }

    [Theory]
    [InlineData(0UL, "SIG_BLOCK")]
    [InlineData(2UL, "SIG_SETMASK")]
    [InlineData(3UL, "0x3 /* SIG_??? */")]
    public void SigprocmaskHow(ulong how, string expected) => Assert.Equal(expected, Render("rt_sigprocmask", 0, how, 0, 0, 8));

    [Theory]
    [InlineData("lseek", 2, 2UL, "SEEK_END")]
    [InlineData("lseek", 2, 5UL, "0x5 /* SEEK_??? */")]
    [InlineData("epoll_ctl", 1, 1UL, "EPOLL_CTL_ADD")]
    [InlineData("epoll_ctl", 1, 0UL, "0 /* EPOLL_CTL_??? */")]
    [InlineData("epoll_create1", 0, 0x80000UL, "EPOLL_CLOEXEC")]
    [InlineData("eventfd2", 1, 0x80801UL, "EFD_SEMAPHORE|EFD_CLOEXEC|EFD_NONBLOCK")]
    [InlineData("timerfd_create", 0, 1UL, "CLOCK_MONOTONIC")]
    [InlineData("timerfd_create", 1, 0x80800UL, "TFD_CLOEXEC|TFD_NONBLOCK")]
    [InlineData("timerfd_settime", 1, 1UL, "TFD_TIMER_ABSTIME")]
    [InlineData("signalfd4", 3, 0x80800UL, "SFD_CLOEXEC|SFD_NONBLOCK")]
    [InlineData("inotify_init1", 0, 0x80000UL, "IN_CLOEXEC")]
    [InlineData("inotify_add_watch", 2, 0x18UL, "IN_CLOSE_WRITE|IN_CLOSE_NOWRITE")]
    [InlineData("inotify_add_watch", 2, 0x1000UL, "0x1000 /* IN_??? */")]
    [InlineData("getrandom", 2, 1UL, "GRND_NONBLOCK")]
    [InlineData("getrandom", 2, 0x8UL, "0x8 /* GRND_??? */")]
    [InlineData("flock", 1, 6UL, "LOCK_EX|LOCK_NB")]
    [InlineData("flock", 1, 0xe0UL, "LOCK_MAND|LOCK_RW")]
    [InlineData("flock", 1, 0x40UL, "LOCK_READ")]
    [InlineData("rseq", 0, 0UL, "0")]
    [InlineData("rseq", 0, 0x7ffff7dd2060UL, "0x7ffff7dd2060")]
    [InlineData("set_robust_list", 0, 0UL, "NULL")]
    [InlineData("prlimit64", 1, 7UL, "RLIMIT_NOFILE")]
    [InlineData("prlimit64", 1, 16UL, "0x10 /* RLIMIT_??? */")]
    [InlineData("getrlimit", 0, 3UL, "RLIMIT_STACK")]
    [InlineData("mount", 3, 0x5000UL, "MS_BIND|MS_REC")]
    [InlineData("mount", 3, 0xc0ed0000UL, "MS_MGC_VAL")]
    [InlineData("mount", 3, 0xc0ed0001UL, "MS_MGC_VAL|MS_RDONLY")]
    [InlineData("mount", 3, 0x200UL, "0x200 /* MS_??? */")]
    [InlineData("mount", 3, 0UL, "0")]
    [InlineData("umount2", 1, 2UL, "MNT_DETACH")]
    [InlineData("umount2", 1, 8UL, "UMOUNT_NOFOLLOW")]
    public void SmallFlagSets(string syscall, int index, ulong value, string expected)
    {
        var registers = new ulong[6];
        registers[index] = value;
        Assert.Equal(expected, Render(syscall, index, registers));
    }

    [Theory]
    [InlineData(0x5401UL, "TCGETS")]
    [InlineData(0x5402UL, "SNDCTL_TMR_START or TCSETS")]
    [InlineData(0x5413UL, "TIOCGWINSZ")]
    [InlineData(0x541bUL, "FIONREAD")]
    [InlineData(0x5421UL, "FIONBIO")]
    [InlineData(0x5451UL, "FIOCLEX")]
    [InlineData(0x80045430UL, "TIOCGPTN")]
    [InlineData(0x5426UL, "_IOC(_IOC_NONE, 0x54, 0x26, 0)")]
    [InlineData(0x0UL, "_IOC(_IOC_NONE, 0, 0, 0)")]
    [InlineData(0xdeadbeefUL, "_IOC(_IOC_READ|_IOC_WRITE, 0xbe, 0xef, 0x1ead)")]
    public void IoctlRequests(ulong request, string expected) => Assert.Equal(expected, Render("ioctl", 1, 3, request, 0));

    [Fact]
    public void IoctlArgumentsFollowTheRequest()
    {
        Assert.Equal([0, 1], Printed("ioctl", 3, 0x5451, 0));
        Assert.Equal([0, 1, 2], Printed("ioctl", 3, 0x5401, 0));
        Assert.Equal("NULL", Render("ioctl", 2, 3, 0x5401, 0));
        Assert.Equal("0x7fffffffe3a0", Render("ioctl", 2, 3, 0x5401, 0x7fffffffe3a0));
        Assert.Equal("TCIOFLUSH", Render("ioctl", 2, 3, 0x540b, 2));
        Assert.Equal("TCOON", Render("ioctl", 2, 3, 0x540a, 1));
        Assert.Equal("-1", Render("ioctl", 2, 3, 0x5409, Minus1));
        Assert.Equal("0", Render("ioctl", 2, 3, 0x1234, 0));
    }

    [Fact]
    public void Prctl()
    {
        Assert.Equal("PR_SET_NAME", Render("prctl", 0, 15, 0x1000));
        Assert.Equal([0, 1], Printed("prctl", 15, 0x1000));
        Assert.Equal("PR_SET_PDEATHSIG", Render("prctl", 0, 1, 9));
        Assert.Equal("SIGKILL", Render("prctl", 1, 1, 9));
        Assert.Equal("129", Render("prctl", 1, 1, 129));
        Assert.Equal([0], Printed("prctl", 3));
        Assert.Equal("SUID_DUMP_USER", Render("prctl", 1, 4, 1));
        Assert.Equal("CAP_SYS_ADMIN", Render("prctl", 1, 23, 21));
        Assert.Equal("PR_SET_PTRACER_ANY", Render("prctl", 1, 0x59616d61, Minus1));
        Assert.Equal([0, 1, 2, 3, 4], Printed("prctl", 38, 1));
        Assert.Equal("1", Render("prctl", 1, 38, 1));
        Assert.Equal("0", Render("prctl", 2, 38, 1));
        Assert.Equal("0 /* PR_??? */", Render("prctl", 0, 0));
        Assert.Equal([0, 1, 2], Printed("prctl", 22, 2, 0x1000));
    }

    [Theory]
    [InlineData(0x1002UL, 0x7ffff7dd1740UL, "ARCH_SET_FS", "0x7ffff7dd1740")]
    [InlineData(0x1003UL, 0UL, "ARCH_GET_FS", "NULL")]
    [InlineData(0x1002UL, 0UL, "ARCH_SET_FS", "0")]
    [InlineData(0x3001UL, 0x1000UL, "0x3001 /* ARCH_??? */", "0x1000")]
    public void ArchPrctl(ulong code, ulong addr, string expectedCode, string expectedAddr)
    {
        Assert.Equal(expectedCode, Render("arch_prctl", 0, code, addr));
        Assert.Equal(expectedAddr, Render("arch_prctl", 1, code, addr));
    }

    [Theory]
    [InlineData(0UL, "PER_LINUX")]
    [InlineData(8UL, "PER_LINUX32")]
    [InlineData(0x40008UL, "PER_LINUX32|ADDR_NO_RANDOMIZE")]
    [InlineData(0x20000UL, "PER_LINUX|UNAME26")]
    [InlineData(0xffffffffUL, "0xffffffff")]
    [InlineData(1UL, "0x1 /* PER_??? */")]
    [InlineData(0x40000000UL, "PER_LINUX|0x40000000")]
    public void Personality(ulong persona, string expected) => Assert.Equal(expected, Render("personality", 0, persona));

    [Theory]
    [InlineData(0x81UL, "FUTEX_WAKE_PRIVATE", new[] { 0, 1, 2 })]
    [InlineData(0x80UL, "FUTEX_WAIT_PRIVATE", new[] { 0, 1, 2, 3 })]
    [InlineData(0x189UL, "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME", new[] { 0, 1, 2, 3, 5 })]
    [InlineData(0x82UL, "FUTEX_FD|FUTEX_PRIVATE_FLAG", new[] { 0, 1, 2 })]
    [InlineData(0x87UL, "FUTEX_UNLOCK_PI_PRIVATE", new[] { 0, 1 })]
    [InlineData(0x86UL, "FUTEX_LOCK_PI_PRIVATE", new[] { 0, 1, 3 })]
    [InlineData(0x85UL, "FUTEX_WAKE_OP_PRIVATE", new[] { 0, 1, 2, 3, 4, 5 })]
    [InlineData(0x101UL, "0x101 /* FUTEX_??? */", new[] { 0, 1, 2 })]
    public void FutexOperations(ulong op, string expected, int[] printed)
    {
        Assert.Equal(expected, Render("futex", 1, 0x1000, op, 1, 0, 0, 0));
        Assert.Equal(printed, Printed("futex", 0x1000, op, 1, 0, 0, 0));
    }

    [Fact]
    public void FutexValues()
    {
        Assert.Equal("FUTEX_BITSET_MATCH_ANY", Render("futex", 5, 0x1000, 0x89, 0, 0, 0, 0xffffffff));
        Assert.Equal("0x1", Render("futex", 5, 0x1000, 0x89, 0, 0, 0, 1));
        Assert.Equal("FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1", Render("futex", 5, 0x1000, 0x85, 1, 1, 0x2000, 0x4000001));
        Assert.Equal("NULL", Render("futex", 3, 0x1000, 0x80, 1, 0, 0, 0));
        Assert.Equal("2", Render("futex", 3, 0x1000, 0x84, 1, 2, 0x2000, 0));
    }

    [Theory]
    [InlineData("mmap", new ulong[] { 0, 4096, 3, 0x22, Minus1, 0 }, 0x7ffff7fc0000L, "0x7ffff7fc0000")]
    [InlineData("mmap", new ulong[] { 0, 4096, 3, 0x22, Minus1, 0 }, 0L, "0")]
    [InlineData("brk", new ulong[] { 0, 0, 0, 0, 0, 0 }, 0x555555576000L, "0x555555576000")]
    [InlineData("fcntl", new ulong[] { 3, 3, 0, 0, 0, 0 }, 0x8002L, "0x8002 (flags O_RDWR|O_LARGEFILE)")]
    [InlineData("fcntl", new ulong[] { 3, 3, 0, 0, 0, 0 }, 0L, "0 (flags O_RDONLY)")]
    [InlineData("fcntl", new ulong[] { 3, 1, 0, 0, 0, 0 }, 1L, "0x1 (flags FD_CLOEXEC)")]
    [InlineData("fcntl", new ulong[] { 3, 0x40a, 0, 0, 0, 0 }, 3L, "0x3 (seals F_SEAL_SEAL|F_SEAL_SHRINK)")]
    [InlineData("fcntl", new ulong[] { 3, 0xb, 0, 0, 0, 0 }, 29L, "29 (SIGIO)")]
    [InlineData("umask", new ulong[] { 0x12 /* 022 */, 0, 0, 0, 0, 0 }, 0x3fL /* 077 */, "077")]
    [InlineData("personality", new ulong[] { 0xffffffff, 0, 0, 0, 0, 0 }, 0L, "0 (PER_LINUX)")]
    [InlineData("prctl", new ulong[] { 3, 0, 0, 0, 0, 0 }, 1L, "1 (SUID_DUMP_USER)")]
    public void ReturnValues(string syscall, ulong[] args, long ret, string expected)
    {
        Assert.True(SyscallTable.TryGetNumber(syscall, out int nr));
        var sb = new StringBuilder();
        Assert.True(ArgumentDecoders.TryAppendReturn(nr, args, ret, sb));
        Assert.Equal(expected, sb.ToString());
    }

    [Theory]
    [InlineData("mmap", -12L)]
    [InlineData("fcntl", -9L)]
    [InlineData("read", 5L)]
    [InlineData("fcntl", 0L)]
    public void ErrorsAndPlainReturnsAreLeftToTheCaller(string syscall, long ret)
    {
        Assert.True(SyscallTable.TryGetNumber(syscall, out int nr));
        var sb = new StringBuilder();
        Assert.False(ArgumentDecoders.TryAppendReturn(nr, new ulong[] { 3, 1, 0, 0, 0, 0 }, ret, sb));
        Assert.Equal(0, sb.Length);
    }

    [Fact]
    public void SyscallsWithoutRenderersPrintTheirParametersInOrder()
    {
        Assert.True(SyscallTable.TryGetNumber("read", out int read));
        var sb = new StringBuilder();
        Assert.False(ArgumentDecoders.TryAppend(read, 0, new ulong[6], sb));
        Assert.Equal([0, 1, 2], Printed("read", 3, 0, 10));
        Assert.True(ArgumentDecoders.ShouldPrintArg(read, 2, new ulong[6]));
        Assert.False(ArgumentDecoders.ShouldPrintArg(read, 3, new ulong[6]));
        Assert.Equal(6, ArgumentDecoders.GetPrintedArgs(9999, new ulong[6], new int[6]));
        Assert.Null(ArgumentDecoders.Get(-1));
    }
}
