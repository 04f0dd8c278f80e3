using System.Runtime.InteropServices;

namespace Traceloop.FunctionalTests.Containers;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int SIGTERM = 15;
        internal const int SIGCONT = 18;
        internal const int SIGSTOP = 19;

        [LibraryImport(LibraryName, EntryPoint = "kill", SetLastError = true)]
        internal static partial int kill(int pid, int signal);
    }
}
