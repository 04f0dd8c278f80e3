namespace Traceloop.FunctionalTests.Containers;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // The versioned soname: a bare "libc.so" is a linker script on glibc systems and dlopen rejects it.
        internal const string LibraryName = "libc.so.6";

        internal const int EINTR = 4;
        internal const int ESRCH = 3;
    }
}
