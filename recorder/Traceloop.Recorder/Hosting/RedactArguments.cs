namespace Traceloop.Recorder.Hosting;

/// <summary>
/// <c>--redact REGEX</c> may be given many times, and a pattern may itself start with dashes or
/// hold '='. The command-line configuration provider keeps only the last value of a repeated
/// switch, so each one is rewritten as its own list entry, <c>--Redact:command-line-N=REGEX</c>:
/// the command line adds patterns to those of the config file and the environment
/// (<c>TRACELOOP_Redact__0</c>, ...), never replaces them.
/// </summary>
internal static class RedactArguments
{
    public const string Switch = "--redact";

    public static string[] Expand(string[] args, out string? error)
    {
        error = null;
        var expanded = new List<string>(args.Length);
        int n = 0;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? pattern = null;
            if (arg == Switch)
            {
                if (i + 1 == args.Length)
                {
                    error = "--redact needs a regular expression after it";
                    return args;
                }
                pattern = args[++i];
            }
            else if (arg.StartsWith(Switch + "=", StringComparison.Ordinal))
            {
                pattern = arg[(Switch.Length + 1)..];
            }
            if (pattern is null)
            {
                expanded.Add(arg);
                continue;
            }
            expanded.Add($"--{nameof(RecorderOptions.Redact)}:command-line-{n++}={pattern}");
        }
        return [.. expanded];
    }
}
