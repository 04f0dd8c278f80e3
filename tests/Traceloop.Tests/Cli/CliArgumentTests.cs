using Traceloop.Cli;
using Traceloop.Cli.Commands;
using Traceloop.Cli.Common;

namespace Traceloop.Tests.Cli;

/// <summary>Argument parsing and the one-line errors that need no recorder.</summary>
public sealed class CliArgumentTests
{
    private static string MissingSocket => Path.Join(Path.GetTempPath(), $"traceloop-missing-{Guid.NewGuid():N}.sock");

    [Theory]
    [InlineData(new[] { "dump" }, "Required argument 'target' missing")]
    [InlineData(new[] { "dump", "abcd", "--format", "xml" }, "'xml'")]
    [InlineData(new[] { "dump", "abcd", "--last", "ten" }, "ten")]
    [InlineData(new[] { "ls", "-o", "wide-ish" }, "wide-ish")]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    [InlineData(new[] { "rm" }, "dump-id")]
    [InlineData(new[] { "api", "GET" }, "PATH")]
    public async Task BadArguments_ExitOne_WithOneErrorLineAndAHint(string[] args, string expected)
    {
        CliHarness.Result r = await CliHarness.RunAsync(args);
        Assert.Equal((int)ExitCode.Usage, r.ExitCode);
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.StartsWith("See 'traceloop", lines[1], StringComparison.Ordinal);
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData(new[] { "dump", "a/b/c" }, "'a/b/c' is neither a container id nor namespace/pod")]
    [InlineData(new[] { "dump", "shop/" }, "'shop/' is not namespace/pod")]
    [InlineData(new[] { "dump", "abcd", "-c", "app" }, "-c names a container of a pod")]
    [InlineData(new[] { "dump", "abcd", "--last", "0" }, "--last must be a positive whole number")]
    [InlineData(new[] { "dump", "abcd", "--last", "-3" }, "--last must be a positive whole number")]
    [InlineData(new[] { "snapshot", "/pod" }, "'/pod' is not namespace/pod")]
    [InlineData(new[] { "dumps", "--since", "yesterday" }, "--since 'yesterday' is neither a duration")]
    [InlineData(new[] { "api", "PUT", "/containers" }, "method 'PUT' is not one of GET, POST, DELETE")]
    [InlineData(new[] { "api", "GET", "containers" }, "must start with a single /")]
    [InlineData(new[] { "api", "GET", "//evil/containers" }, "must start with a single /")]
    [InlineData(new[] { "api", "GET", "/a b" }, "without spaces or control characters")]
    public async Task BadValues_ExitOne_BeforeAnyRequest(string[] args, string expected)
    {
        CliHarness.Result r = await CliHarness.RunAsync([.. args, "--socket", MissingSocket]);
        Assert.Equal((int)ExitCode.Usage, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, r.Stderr, StringComparison.Ordinal);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("ls")]
    [InlineData("dumps")]
    [InlineData("dump", "0123abcd")]
    [InlineData("dump", "shop/web", "-c", "app", "--format", "perfetto")]
    [InlineData("get", "20260505T120000123Z-0123456789ab")]
    [InlineData("snapshot", "shop/web")]
    [InlineData("rm", "x")]
    [InlineData("version")]
    public async Task AMissingSocket_ExitsTwo_AskingWhetherTheRecorderRuns(params string[] args)
    {
        string socket = MissingSocket;
        CliHarness.Result r = await CliHarness.RunAsync([.. args, "--socket", socket]);
        Assert.Equal((int)ExitCode.Unreachable, r.ExitCode);
        Assert.Equal($"error: cannot connect to {socket}: is the recorder running?\n", r.Stderr);
    }

    [Fact]
    public async Task TheApiBridge_PrintsTheClientSentenceAlone_AndExitsTwo()
    {
        string socket = MissingSocket;
        CliHarness.Result r = await CliHarness.RunAsync(["api", "--socket", socket, "GET", "/containers"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"cannot connect to {socket}: is the recorder running?\n", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public async Task TheSocket_ComesFromTheEnvironment_WhenNotGiven()
    {
        string socket = MissingSocket;
        CliHarness.Result r = await CliHarness.RunAsync(["ls"], environment: new() { ["TRACELOOP_SOCKET"] = socket });
        Assert.Contains(socket, r.Stderr, StringComparison.Ordinal);
        r = await CliHarness.RunAsync(["ls"]);
        Assert.Contains("/run/traceloop/traceloop.sock", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Msgpack_IsRefusedOnATerminal_WithAHint()
    {
        CliHarness.Result r = await CliHarness.RunAsync(["dump", "abcd", "--format", "msgpack", "--socket", MissingSocket], terminal: true);
        Assert.Equal((int)ExitCode.Usage, r.ExitCode);
        Assert.Equal("error: refusing to write binary MessagePack to a terminal: redirect standard output or use -o FILE\n", r.Stderr);
    }

    [Theory]
    [InlineData(true, null, true)]
    [InlineData(true, "1", false)]
    [InlineData(false, null, false)]
    public void Colour_FollowsTheTerminalAndNoColor(bool terminal, string? noColor, bool expected)
    {
        var console = new CliConsole(new MemoryStream(), TextWriter.Null, terminal, name => name == "NO_COLOR" ? noColor : null, TimeProvider.System);
        Assert.Equal(expected, console.Color);
    }

    [Fact]
    public async Task VersionClient_NeedsNoRecorder()
    {
        CliHarness.Result r = await CliHarness.RunAsync(["version", "--client", "--socket", MissingSocket]);
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"^traceloop \d+\.\d+\.\d+\S*\n$", r.Stdout);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData]
    public async Task Help_ListsEveryVerb(params string[] args)
    {
        CliHarness.Result r = await CliHarness.RunAsync(args);
        Assert.Equal(0, r.ExitCode);
        foreach (string verb in (string[])["ls", "dump <target>", "dumps", "get <dump-id>", "snapshot <target>", "rm <dump-id>", "version", "api <METHOD> <PATH>", "--socket"])
        {
            Assert.Contains(verb, r.Stdout, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("15m", 15 * 60)]
    [InlineData("2h", 2 * 3600)]
    [InlineData("7d", 7 * 86400)]
    public void Since_TakesDurations(string text, int seconds)
    {
        DateTimeOffset now = DateTimeOffset.UnixEpoch.AddYears(50);
        Assert.Equal(now.AddSeconds(-seconds), DumpsCommand.ParseSince(text, now));
    }

    [Fact]
    public void Since_TakesTimes() =>
        Assert.Equal(new DateTimeOffset(2026, 5, 6, 12, 0, 0, TimeSpan.Zero), DumpsCommand.ParseSince("2026-05-06T12:00:00Z", DateTimeOffset.UtcNow));

    [Fact]
    public void Targets_AreContainerIdsOrPods()
    {
        Assert.Equal(new DumpTarget("0123abcd", null, null, null), DumpTarget.Parse("0123abcd", null));
        Assert.Equal(new DumpTarget(null, "shop", "web", "app"), DumpTarget.Parse("shop/web", "app"));
        Assert.True(DumpTarget.Parse("shop/web", null).IsPod);
    }
}

/// <summary>Which failures are expected (one line, an exit code) and which are bugs (a stack trace).</summary>
public sealed class CliFailureTests
{
    public static TheoryData<Exception, string, int> Expected => new()
    {
        { new CliException("bad"), "error: bad", (int)ExitCode.Usage },
        { new Traceloop.Api.TraceloopApiException("cannot connect to /s: is the recorder running?"), "error: cannot connect to /s: is the recorder running?", (int)ExitCode.Unreachable },
        { new Traceloop.Api.TraceloopApiException("no such dump", System.Net.HttpStatusCode.NotFound), "error: no such dump", (int)ExitCode.ApiError },
        { new TaskCanceledException("timeout"), "error: the recorder did not answer in time", (int)ExitCode.Unreachable },
        { new MessagePack.MessagePackSerializationException("the dump is truncated"), "error: the recorder sent a dump that cannot be read: the dump is truncated", (int)ExitCode.Failed },
        { new System.Text.Json.JsonException("bad token"), "error: the recorder sent JSON that cannot be read: bad token", (int)ExitCode.Failed },
        { new IOException("Broken pipe"), "error: Broken pipe", (int)ExitCode.Failed },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void ExpectedFailures_AreOneLineWithTheirCode(Exception e, string message, int code) =>
        Assert.Equal((message, (ExitCode)code), CliApp.Describe(e, CancellationToken.None));

    [Fact]
    public void CtrlC_IsAnInterruption()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Equal(ExitCode.Interrupted, CliApp.Describe(new OperationCanceledException(cts.Token), cts.Token)?.Code);
    }

    [Fact]
    public void Bugs_AreNotHidden() =>
        Assert.Null(CliApp.Describe(new NullReferenceException(), CancellationToken.None));
}
