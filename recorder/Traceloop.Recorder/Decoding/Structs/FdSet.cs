using System.Text;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// The fd_set arguments of pselect6 and select (arguments 1 to 3), as bit arrays of nfds bits:
/// <c>[3 4]</c> at entry, and what strace appends to the return value:
/// <c>= 2 (in [3], out [4], left {tv_sec=0, tv_nsec=999997456})</c>, <c>= 0 (Timeout)</c>.
/// </summary>
/// <remarks>
/// Each set is captured at entry and again at exit as min(nfds, <see cref="MaxBytes"/>) bytes: at
/// least the nfds / 8 bytes the bits need (and never more than the 128-byte fd_set programs pass).
/// Checked against strace 6.1: sets are printed with their descriptors separated by spaces; after
/// the return value the ready ones, in, out and except in that order, stopping once as many
/// descriptors as the call returned were listed, then pselect6's remaining time.
/// </remarks>
internal static class FdSet
{
    /// <summary>Bytes of a glibc fd_set (FD_SETSIZE 1024 bits).</summary>
    public const int MaxBytes = 128;

    /// <summary>pselect6's sixth argument, { const sigset_t *ss; size_t ss_len }.</summary>
    public const int SigmaskArgSize = 16;

    /// <summary>A set as passed in: the descriptors below <paramref name="nfds"/> whose bit is set.</summary>
    public static bool TryAppend(StringBuilder sb, ReadOnlySpan<byte> data, ulong nfds)
    {
        if (!Covers(data, nfds))
        {
            return false;
        }
        sb.Append('[');
        int remaining = int.MaxValue;
        AppendBits(sb, data, (int)nfds, ref remaining);
        sb.Append(']');
        return true;
    }

    /// <summary>
    /// What strace prints after a successful pselect6's return value, space included. The three sets
    /// are what the kernel left at exit (empty when the pointer was NULL); <paramref name="left"/> the
    /// timeout at exit (empty when there was none). False, appending nothing, when a set that was passed
    /// was not captured.
    /// </summary>
    public static bool TryAppendResult(StringBuilder sb, ReadOnlySpan<byte> read, ReadOnlySpan<byte> write, ReadOnlySpan<byte> except,
        ReadOnlySpan<ulong> passed, ulong nfds, long ret, ReadOnlySpan<byte> left)
    {
        if (ret < 0)
        {
            return false;
        }
        if (ret == 0)
        {
            sb.Append(" (Timeout)");
            return true;
        }
        for (int i = 0; i < 3; i++)
        {
            if (passed[i] != 0 && !Covers(i switch { 0 => read, 1 => write, _ => except }, nfds))
            {
                return false;
            }
        }
        int start = sb.Length;
        sb.Append(" (");
        int remaining = (int)Math.Min(ret, int.MaxValue);
        bool any = false;
        for (int i = 0; i < 3 && remaining > 0; i++)
        {
            ReadOnlySpan<byte> set = i switch { 0 => read, 1 => write, _ => except };
            if (passed[i] == 0 || FirstBit(set, (int)nfds) < 0)
            {
                continue;
            }
            sb.Append(any ? ", " : "").Append(i switch { 0 => "in", 1 => "out", _ => "except" }).Append(" [");
            AppendBits(sb, set, (int)nfds, ref remaining);
            sb.Append(']');
            any = true;
        }
        if (!left.IsEmpty)
        {
            sb.Append(any ? ", left " : "left ");
            Time.TryAppendTimespec(sb, left);
        }
        else if (!any)
        {
            sb.Length = start;
            return false;
        }
        sb.Append(')');
        return true;
    }

    /// <summary>pselect6's sixth argument: <c>{sigmask=NULL, sigsetsize=8}</c>; false for a mask pointer (the set itself is not captured).</summary>
    public static bool TryAppendSigmaskArg(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, 0, SigmaskArgSize) || U64(data, 0) != 0)
        {
            return false;
        }
        sb.Append("{sigmask=NULL, sigsetsize=").Append(U64(data, 8)).Append('}');
        return true;
    }

    private static bool Covers(ReadOnlySpan<byte> data, ulong nfds) => nfds <= (ulong)MaxBytes * 8 && (ulong)data.Length * 8 >= nfds;

    private static int FirstBit(ReadOnlySpan<byte> data, int nfds)
    {
        for (int fd = 0; fd < nfds && fd / 8 < data.Length; fd++)
        {
            if ((data[fd / 8] & (1 << (fd % 8))) != 0)
            {
                return fd;
            }
        }
        return -1;
    }

    private static void AppendBits(StringBuilder sb, ReadOnlySpan<byte> data, int nfds, ref int remaining)
    {
        bool first = true;
        for (int fd = 0; fd < nfds && fd / 8 < data.Length && remaining > 0; fd++)
        {
            if ((data[fd / 8] & (1 << (fd % 8))) == 0)
            {
                continue;
            }
            if (!first)
            {
                sb.Append(' ');
            }
            sb.Append(fd);
            first = false;
            remaining--;
        }
    }
}
