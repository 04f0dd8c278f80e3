// eBPF, cgroups and Unix sockets: the recorder runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
