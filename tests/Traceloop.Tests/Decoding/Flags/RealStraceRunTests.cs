using System.Text;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Decoding.Flags;

namespace Traceloop.Tests.Decoding.Flags;

/// <summary>
/// Lines from real strace 6.1 runs of ordinary programs, with the registers of the same calls
/// from a second run with <c>-e raw=all</c> (addresses are stable under <c>setarch -R</c>):
/// <code>
/// T=openat,mmap,mprotect,munmap,brk,clone,fcntl,rt_sigprocmask,rt_sigaction,prlimit64,arch_prctl,wait4,access,newfstatat,pipe2,dup2,lseek,getrandom,set_robust_list,rseq,ioctl,socket
/// setarch -R strace -f -qq -e trace=$T sh -c 'cat /etc/hostname | wc -c; ls -d / >/dev/null'
/// setarch -R strace -f -qq -e raw=all -e trace=$T sh -c 'cat /etc/hostname | wc -c; ls -d / >/dev/null'
/// </code>
/// Strings, structs and plain numbers are the caller's; every argument these renderers decode
/// must read as in the line.
/// </summary>
public sealed class RealStraceRunTests
{
    public static TheoryData<string, ulong[], string> Calls => new()
    {
        { "brk", [0x0], "brk(NULL)" },
        { "mmap", [0x0, 0x2000, 0x3, 0x22, 0xffffffff, 0x0], "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)" },
        { "access", [0x7ffff7ff42a0, 0x4], "access(\"/etc/ld.so.preload\", R_OK)" },
        { "openat", [0xffffff9c, 0x7ffff7ff30b1, 0x80000, 0x0], "openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC)" },
        { "newfstatat", [0x3, 0x7ffff7ff3c99, 0x7fffffffd6a0, 0x1000], "newfstatat(3, \"\", {st_mode=S_IFREG|0644, st_size=37007, ...}, AT_EMPTY_PATH)" },
        { "mmap", [0x0, 0x908f, 0x1, 0x2, 0x3, 0x0], "mmap(NULL, 37007, PROT_READ, MAP_PRIVATE, 3, 0)" },
        { "mmap", [0x0, 0x1e1f50, 0x1, 0x802, 0x3, 0x0], "mmap(NULL, 1974096, PROT_READ, MAP_PRIVATE|MAP_DENYWRITE, 3, 0)" },
        { "mmap", [0x7ffff7dfa000, 0x156000, 0x5, 0x812, 0x3, 0x26000], "mmap(0x7ffff7dfa000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x26000)" },
        { "mmap", [0x7ffff7fa9000, 0xcf50, 0x3, 0x32, 0xffffffff, 0x0], "mmap(0x7ffff7fa9000, 53072, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0)" },
        { "mmap", [0x0, 0x6994, 0x1, 0x1, 0x3, 0x0], "mmap(NULL, 27028, PROT_READ, MAP_SHARED, 3, 0)" },
        { "arch_prctl", [0x1002, 0x7ffff7dd1740], "arch_prctl(ARCH_SET_FS, 0x7ffff7dd1740)" },
        { "set_robust_list", [0x7ffff7dd1a20, 0x18], "set_robust_list(0x7ffff7dd1a20, 24)" },
        { "rseq", [0x7ffff7dd2060, 0x20, 0x0, 0x53053053], "rseq(0x7ffff7dd2060, 0x20, 0, 0x53053053)" },
        { "mprotect", [0x7ffff7fa3000, 0x4000, 0x1], "mprotect(0x7ffff7fa3000, 16384, PROT_READ)" },
        { "prlimit64", [0x0, 0x3, 0x0, 0x7fffffffe1e0], "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY})" },
        { "munmap", [0x7ffff7fb6000, 0x908f], "munmap(0x7ffff7fb6000, 37007)" },
        { "rt_sigaction", [0x11, 0x7fffffffe0f0, 0x0, 0x8], "rt_sigaction(SIGCHLD, {sa_handler=0x555555566dc0, sa_mask=~[RTMIN RT_1], sa_flags=SA_RESTORER, sa_restorer=0x7ffff7e10050}, NULL, 8)" },
        { "getrandom", [0x7ffff7fae478, 0x8, 0x1], "getrandom(\"\\xd9\\xa6\\xd3\\xd6\\x92\\x58\\xbd\\xc6\", 8, GRND_NONBLOCK)" },
        { "newfstatat", [0xffffff9c, 0x55555556b6fe, 0x7fffffffe3b0, 0x0], "newfstatat(AT_FDCWD, \".\", {st_mode=S_IFDIR|0755, st_size=4096, ...}, 0)" },
        { "pipe2", [0x7fffffffe310, 0x0], "pipe2([3, 4], 0)" },
        { "clone", [0x1200011, 0x0, 0x0, 0x7ffff7dd1a10, 0x0], "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7ffff7dd1a10)" },
        { "rt_sigprocmask", [0x2, 0x7fffffffe120, 0x7fffffffe1a0, 0x8], "rt_sigprocmask(SIG_SETMASK, [], ~[KILL STOP RTMIN RT_1], 8)" },
        { "access", [0x7ffff7faa8cb, 0x0], "access(\"/etc/selinux/config\", F_OK)" },
        { "openat", [0xffffff9c, 0x7ffff7f41970, 0x0, 0x0], "openat(AT_FDCWD, \"/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache\", O_RDONLY)" },
        { "ioctl", [0x1, 0x5401, 0x7fffffffe3a0], "ioctl(1, TCGETS, 0x7fffffffe3a0)" },
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public void DecodedArgumentsReadAsStracePrintedThem(string name, ulong[] registers, string line)
    {
        Assert.True(SyscallTable.TryGetNumber(name, out int nr));
        var args = new ulong[6];
        registers.CopyTo(args, 0);
        List<string> expected = StraceCaptureTests.SplitArguments(line);
        var order = new int[6];
        int count = ArgumentDecoders.GetPrintedArgs(nr, args, order);
        Assert.Equal(expected.Count, count);
        var sb = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            sb.Clear();
            if (ArgumentDecoders.TryAppend(nr, order[i], args, sb))
            {
                Assert.Equal(expected[i], sb.ToString());
            }
        }
    }

    [Theory]
    [InlineData("brk", new ulong[] { 0, 0, 0, 0, 0, 0 }, 0x555555576000L, "0x555555576000")]
    [InlineData("mmap", new ulong[] { 0, 0x2000, 3, 0x22, 0xffffffff, 0 }, 0x7ffff7fc0000L, "0x7ffff7fc0000")]
    public void ReturnsReadAsStracePrintedThem(string name, ulong[] args, long ret, string expected)
    {
        Assert.True(SyscallTable.TryGetNumber(name, out int nr));
        var sb = new StringBuilder();
        Assert.True(ArgumentDecoders.TryAppendReturn(nr, args, ret, sb));
        Assert.Equal(expected, sb.ToString());
    }
}
