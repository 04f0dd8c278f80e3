using System.Runtime.InteropServices;

namespace Traceloop.FunctionalTests.Containers;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const short POLLIN = 0x0001;

        /// <summary>The peer shut down its side: set while data it sent before still waits to be read.</summary>
        internal const short POLLRDHUP = 0x2000;

        [StructLayout(LayoutKind.Sequential)]
        internal struct PollFd // struct pollfd
        {
            public int fd;
            public short events;
            public short revents;
        }

        [LibraryImport(LibraryName, EntryPoint = "poll", SetLastError = true)]
        internal static partial int poll(ref PollFd fds, nuint nfds, int timeout);
    }
}
