namespace Traceloop.Recorder.Tls;

/// <summary>
/// A file as the kernel knows it: device and inode. Probes are attached once per file, however
/// many processes, containers or paths map it; two images with their own libssl are two files.
/// </summary>
internal readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode)
{
    public override string ToString() => $"{DeviceMajor:x2}:{DeviceMinor:x2} inode {Inode}";
}
