using System.Text.RegularExpressions;
using Traceloop.Recorder.Decoding;

namespace Traceloop.Tests.Decoding;

public sealed class SyscallTableTests
{
    // The BPF build includes <linux/bpf.h> from linux-libc-dev, which ships this header too, so
    // it is there wherever the tests were built.
    private const string UnistdHeader = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";

    [Theory]
    [InlineData(0, "read")]
    [InlineData(1, "write")]
    [InlineData(2, "open")]
    [InlineData(4, "stat")]
    [InlineData(39, "getpid")]
    [InlineData(59, "execve")]
    [InlineData(110, "getppid")]
    [InlineData(166, "umount2")]
    [InlineData(231, "exit_group")]
    [InlineData(257, "openat")]
    [InlineData(262, "newfstatat")]
    [InlineData(334, "rseq")]
    [InlineData(435, "clone3")]
    [InlineData(437, "openat2")]
    public void KnownNumbersHaveTheirNames(int nr, string name)
    {
        var info = SyscallTable.Get(nr);

        Assert.NotNull(info);
        Assert.Equal(nr, info.Number);
        Assert.Equal(name, info.Name);
        Assert.Equal(name, SyscallTable.Name(nr));
        Assert.True(SyscallTable.TryGetNumber(name, out var back));
        Assert.Equal(nr, back);
    }

    [Fact]
    public void OpenatHasItsKernelParameters()
    {
        var openat = SyscallTable.Get(257)!;

        Assert.True(openat.ParamsKnown);
        Assert.Equal(
            [
                new SyscallParam("dfd", "int", ParamKind.Fd),
                new SyscallParam("filename", "const char *", ParamKind.String),
                new SyscallParam("flags", "int", ParamKind.Int),
                new SyscallParam("mode", "umode_t", ParamKind.UInt),
            ],
            openat.Params);
    }

    [Fact]
    public void ReadAndWriteTakeAnFdABufferAndASize()
    {
        Assert.Equal(
            [ParamKind.Fd, ParamKind.Pointer, ParamKind.Size],
            SyscallTable.Get(0)!.Params.Select(p => p.Kind));
        Assert.Equal(
            ["fd", "buf", "count"],
            SyscallTable.Get(1)!.Params.Select(p => p.Name));
    }

    [Fact]
    public void ExecveFilenameIsAStringAndItsVectorsArePointers()
    {
        var execve = SyscallTable.Get(59)!;

        Assert.Equal(
            [("filename", ParamKind.String), ("argv", ParamKind.Pointer), ("envp", ParamKind.Pointer)],
            execve.Params.Select(p => (p.Name, p.Kind)));
    }

    [Fact]
    public void Clone3AndOpenat2TakeAStructAndItsSize()
    {
        Assert.Equal(
            [new SyscallParam("uargs", "struct clone_args *", ParamKind.Pointer), new SyscallParam("size", "size_t", ParamKind.Size)],
            SyscallTable.Get(435)!.Params);
        Assert.Equal(
            [ParamKind.Fd, ParamKind.String, ParamKind.Pointer, ParamKind.Size],
            SyscallTable.Get(437)!.Params.Select(p => p.Kind));
    }

    [Fact]
    public void ArgumentlessSyscallsHaveAKnownEmptyList()
    {
        Assert.True(SyscallTable.Get(39)!.ParamsKnown);
        Assert.Empty(SyscallTable.Get(39)!.Params);
        Assert.True(SyscallTable.Get(110)!.ParamsKnown);
        Assert.Empty(SyscallTable.Get(110)!.Params);
    }

    // ParamKind is internal, so theory data names the kind.
    [Theory]
    [InlineData(4, "filename", nameof(ParamKind.String))]   // stat is sys_newstat
    [InlineData(5, "fd", nameof(ParamKind.Fd))]             // fstat is sys_newfstat
    [InlineData(40, "out_fd", nameof(ParamKind.Fd))]        // sendfile is sys_sendfile64
    [InlineData(63, "name", nameof(ParamKind.Pointer))]     // uname is sys_newuname
    [InlineData(166, "name", nameof(ParamKind.String))]     // umount2 is sys_umount
    public void SyscallsWhoseEntryPointIsNamedDifferentlyStillHaveParameters(int nr, string firstName, string firstKind)
    {
        var info = SyscallTable.Get(nr)!;

        Assert.True(info.ParamsKnown);
        Assert.Equal(firstName, info.Params[0].Name);
        Assert.Equal(Enum.Parse<ParamKind>(firstKind), info.Params[0].Kind);
    }

    [Theory]
    [InlineData(9, 4, nameof(ParamKind.Fd))]          // mmap's fd is unsigned long; -1 means anonymous
    [InlineData(32, 0, nameof(ParamKind.Fd))]         // dup(fildes)
    [InlineData(33, 1, nameof(ParamKind.Fd))]         // dup2(oldfd, newfd)
    [InlineData(165, 2, nameof(ParamKind.String))]    // mount's filesystem type
    [InlineData(170, 0, nameof(ParamKind.Pointer))]   // sethostname's name comes with a length
    [InlineData(188, 1, nameof(ParamKind.String))]    // setxattr's attribute name
    [InlineData(22, 0, nameof(ParamKind.Pointer))]    // pipe(int *fildes) is not an fd
    public void KindsFollowTheTypeAndTheName(int nr, int index, string kind)
    {
        Assert.Equal(Enum.Parse<ParamKind>(kind), SyscallTable.Get(nr)!.Params[index].Kind);
    }

    [Fact]
    public void SyscallsWithoutATracepointGetSixRawArguments()
    {
        Assert.True(SyscallTable.TryGetNumber("get_thread_area", out var nr));
        var info = SyscallTable.Get(nr)!;

        Assert.Equal(211, nr);
        Assert.False(info.ParamsKnown);
        Assert.Equal(6, info.Params.Length);
        Assert.All(info.Params, p => Assert.Equal(ParamKind.Unknown, p.Kind));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(400)]
    [InlineData(423)]
    [InlineData(0x4000_0000)]   // x32 ABI read
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void UnknownNumbersHaveNoInfo(int nr)
    {
        Assert.Null(SyscallTable.Get(nr));
        Assert.Equal($"syscall_{nr}", SyscallTable.Name(nr));
    }

    [Fact]
    public void NumbersPastTheTableAreUnknown()
    {
        // set_mempolicy_home_node, the last in linux-libc-dev 6.1; a newer header only adds.
        Assert.True(SyscallTable.MaxNumber >= 450);
        Assert.Null(SyscallTable.Get(SyscallTable.MaxNumber + 1));
        Assert.Equal($"syscall_{SyscallTable.MaxNumber + 1}", SyscallTable.Name(SyscallTable.MaxNumber + 1));
    }

    [Fact]
    public void UnknownNamesAreCached()
    {
        Assert.Same(SyscallTable.Name(400), SyscallTable.Name(400));
        Assert.Same(SyscallTable.Name(100_000), SyscallTable.Name(100_000));
    }

    [Fact]
    public void LookingUpANameDoesNotAllocate()
    {
        SyscallTable.Name(257);
        SyscallTable.Name(400);
        SyscallTable.Name(-7);
        SyscallTable.Get(257);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            SyscallTable.Name(257);
            SyscallTable.Name(400);
            SyscallTable.Name(-7);
            SyscallTable.Get(257);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Theory]
    [InlineData("")]
    [InlineData("syscall_400")]
    [InlineData("OPENAT")]
    [InlineData("sys_openat")]
    public void UnknownNamesHaveNoNumber(string name)
    {
        Assert.False(SyscallTable.TryGetNumber(name, out _));
    }

    [Fact]
    public void EveryEntryRoundTripsThroughItsName()
    {
        var count = 0;
        for (var nr = 0; nr <= SyscallTable.MaxNumber; nr++)
        {
            var info = SyscallTable.Get(nr);
            if (info is null)
            {
                continue;
            }

            count++;
            Assert.Equal(nr, info.Number);
            Assert.Equal(info.Name, SyscallTable.Name(nr));
            Assert.True(SyscallTable.TryGetNumber(info.Name, out var back), info.Name);
            Assert.Equal(nr, back);
            Assert.Equal(info.ParamsKnown ? info.Params.Length : 6, info.Params.Length);
            Assert.InRange(info.Params.Length, 0, 6);
        }

        // 362 __NR_ defines in linux-libc-dev 6.1; a newer header only adds.
        Assert.True(count >= 362, $"{count} entries");
    }

    [Fact]
    public void EveryNumberInTheHeaderIsInTheTable()
    {
        Assert.True(File.Exists(UnistdHeader), $"{UnistdHeader} is missing: apt-get install linux-libc-dev");

        // Numbers past MaxNumber come from a newer header than the one the table was generated
        // from; numbers are ABI, so the ones both know must agree.
        var defines = File.ReadLines(UnistdHeader)
            .Select(line => Regex.Match(line, @"^#define __NR_(\w+) (\d+)$"))
            .Where(m => m.Success)
            .Select(m => (Name: m.Groups[1].Value, Number: int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .Where(d => d.Number <= SyscallTable.MaxNumber)
            .ToList();

        Assert.True(defines.Count >= 362, $"only {defines.Count} __NR_ defines in {UnistdHeader}");
        foreach (var (name, number) in defines)
        {
            Assert.Equal(name, SyscallTable.Get(number)?.Name);
        }
    }

    [Fact]
    public void TheNumbersReservedForThe32BitTime64CallsAreUnknown()
    {
        // 403-423 are the 32-bit architectures' time64 syscalls, and from 424 on numbers are
        // shared by every architecture: x86-64 leaves 387-423 empty for good.
        for (var nr = 387; nr < 424; nr++)
        {
            Assert.Null(SyscallTable.Get(nr));
            Assert.Equal($"syscall_{nr}", SyscallTable.Name(nr));
        }

        Assert.Equal("rseq", SyscallTable.Name(334));
        Assert.Equal("pidfd_send_signal", SyscallTable.Name(424));
    }
}
