using System.Reflection;

namespace Traceloop.Recorder;

internal static class RecorderVersion
{
    public static readonly string Value =
        typeof(RecorderVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";
}
