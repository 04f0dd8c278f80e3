using System.Runtime.InteropServices;

namespace Traceloop.FunctionalTests.Containers;

internal static partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(LibraryName, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int mount_core(string source, string target, string fileSystemType, ulong flags, nint data);

        /// <summary>mount(2) of a pseudo file system (tracefs, bpffs) with no options.</summary>
        internal static void Mount(string source, string target, string fileSystemType)
        {
            if (mount_core(source, target, fileSystemType, 0, 0) != 0)
            {
                throw new InvalidOperationException($"mount -t {fileSystemType} {target}: {Marshal.GetLastPInvokeErrorMessage()}");
            }
        }
    }
}
