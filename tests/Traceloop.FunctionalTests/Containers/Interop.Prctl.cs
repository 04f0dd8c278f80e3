using System.Runtime.InteropServices;

namespace Traceloop.FunctionalTests.Containers;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int PR_SET_CHILD_SUBREAPER = 36;
        internal const int PR_GET_CHILD_SUBREAPER = 37;

        // prctl is variadic in C; every option used here takes unsigned long arguments, which travel in the same registers.
        [LibraryImport(LibraryName, SetLastError = true)]
        private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

        internal static void SetChildSubreaper()
        {
            if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
            {
                throw new InvalidOperationException($"prctl(PR_SET_CHILD_SUBREAPER) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        internal static unsafe bool IsChildSubreaper()
        {
            int value = 0;
            if (prctl(PR_GET_CHILD_SUBREAPER, (nuint)(&value), 0, 0, 0) != 0)
            {
                throw new InvalidOperationException($"prctl(PR_GET_CHILD_SUBREAPER) failed: errno {Marshal.GetLastPInvokeError()}");
            }
            return value != 0;
        }
    }
}
