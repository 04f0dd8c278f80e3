using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Traceloop.Recorder.Store;

/// <summary>
/// Opens what the dumps directory holds as anyone with write access to it may have left it: a
/// symbolic link is never followed (lstat first, O_NOFOLLOW against a swap in between), a FIFO
/// never blocks the open (O_NONBLOCK, and lstat refuses it before), and anything but a regular
/// file is refused with a reason before a byte of it is read.
/// </summary>
internal static class RegularFile
{
    /// <summary>Why the entry at <paramref name="path"/> is not a regular file (lstat, nothing opened); null when it is one.</summary>
    /// <exception cref="FileNotFoundException">Nothing is there (any more).</exception>
    public static string? NotRegular(string path, out long size)
    {
        if (Interop.Libc.statx(Interop.Libc.AT_FDCWD, path, Interop.Libc.AT_SYMLINK_NOFOLLOW, Interop.Libc.STATX_TYPE | Interop.Libc.STATX_SIZE,
            out Interop.Libc.statx_buffer st) != 0)
        {
            throw Failure(path, Marshal.GetLastPInvokeError());
        }
        size = (long)st.stx_size;
        return Describe(st.stx_mode);
    }

    /// <summary>Opens a regular file for reading.</summary>
    /// <exception cref="FileNotFoundException">Nothing is there (any more).</exception>
    /// <exception cref="CorruptDumpException">It is not a regular file; the message says what it is.</exception>
    /// <exception cref="IOException">Any other failure, which may pass.</exception>
    public static SafeFileHandle Open(string path, out long size)
    {
        if (NotRegular(path, out size) is { } what)
        {
            throw new CorruptDumpException($"it is {what}, not a regular file");
        }
        SafeFileHandle fd = Interop.Libc.open(path, Interop.Libc.O_RDONLY | Interop.Libc.O_NOFOLLOW | Interop.Libc.O_NONBLOCK | Interop.Libc.O_CLOEXEC);
        if (fd.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            fd.Dispose();
            throw errno == Interop.Libc.ELOOP ? new CorruptDumpException("it is a symbolic link, not a regular file") : Failure(path, errno);
        }
        // Checked again on what was opened: the name may have been swapped since the lstat.
        if (Interop.Libc.fstatx(fd, "", Interop.Libc.AT_EMPTY_PATH, Interop.Libc.STATX_TYPE | Interop.Libc.STATX_SIZE, out Interop.Libc.statx_buffer st) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            fd.Dispose();
            throw Failure(path, errno);
        }
        if (Describe(st.stx_mode) is { } now)
        {
            fd.Dispose();
            throw new CorruptDumpException($"it is {now}, not a regular file");
        }
        size = (long)st.stx_size;
        return fd;
    }

    private static string? Describe(ushort mode) => (mode & Interop.Libc.S_IFMT) switch
    {
        Interop.Libc.S_IFREG => null,
        Interop.Libc.S_IFLNK => "a symbolic link",
        Interop.Libc.S_IFDIR => "a directory",
        Interop.Libc.S_IFIFO => "a FIFO",
        Interop.Libc.S_IFSOCK => "a socket",
        Interop.Libc.S_IFCHR => "a character device",
        Interop.Libc.S_IFBLK => "a block device",
        int other => $"a file of type 0x{other:x}",
    };

    private static IOException Failure(string path, int errno) => errno == Interop.Libc.ENOENT
        ? new FileNotFoundException($"{Path.GetFileName(path)} is gone", path)
        : new IOException($"{Path.GetFileName(path)} cannot be opened: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
}
