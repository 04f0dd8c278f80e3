using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // libbpf hands its log lines over as (format, va_list); on x86-64 and arm64 a va_list
        // parameter travels as one pointer, so formatting them needs libc's vsnprintf.
        [LibraryImport(Libraries.Libc)]
        internal static unsafe partial int vsnprintf(byte* str, nuint size, byte* format, nint ap);
    }
}
