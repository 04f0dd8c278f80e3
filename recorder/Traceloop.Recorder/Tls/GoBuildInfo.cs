using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Traceloop.Recorder.Tls;

/// <summary>
/// The Go toolchain version a binary was built with, read from its <c>.go.buildinfo</c> section
/// (kept by <c>-ldflags=-s -w</c>, which drops only the symbol table and DWARF). The version
/// decides the calling convention: arguments in registers from Go 1.17 on amd64, on the stack
/// before, so a probe that reads registers is only right for 1.17 and later.
/// </summary>
internal sealed record GoBuildInfo(string Version, int Major, int Minor)
{
    private const string SectionName = ".go.buildinfo";

    // "\xff Go buildinf:" then pointer size and flags; the header is 32 bytes.
    private static ReadOnlySpan<byte> Magic => [0xff, (byte)' ', (byte)'G', (byte)'o', (byte)' ', (byte)'b', (byte)'u', (byte)'i', (byte)'l', (byte)'d', (byte)'i', (byte)'n', (byte)'f', (byte)':'];

    private const int HeaderSize = 32;
    private const byte FlagBigEndian = 1;
    // Go 1.18+: the version and module strings follow the header inline, each with a varint length.
    private const byte FlagInlineStrings = 2;

    /// <summary>Go 1.17 put arguments and results in registers on amd64 (the internal ABI, "ABIInternal").</summary>
    public bool HasRegisterAbi => Major > 1 || (Major == 1 && Minor >= 17);

    /// <summary>The build info of <paramref name="elf"/>, or null with the reason it cannot be read.</summary>
    public static GoBuildInfo? TryRead(ElfFile elf, out string? reason)
    {
        ElfSection? section = elf.FindSection(SectionName);
        if (section is null)
        {
            reason = $"no {SectionName} section (not a Go binary, or one whose build info was removed)";
            return null;
        }
        try
        {
            byte[] header = elf.ReadAt((long)section.Offset, (int)Math.Min(section.Size, HeaderSize + 256UL));
            string? version = ReadVersion(elf, header, out reason);
            if (version is null)
            {
                return null;
            }
            if (!TryParseVersion(version, out int major, out int minor))
            {
                reason = $"Go version '{version}' in {SectionName} is not of the form go1.N";
                return null;
            }
            reason = null;
            return new GoBuildInfo(version, major, minor);
        }
        catch (ElfFormatException e)
        {
            reason = e.Message;
            return null;
        }
    }

    private static string? ReadVersion(ElfFile elf, byte[] header, out string? reason)
    {
        if (header.Length < HeaderSize || !header.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            reason = $"{SectionName} does not start with the build info magic";
            return null;
        }
        int pointerSize = header[14];
        byte flags = header[15];
        if (pointerSize != 8 || (flags & FlagBigEndian) != 0)
        {
            reason = $"{SectionName} gives pointer size {pointerSize} and flags {flags:x}; only 64-bit little-endian is read";
            return null;
        }
        if ((flags & FlagInlineStrings) != 0)
        {
            return ReadInlineString(header, HeaderSize, out reason);
        }
        // Before Go 1.18 the header points at a Go string header (data pointer, length) for the version.
        ulong stringHeader = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(16));
        if (!elf.TryGetFileOffset(stringHeader, out long headerOffset))
        {
            reason = $"{SectionName} points at 0x{stringHeader:x} for the version, which no segment maps";
            return null;
        }
        byte[] goString = elf.ReadAt(headerOffset, 16);
        ulong data = BinaryPrimitives.ReadUInt64LittleEndian(goString);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(goString.AsSpan(8));
        if (length is 0 or > 128 || !elf.TryGetFileOffset(data, out long dataOffset))
        {
            reason = $"{SectionName} gives a version string of {length} bytes at 0x{data:x}, which cannot be read";
            return null;
        }
        reason = null;
        return Encoding.UTF8.GetString(elf.ReadAt(dataOffset, (int)length));
    }

    private static string? ReadInlineString(byte[] bytes, int at, out string? reason)
    {
        ulong length = 0;
        int shift = 0;
        while (true)
        {
            if (at >= bytes.Length || shift > 28)
            {
                reason = $"{SectionName} holds a malformed version length";
                return null;
            }
            byte b = bytes[at++];
            length |= (ulong)(b & 0x7f) << shift;
            shift += 7;
            if (b < 0x80)
            {
                break;
            }
        }
        if (length == 0 || length > (ulong)(bytes.Length - at))
        {
            reason = $"{SectionName} gives a version of {length} bytes, which its section does not hold";
            return null;
        }
        reason = null;
        return Encoding.UTF8.GetString(bytes, at, (int)length);
    }

    /// <summary>
    /// "go1.19.8", "go1.21rc2" and "devel go1.22-abcdef …" give 1.19, 1.21 and 1.22. A toolchain
    /// that names itself otherwise is not guessed at.
    /// </summary>
    internal static bool TryParseVersion(string version, out int major, out int minor)
    {
        major = minor = 0;
        int go = version.IndexOf("go", StringComparison.Ordinal);
        if (go < 0)
        {
            return false;
        }
        ReadOnlySpan<char> rest = version.AsSpan(go + 2);
        int dot = rest.IndexOf('.');
        if (dot <= 0 || !int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out major))
        {
            return false;
        }
        rest = rest[(dot + 1)..];
        int digits = 0;
        while (digits < rest.Length && char.IsAsciiDigit(rest[digits]))
        {
            digits++;
        }
        return digits > 0 && int.TryParse(rest[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out minor);
    }
}
