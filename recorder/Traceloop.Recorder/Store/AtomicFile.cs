using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Traceloop.Recorder.Store;

/// <summary>
/// Whole-file writes that a crash or a power cut leaves either complete or absent: a temporary
/// file in the same directory (owner-only, a fresh name per write, created exclusively so
/// nothing already there is opened), fsync, rename over the name, fsync of the directory (the
/// rename is only durable once the directory is). A temporary file a crash left behind is named
/// <c>.&lt;name&gt;.&lt;random&gt;.tmp</c>; <see cref="IsTemporary"/> recognises it.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content) => Commit(WriteTemporary(path, content), path);

    /// <summary>Writes <paramref name="content"/> durably under a fresh temporary name beside <paramref name="path"/>; returns that name.</summary>
    public static string WriteTemporary(string path, ReadOnlySpan<byte> content)
    {
        string temp = Path.Join(Path.GetDirectoryName(path), "." + Path.GetFileName(path) + "." + RandomNumberGenerator.GetHexString(8, lowercase: true) + ".tmp");
        try
        {
            using var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            file.Write(content);
            file.Flush(flushToDisk: true);
        }
        catch
        {
            Discard(temp);
            throw;
        }
        return temp;
    }

    /// <summary>Renames a file written by <see cref="WriteTemporary"/> over <paramref name="path"/> and makes the rename durable.</summary>
    public static void Commit(string temp, string path)
    {
        try
        {
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            Discard(temp);
            throw;
        }
        SyncDirectory(Path.GetDirectoryName(path)!);
    }

    public static void Discard(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next start to remove.
        }
    }

    public static bool IsTemporary(string name) => name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal);

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
