using System.Text.Json;
using Traceloop.Api;
using Traceloop.TestCommon.Cli;

namespace Traceloop.FunctionalTests.Cli;

/// <summary>dumps, get, snapshot and rm of the built binary, against a server speaking the saved-dump contract.</summary>
public sealed class CliSavedDumpTests : IAsyncLifetime
{
    private FakeSavedDumpServer? _server;

    private FakeSavedDumpServer Server => _server!;

    private string[] Socket => ["--socket", Server.SocketPath];

    public async Task InitializeAsync() => _server = await FakeSavedDumpServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    [Fact]
    public async Task Dumps_ListsTriggersAgesAndSizes_AndMarksCorruptOnes()
    {
        CliProcess.Result r = await CliProcess.RunAsync(["dumps", .. Socket]);
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^ID\s+CONTAINER\s+TRIGGER\s+AGE\s+EVENTS\s+SIZE$", lines[0]);
        Assert.Matches($@"^{FakeSavedDumpServer.CrashId}\s+shop/checkout/app\s+SIGSEGV \(core dumped\)\s+3m\d*s?\s+3\s+2.5KiB$", lines[1]);
        Assert.Matches($@"^{FakeSavedDumpServer.CorruptId}\s+<none>\s+corrupt: the dump is truncated: 1 of 3 events\s+(119m|120m|2h)\s+0\s+40B$", lines[2]);
        Assert.DoesNotContain("\e[", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dumps_PassesItsFiltersToTheServer_AndPrintsJson()
    {
        CliProcess.Result r = await CliProcess.RunAsync(["dumps", "-n", "shop", "--pod", "checkout", "-c", "app", "--trigger", "signal", "--since", "1h", "-o", "json", .. Socket]);
        Assert.Equal(0, r.ExitCode);
        List<SavedDumpInfo> dumps = JsonSerializer.Deserialize(r.Stdout, TraceloopJson.Context.ListSavedDumpInfo)!;
        Assert.Contains(dumps, d => d.Id == FakeSavedDumpServer.CrashId && d.Trigger!.SignalName == "SIGSEGV");
        string request = Assert.Single(Server.Requests);
        Assert.StartsWith("GET /dumps?namespace=shop&pod=checkout&container=app&trigger=signal&since=", request, StringComparison.Ordinal);
        DateTimeOffset since = DateTimeOffset.Parse(Uri.UnescapeDataString(request[(request.IndexOf("since=", StringComparison.Ordinal) + 6)..]), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.UtcNow - since, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
    }

    [Fact]
    public async Task Get_PrintsTextOrPerfetto()
    {
        CliProcess.Result text = await CliProcess.RunAsync(["get", FakeSavedDumpServer.CrashId, .. Socket]);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("openat(AT_FDCWD, \"/etc/app.conf\", O_RDONLY) = 3", text.Stdout, StringComparison.Ordinal);

        CliProcess.Result perfetto = await CliProcess.RunAsync(["get", FakeSavedDumpServer.CrashId, "--format", "perfetto", .. Socket]);
        Assert.Equal(0, perfetto.ExitCode);
        Assert.Empty(TraceEventFormatRules.Violations(perfetto.Stdout));
        using JsonDocument doc = JsonDocument.Parse(perfetto.Stdout);
        JsonElement[] events = [.. doc.RootElement.GetProperty("traceEvents").EnumerateArray()];
        JsonElement trigger = Assert.Single(events, e => Scope(e) == "g");
        Assert.Equal("trigger: SIGSEGV (core dumped)", trigger.GetProperty("name").GetString());
        Assert.Contains(events, e => e.GetProperty("name").GetString() == "killed by SIGSEGV (core dumped)" && Scope(e) == "p");
        Assert.Contains("GET /dumps/" + FakeSavedDumpServer.CrashId + "?format=msgpack", Server.Requests);
    }

    private static string? Scope(JsonElement e) => e.TryGetProperty("s", out JsonElement s) ? s.GetString() : null;

    [Fact]
    public async Task Get_OfAnUnknownOrCorruptDump_IsOneLineAndExitThree()
    {
        CliProcess.Result missing = await CliProcess.RunAsync(["get", "nope", .. Socket]);
        Assert.Equal(3, missing.ExitCode);
        Assert.Equal("error: no saved dump has id 'nope'; GET /dumps lists them\n", missing.Stderr);
        CliProcess.Result corrupt = await CliProcess.RunAsync(["get", FakeSavedDumpServer.CorruptId, "--format", "perfetto", .. Socket]);
        Assert.Equal(3, corrupt.ExitCode);
        Assert.Equal($"error: saved dump '{FakeSavedDumpServer.CorruptId}' cannot be read: the dump is truncated: 1 of 3 events\n", corrupt.Stderr);
        Assert.Empty(corrupt.StdoutBytes);
    }

    [Fact]
    public async Task Snapshot_ThenRm_ByContainerAndByPod()
    {
        CliProcess.Result byId = await CliProcess.RunAsync(["snapshot", FakeSavedDumpServer.App.Id[..12], .. Socket]);
        Assert.Equal(0, byId.ExitCode);
        string[] lines = byId.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^\d{8}T\d{9}Z-[0-9a-f]{12}\s+shop/checkout/app\s+manual\s+\d+s\s+3\s+1.2KiB$", lines[1]);
        string id = lines[1].Split(' ')[0];
        Assert.True(Server.Holds(id));

        CliProcess.Result byPod = await CliProcess.RunAsync(["snapshot", "shop/checkout", "-c", "app", "-o", "json", .. Socket]);
        Assert.Equal(0, byPod.ExitCode);
        SavedDumpInfo saved = Assert.Single(JsonSerializer.Deserialize(byPod.Stdout, TraceloopJson.Context.ListSavedDumpInfo)!);
        Assert.Contains("POST /pods/shop/checkout/snapshot?container=app", Server.Requests);

        CliProcess.Result rm = await CliProcess.RunAsync(["rm", id, saved.Id, .. Socket]);
        Assert.Equal(0, rm.ExitCode);
        Assert.Equal($"deleted {id}\ndeleted {saved.Id}\n", rm.Stdout);
        Assert.False(Server.Holds(id));
        Assert.False(Server.Holds(saved.Id));

        CliProcess.Result again = await CliProcess.RunAsync(["rm", id, .. Socket]);
        Assert.Equal(3, again.ExitCode);
        Assert.Equal($"error: no saved dump has id '{id}'; GET /dumps lists them\n", again.Stderr);

        CliProcess.Result unknownPod = await CliProcess.RunAsync(["snapshot", "shop/other", .. Socket]);
        Assert.Equal(3, unknownPod.ExitCode);
        Assert.Equal("error: no recorded container belongs to pod shop/other\n", unknownPod.Stderr);
    }
}
