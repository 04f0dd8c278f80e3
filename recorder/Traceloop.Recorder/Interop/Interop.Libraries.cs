internal static partial class Interop
{
    internal static class Libraries
    {
        // Debian's libbpf1 package; the soname is part of the contract, not a guess.
        internal const string Libbpf = "libbpf.so.1";
        internal const string Libc = "libc";
    }
}
