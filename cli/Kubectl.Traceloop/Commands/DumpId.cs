using System.CommandLine;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Commands;

/// <summary>The dump-id argument of get and rm, checked before it becomes part of a URL path.</summary>
internal static class DumpId
{
    public static Argument<string> Argument() => new("dump-id") { Description = "A dump id, as `kubectl traceloop crashes` lists it" };

    public static string Validate(string id)
    {
        if (id.Length == 0 || id.Any(ch => !(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' or '~')) || id is "." or "..")
        {
            throw new PluginException($"{id} is not a dump id: ids are letters, digits, '-', '_', '.' and '~'", ExitCode.Usage);
        }
        return id;
    }
}
