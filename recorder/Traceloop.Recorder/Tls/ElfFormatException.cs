namespace Traceloop.Recorder.Tls;

/// <summary>A file that is not an ELF file this reader handles, or whose layout contradicts itself; the message says how.</summary>
internal sealed class ElfFormatException : Exception
{
    public ElfFormatException(string message) : base(message) { }

    public ElfFormatException(string message, Exception inner) : base(message, inner) { }
}
