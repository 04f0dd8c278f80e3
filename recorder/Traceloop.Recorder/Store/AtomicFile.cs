using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Traceloop.Recorder.Store;

/// <summary>
/// Whole-file writes that a crash or a power cut leaves either complete or absent: a temporary
/// file in the same directory (owner-only), fsync, rename over the name, fsync of the directory
/// (the rename is only durable once the directory is).
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        string dir = Path.GetDirectoryName(path)!;
        string temp = Path.Join(dir, "." + Path.GetFileName(path) + ".tmp");
        try
        {
            using (var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                file.Write(content);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        SyncDirectory(dir);
    }

    public static void SyncDirectory(string dir)
    {
        using SafeFileHandle fd = Interop.Libc.open_directory(dir, Interop.Libc.O_RDONLY | Interop.Libc.O_DIRECTORY | Interop.Libc.O_CLOEXEC);
        if (fd.IsInvalid)
        {
            throw new IOException($"cannot open {dir} to sync it (errno {Marshal.GetLastPInvokeError()})");
        }
        if (Interop.Libc.fsync(fd) != 0)
        {
            throw new IOException($"syncing {dir} failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }
}
