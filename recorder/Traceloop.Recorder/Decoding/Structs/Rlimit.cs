using System.Text;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// struct rlimit (two 64-bit limits on x86-64, so getrlimit's and prlimit64's are the same):
/// getrlimit (argument 1, exit), setrlimit (1, entry), prlimit64 (2 at entry, 3 at exit):
/// <c>{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}</c>.
/// </summary>
internal static class Rlimit
{
    public const int Size = 16;

    public static bool TryAppend(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, 0, 8))
        {
            return false;
        }
        sb.Append("{rlim_cur=");
        AppendLimit(sb, U64(data, 0));
        if (!Has(data, 8, 8))
        {
            return Cut(sb);
        }
        sb.Append(", rlim_max=");
        AppendLimit(sb, U64(data, 8));
        sb.Append('}');
        return true;
    }

    /// <summary>strace's <c>sprint_rlim64</c>: RLIM64_INFINITY, multiples of 1024 above 1024 as <c>N*1024</c>, else decimal.</summary>
    public static void AppendLimit(StringBuilder sb, ulong limit)
    {
        if (limit == ulong.MaxValue)
        {
            sb.Append("RLIM64_INFINITY");
        }
        else if (limit > 1024 && limit % 1024 == 0)
        {
            sb.Append(limit / 1024).Append("*1024");
        }
        else
        {
            sb.Append(limit);
        }
    }
}
