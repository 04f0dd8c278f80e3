using System.Text;
using Traceloop.Recorder.Decoding.Flags;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// getdents64's and getdents' buffer (argument 1, exit) as strace prints it without -v: the pointer
/// and how many entries the call returned, <c>0x55d5c1b2c2a0 /* 5 entries */</c>.
/// </summary>
/// <remarks>
/// The kernel side walks the d_reclen fields of the first return-value bytes and captures the count
/// as one u32. strace says "1 entries" too.
/// </remarks>
internal static class Dirents
{
    public const int CountSize = 4;

    public static bool TryAppend(StringBuilder sb, ReadOnlySpan<byte> data, ulong buffer)
    {
        if (!Has(data, 0, CountSize))
        {
            return false;
        }
        FlagText.Address(sb, buffer);
        sb.Append(" /* ").Append(U32(data, 0)).Append(" entries */");
        return true;
    }
}
