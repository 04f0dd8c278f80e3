using System.Text;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>The int[2] that pipe, pipe2 (argument 0) and socketpair (argument 3) fill at exit: <c>[3, 4]</c>.</summary>
internal static class IntPair
{
    public const int Size = 8;

    public static bool TryAppend(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, 0, 4))
        {
            return false;
        }
        sb.Append('[').Append(I32(data, 0));
        if (!Has(data, 4, 4))
        {
            sb.Append(", ...]");
            return true;
        }
        sb.Append(", ").Append(I32(data, 4)).Append(']');
        return true;
    }
}
