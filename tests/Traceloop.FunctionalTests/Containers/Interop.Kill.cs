using System.Runtime.InteropServices;

namespace Traceloop.FunctionalTests.Containers;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int SIGTERM = 15;

        [LibraryImport(LibraryName, EntryPoint = "kill", SetLastError = true)]
        internal static partial int kill(int pid, int signal);
    }
}
