using System.Text;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// struct sysinfo of sysinfo (argument 0, exit), every field, as strace prints it even without -v:
/// <c>{uptime=2743, loads=[124256, 166944, 143712], totalram=..., ..., procs=117, totalhigh=0, freehigh=0, mem_unit=1}</c>.
/// </summary>
internal static class SysInfo
{
    /// <summary>x86-64: long uptime, 3 loads, 6 sizes (8 each), u16 procs (+6 padding), 2 sizes, u32 mem_unit; 112 with the tail.</summary>
    public const int Size = 112;

    /// <summary>The bytes up to mem_unit, which is all strace prints.</summary>
    public const int PrintedSize = 108;

    private static readonly string[] Sizes = ["totalram", "freeram", "sharedram", "bufferram", "totalswap", "freeswap"];

    public static bool TryAppend(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, 0, 8))
        {
            return false;
        }
        sb.Append("{uptime=").Append(I64(data, 0));
        if (!Has(data, 8, 24))
        {
            return Cut(sb);
        }
        sb.Append(", loads=[").Append(U64(data, 8)).Append(", ").Append(U64(data, 16)).Append(", ").Append(U64(data, 24)).Append(']');
        int offset = 32;
        foreach (string name in Sizes)
        {
            if (!Has(data, offset, 8))
            {
                return Cut(sb);
            }
            sb.Append(", ").Append(name).Append('=').Append(U64(data, offset));
            offset += 8;
        }
        if (!Has(data, 80, 2))
        {
            return Cut(sb);
        }
        sb.Append(", procs=").Append(U16(data, 80));
        if (!Has(data, 88, 8))
        {
            return Cut(sb);
        }
        sb.Append(", totalhigh=").Append(U64(data, 88));
        if (!Has(data, 96, 8))
        {
            return Cut(sb);
        }
        sb.Append(", freehigh=").Append(U64(data, 96));
        if (!Has(data, 104, 4))
        {
            return Cut(sb);
        }
        sb.Append(", mem_unit=").Append(U32(data, 104)).Append('}');
        return true;
    }
}
