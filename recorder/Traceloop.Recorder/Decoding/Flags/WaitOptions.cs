using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>wait4's and waitid's options and waitid's id type.</summary>
internal static class WaitOptions
{
    /// <summary>strace's order: WEXITED before WSTOPPED, __WCLONE before __WALL and __WNOTHREAD.</summary>
    private static readonly NameTable Options = new(
        "W???",
        new(0x1, "WNOHANG"),
        new(0x4, "WEXITED"),
        new(0x2, "WSTOPPED"),
        new(0x8, "WCONTINUED"),
        new(0x1000000, "WNOWAIT"),
        new(0x80000000, "__WCLONE"),
        new(0x40000000, "__WALL"),
        new(0x20000000, "__WNOTHREAD"));

    private static readonly NameTable IdTypes = new(
        "P_???",
        new(0, "P_ALL"),
        new(1, "P_PID"),
        new(2, "P_PGID"),
        new(3, "P_PIDFD"));

    public static void AppendOptions(StringBuilder sb, ulong options) => Options.AppendFlags(sb, options & 0xffffffff);

    public static void AppendIdType(StringBuilder sb, ulong idtype) => IdTypes.AppendValue(sb, idtype & 0xffffffff);

    internal static void Register(DecoderRegistry r)
    {
        r.For("wait4").Arg(2, static (sb, a) => AppendOptions(sb, a[2]));
        r.For("waitid")
            .Arg(0, static (sb, a) => AppendIdType(sb, a[0]))
            .Arg(3, static (sb, a) => AppendOptions(sb, a[3]));
    }
}
