using System.Text;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Decoding.Flags;

namespace Traceloop.Tests.Decoding.Flags;

/// <summary>The text path runs once per record: after warm-up, rendering into a reused builder allocates nothing.</summary>
public sealed class AllocationTests
{
    private static readonly (string Name, ulong[] Args, long Ret)[] Calls =
    [
        ("openat", [unchecked((ulong)-100L), 0x7f0000001000, 0x80241, 0x1a4, 0, 0], 3),
        ("mmap", [0, 0x2000, 0x3, 0x54040022, 0xffffffff, 0x26000], 0x7ffff7fc0000),
        ("clone", [0x3d0f41, 0x7000, 0x8000, 0x9000, 0xa000, 0], 1234),
        ("socket", [2, 0x80802, 6, 0, 0, 0], 3),
        ("setsockopt", [3, 1, 2, 0x1000, 4, 0], 0),
        ("fcntl", [3, 3, 0, 0, 0, 0], 0x8802),
        ("fcntl", [3, 4, 0x40008802, 0, 0, 0], 0),
        ("wait4", [ulong.MaxValue, 0x1000, 0x40000001, 0, 0, 0], 42),
        ("kill", [1, 34, 0, 0, 0, 0], 0),
        ("rt_sigprocmask", [2, 0x1000, 0x2000, 8, 0, 0], 0),
        ("ioctl", [1, 0xdeadbeef, 0x1000, 0, 0, 0], 0),
        ("prctl", [1, 9, 0, 0, 0, 0], 0),
        ("futex", [0x1000, 0x85, 1, 1, 0x2000, 0x4000001], 1),
        ("statx", [unchecked((ulong)-100L), 0x1000, 0x1100, 0x17ff, 0x2000, 0], 0),
        ("mknod", [0x1000, 0x21a4, 0x103, 0, 0, 0], 0),
        ("umask", [0x12, 0, 0, 0, 0, 0], 0x3f),
        ("personality", [0x40008, 0, 0, 0, 0, 0], 0),
        ("mount", [0, 0, 0, 0xc0ed5000, 0, 0], 0),
    ];

    [Fact]
    public void RenderingDoesNotAllocate()
    {
        var numbers = new int[Calls.Length];
        for (int i = 0; i < Calls.Length; i++)
        {
            Assert.True(SyscallTable.TryGetNumber(Calls[i].Name, out numbers[i]), Calls[i].Name);
        }
        var sb = new StringBuilder(4096);
        RenderAll(sb, numbers, 100);

        long before = GC.GetAllocatedBytesForCurrentThread();
        RenderAll(sb, numbers, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        var culprits = new List<string>();
        if (allocated != 0)
        {
            for (int c = 0; c < Calls.Length; c++)
            {
                long start = GC.GetAllocatedBytesForCurrentThread();
                RenderOne(sb, numbers, c);
                long bytes = GC.GetAllocatedBytesForCurrentThread() - start;
                if (bytes != 0)
                {
                    culprits.Add($"{Calls[c].Name}: {bytes} bytes");
                }
            }
        }
        Assert.True(allocated == 0, $"{allocated} bytes allocated: " + string.Join(", ", culprits));
    }

    private static void RenderAll(StringBuilder sb, int[] numbers, int rounds)
    {
        for (int round = 0; round < rounds; round++)
        {
            for (int c = 0; c < Calls.Length; c++)
            {
                RenderOne(sb, numbers, c);
            }
        }
    }

    private static void RenderOne(StringBuilder sb, int[] numbers, int c)
    {
        Span<int> order = stackalloc int[6];
        {
            {
                sb.Clear();
                ReadOnlySpan<ulong> args = Calls[c].Args;
                int count = ArgumentDecoders.GetPrintedArgs(numbers[c], args, order);
                for (int i = 0; i < count; i++)
                {
                    if (!ArgumentDecoders.TryAppend(numbers[c], order[i], args, sb))
                    {
                        sb.Append(args[order[i]]);
                    }
                    sb.Append(", ");
                }
                if (!ArgumentDecoders.TryAppendReturn(numbers[c], args, Calls[c].Ret, sb))
                {
                    sb.Append(Calls[c].Ret);
                }
                ArgumentDecoders.ShouldPrintArg(numbers[c], 3, args);
            }
        }
    }
}
