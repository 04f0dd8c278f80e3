using System.CommandLine;
using System.Globalization;
using Traceloop.Api;
using Traceloop.Cli.Common;
using Traceloop.Cli.Common.Presentation;

namespace Traceloop.Cli.Commands;

/// <summary><c>traceloop dumps</c>: the dumps kept on this node, newest first.</summary>
internal static class DumpsCommand
{
    public static Command Create(CommonOptions options)
    {
        (Option<string> ns, Option<string> pod, Option<string> container) = CommonOptions.NameFilters("dumps");
        var trigger = new Option<string>("--trigger") { Description = "Only dumps kept for this reason: exit, signal, oom, manual, fatal-signal, syscall-error" };
        var since = new Option<string>("--since") { Description = "Only dumps newer than this: a duration (30s, 15m, 2h, 7d) or a time (2026-05-06T12:00:00Z)" };
        Option<string> output = CommonOptions.OutputFormat();
        var command = new Command("dumps", "List the saved dumps (crashes and snapshots), newest first") { ns, pod, container, trigger, since, output };
        command.SetAction(async (parse, ct) =>
        {
            OutputFormat format = CommonOptions.ParseOutputFormat(parse.GetValue(output));
            DateTimeOffset now = options.Console.Clock.GetUtcNow();
            var query = new SavedDumpQuery(parse.GetValue(ns), parse.GetValue(pod), parse.GetValue(container), parse.GetValue(trigger),
                parse.GetValue(since) is { } s ? ParseSince(s, now) : null);
            using TraceloopClient client = options.Client(parse);
            List<SavedDumpInfo> dumps = await client.GetSavedDumpsAsync(query, ct).ConfigureAwait(false);
            options.WriteListing(format, dumps, TraceloopJson.Context.ListSavedDumpInfo, now => ListingTables.SavedDumps(dumps, now), "No saved dumps.");
            return (int)ExitCode.Success;
        });
        return command;
    }

    /// <summary>"90s", "15m", "2h", "7d" before <paramref name="now"/>, or an absolute ISO 8601 time.</summary>
    internal static DateTimeOffset ParseSince(string text, DateTimeOffset now)
    {
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n)
            && n <= 100 * 365 * 24 * 3600L)
        {
            TimeSpan? span = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(Math.Min(n, 36_500)),
                _ => null,
            };
            if (span is { } s)
            {
                return now - s;
            }
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset time))
        {
            return time;
        }
        throw new CliException($"--since '{text}' is neither a duration (30s, 15m, 2h, 7d) nor a time (2026-05-06T12:00:00Z)");
    }
}
