using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // Ring keys come from the kernel's CSPRNG directly: RandomNumberGenerator would load
        // OpenSSL's libcrypto (3 MB resident) into an agent that otherwise never needs it.
        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static unsafe partial nint getrandom(void* buf, nuint buflen, uint flags);
    }
}
