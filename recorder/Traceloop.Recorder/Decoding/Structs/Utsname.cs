using System.Text;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>struct utsname of uname (argument 0, exit), abbreviated as strace prints it: <c>{sysname="Linux", nodename="vm", ...}</c>.</summary>
internal static class Utsname
{
    /// <summary>Six fields of 65 bytes.</summary>
    public const int Size = 390;

    private const int FieldSize = 65;

    /// <summary>The bytes strace's abbreviated form needs: sysname and nodename.</summary>
    public const int PrintedSize = 2 * FieldSize;

    public static bool TryAppend(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, 0, FieldSize))
        {
            return false;
        }
        sb.Append("{sysname=");
        AppendFixedString(sb, data[..FieldSize]);
        if (!Has(data, FieldSize, FieldSize))
        {
            return Cut(sb);
        }
        sb.Append(", nodename=");
        AppendFixedString(sb, data.Slice(FieldSize, FieldSize));
        sb.Append(", ...}");
        return true;
    }
}
