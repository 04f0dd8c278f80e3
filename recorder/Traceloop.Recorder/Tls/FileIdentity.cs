namespace Traceloop.Recorder.Tls;

/// <summary>
/// A file as the kernel knows it: device and inode. Probes are attached once per file, however
/// many processes, containers or paths map it; two images with their own libssl are two files.
/// </summary>
internal readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode)
{
    /// <summary>The identity of the file at <paramref name="path"/> (symbolic links followed), or null when it cannot be stat'ed.</summary>
    public static FileIdentity? Of(string path)
    {
        if (Interop.Libc.stat(path, out Interop.Libc.StatBuffer buffer) != 0)
        {
            return null;
        }
        // glibc's dev_t encoding (gnu_dev_major/gnu_dev_minor): 12 bits of major and 20 of minor, split.
        ulong dev = buffer.st_dev;
        uint major = (uint)(((dev >> 8) & 0xfff) | ((dev >> 32) & 0xfffff000));
        uint minor = (uint)((dev & 0xff) | ((dev >> 12) & 0xffffff00));
        return new FileIdentity(major, minor, buffer.st_ino);
    }

    public override string ToString() => $"{DeviceMajor:x2}:{DeviceMinor:x2} inode {Inode}";
}
