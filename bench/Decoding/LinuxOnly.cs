// It benchmarks the recorder's code, which runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
