using System.Runtime.Versioning;

// Runc containers, cgroups, pidfds and Unix file modes: the functional tests run only where the recorder does.
[assembly: SupportedOSPlatform("linux")]
