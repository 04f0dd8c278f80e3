using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Decoding.Structs;
using SizeSource = Traceloop.Recorder.Bpf.SizeSource;

namespace Traceloop.Tests.Decoding;

/// <summary>The items the kernel's captures map is loaded with, as bpf/traceloop.h reads them.</summary>
public sealed class CaptureTableTests
{
    private static readonly Dictionary<int, tl_syscall_captures> Table = CaptureTable.Build();

    private static tl_capture[] Items(string syscall)
    {
        Assert.True(SyscallTable.TryGetNumber(syscall, out int nr));
        Assert.True(Table.TryGetValue(nr, out tl_syscall_captures plan), $"{syscall} has no captures");
        tl_capture[] all = [plan.item0, plan.item1, plan.item2, plan.item3, plan.item4, plan.item5, plan.item6, plan.item7];
        return all[..(plan.enter + plan.exit)];
    }

    [Fact]
    public void EntryItemsComeFirstAndNoSyscallHasMoreThanTheKernelTakes()
    {
        foreach ((int nr, tl_syscall_captures plan) in Table)
        {
            tl_capture[] all = [plan.item0, plan.item1, plan.item2, plan.item3, plan.item4, plan.item5, plan.item6, plan.item7];
            Assert.True(plan.enter + plan.exit <= RecordLayout.MaxCaptures, SyscallTable.Name(nr));
            Assert.All(all[..plan.enter], i => Assert.Equal(0, i.at_exit));
            Assert.All(all[plan.enter..(plan.enter + plan.exit)], i => Assert.Equal(1, i.at_exit));
            Assert.All(all[(plan.enter + plan.exit)..], i => Assert.Equal(CaptureKind.None, i.kind));
        }
    }

    [Theory]
    [InlineData("writev", 0)]
    [InlineData("pwritev", 0)]
    [InlineData("pwritev2", 0)]
    [InlineData("readv", 1)]
    [InlineData("preadv", 1)]
    [InlineData("preadv2", 1)]
    public void IovecsAreGatheredWhereTheirDataIsDefined(string syscall, byte atExit)
    {
        tl_capture item = Assert.Single(Items(syscall), i => i.kind == CaptureKind.IoVec);
        Assert.Equal(1, item.arg);
        Assert.Equal(2, item.size_arg);
        Assert.Equal(atExit, item.at_exit);
        // Reads are bounded by what the call returned and only taken when it succeeded.
        Assert.Equal(atExit == 1 ? SizeSource.Ret : SizeSource.Fixed, item.size_src);
        Assert.Equal(atExit == 1, (item.flags & CaptureFlags.IfOk) != 0);
    }

    [Fact]
    public void MsghdrsAreGatheredWithTheirControlDataAndRecvmsgKeepsItsNameLengthFromEntry()
    {
        tl_capture send = Assert.Single(Items("sendmsg"), i => i.kind == CaptureKind.MsgHdr);
        Assert.Equal((1, 0, MsgHdr.ControlBytes), (send.arg, send.at_exit, (int)send.limit));

        tl_capture[] recv = Items("recvmsg");
        tl_capture msg = Assert.Single(recv, i => i.kind == CaptureKind.MsgHdr);
        Assert.Equal((1, 1, SizeSource.Ret), (msg.arg, msg.at_exit, msg.size_src));
        tl_capture nameLength = Assert.Single(recv, i => i.kind == CaptureKind.Bytes);
        Assert.Equal((1, 0, 8u, 4), (nameLength.arg, nameLength.at_exit, nameLength.offset, (int)nameLength.size));
    }

    [Fact]
    public void IoctlStructsAreTakenOnlyForTheirRequest()
    {
        tl_capture[] items = Items("ioctl");
        Assert.All(items, i =>
        {
            Assert.True((i.flags & CaptureFlags.IfArg) != 0);
            Assert.Equal(1, i.sel_arg);
        });
        Assert.Equal(items.Length, items.Select(i => (i.sel_value, i.at_exit)).Distinct().Count());
        Assert.Contains(items, i => i.sel_value == 0x541b && i.at_exit == 1 && i.size == 4); // FIONREAD
        Assert.Contains(items, i => i.sel_value == 0x5413 && i.at_exit == 1 && i.size == 8); // TIOCGWINSZ
    }

    [Fact]
    public void EpollCtlReadsItsEventOnlyForAddAndMod()
    {
        tl_capture item = Assert.Single(Items("epoll_ctl"));
        Assert.Equal((CaptureKind.Bytes, 3, 0, 12), (item.kind, (int)item.arg, (int)item.at_exit, (int)item.size));
        Assert.Equal(CaptureFlags.IfArgIn, item.flags & (CaptureFlags.IfArg | CaptureFlags.IfArgIn));
        Assert.Equal(1, item.sel_arg);
        Assert.Equal((1u << 1) | (1u << 3), item.sel_value); // EPOLL_CTL_ADD, EPOLL_CTL_MOD; not DEL (2)

        // The renderer's side of the same selector: DEL, and an op no kernel has, print the pointer.
        Assert.True(SyscallTable.TryGetNumber("epoll_ctl", out int nr));
        Assert.NotNull(CaptureTable.StructFor(nr, 3, atExit: false, [3, 1, 4, 0x7ffd0000]));
        Assert.NotNull(CaptureTable.StructFor(nr, 3, atExit: false, [3, 3, 4, 0x7ffd0000]));
        Assert.Null(CaptureTable.StructFor(nr, 3, atExit: false, [3, 2, 4, 0x7ffd0000]));
        Assert.Null(CaptureTable.StructFor(nr, 3, atExit: false, [3, 33, 4, 0x7ffd0000]));
    }

    [Fact]
    public void PrctlReadsATaskNameOnlyForTheNameOptions()
    {
        tl_capture[] items = Items("prctl");
        Assert.Equal(2, items.Length);
        Assert.All(items, i => Assert.Equal((CaptureKind.String, (byte)1, (byte)0, CaptureTable.TaskNameBytes + 1), (i.kind, i.arg, i.sel_arg, (int)i.limit)));
        Assert.Contains(items, i => i.sel_value == 15 && i.at_exit == 0); // PR_SET_NAME
        Assert.Contains(items, i => i.sel_value == 16 && i.at_exit == 1); // PR_GET_NAME
    }

    [Fact]
    public void RtSigreturnReadsTheMaskFromTheStack()
    {
        tl_capture item = Assert.Single(Items("rt_sigreturn"));
        Assert.True((item.flags & CaptureFlags.Stack) != 0);
        Assert.Equal((0, (uint)Signals.FrameMaskOffset, 8), (item.at_exit, item.offset, (int)item.size));
    }

    [Fact]
    public void GetrandomBytesAreADataBufferReadAtExitAndShownInHex()
    {
        tl_capture item = Assert.Single(Items("getrandom"));
        Assert.Equal((1, SizeSource.Ret), (item.at_exit, item.size_src));
        Assert.True((item.flags & (CaptureFlags.Data | CaptureFlags.IfOk)) == (CaptureFlags.Data | CaptureFlags.IfOk));
        Assert.True(SyscallTable.TryGetNumber("getrandom", out int nr));
        Assert.Equal(PayloadShape.Hex, CaptureTable.ShapeOf(nr, 0));
    }
}
