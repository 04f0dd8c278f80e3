using System.Text.Json;
using Traceloop.Api;
using Traceloop.Api.MessagePack;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.TestCommon.Cli;

namespace Traceloop.FunctionalTests.Cli;

/// <summary>The built traceloop binary against the real recorder, recording a real runc container.</summary>
[Collection(RecorderCollection.Name)]
public sealed class CliRecorderTests(RecorderFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private RecorderProcess Recorder => fixture.Recorder;

    [Fact]
    public async Task LsDumpAndEveryFormat_ShowTheContainersSyscalls()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string missing = $"/nonexistent-{Guid.NewGuid():N}";
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["cat", missing] }, cts.Token);
        Assert.Equal(1, await container.WaitForExitAsync(cts.Token));
        await Eventually.TrueAsync(async () => (await Recorder.Client.GetContainersAsync(cts.Token)).Any(c => c.Id == container.Id && c.ExitedAt is not null),
            Timeout, "the container listed as exited");
        string[] socket = ["--socket", Recorder.SocketPath];

        CliProcess.Result ls = await CliProcess.RunAsync(["ls", .. socket]);
        Assert.Equal(0, ls.ExitCode);
        string[] lines = ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^CONTAINER\s+NAMESPACE\s+POD\s+NAME\s+PID\s+EVENTS\s+LOST\s+FILL\s+AGE\s+STATUS$", lines[0]);
        string row = Assert.Single(lines, l => l.StartsWith(container.Id[..12], StringComparison.Ordinal));
        Assert.EndsWith("Exited (1)", row, StringComparison.Ordinal);
        Assert.Contains($"   {container.InitPid}   ", row, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.EndsWith(' '));

        CliProcess.Result lsJson = await CliProcess.RunAsync(["ls", "-o", "json", .. socket]);
        Assert.Equal(0, lsJson.ExitCode);
        List<ContainerInfo> listed = JsonSerializer.Deserialize(lsJson.Stdout, TraceloopJson.Context.ListContainerInfo)!;
        Assert.Contains(listed, c => c.Id == container.Id && c.MainPid == container.InitPid);

        CliProcess.Result text = await CliProcess.RunAsync(["dump", container.Id[..12], .. socket]);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains($"openat(AT_FDCWD, \"{missing}\", O_RDONLY) = -1 ENOENT (No such file or directory)", text.Stdout, StringComparison.Ordinal);
        Assert.Equal("", text.Stderr);

        CliProcess.Result json = await CliProcess.RunAsync(["dump", container.Id, "--format", "json", "--last", "50", .. socket]);
        Assert.Equal(0, json.ExitCode);
        List<TraceEventDto> events = [.. json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize(l, TraceloopJson.Context.TraceEventDto)!)];
        Assert.InRange(events.Count, 1, 50);
        Assert.Contains(events, e => e.Name == "openat" && e.Errno == "ENOENT");

        CliProcess.Result perfetto = await CliProcess.RunAsync(["dump", container.Id, "--format", "perfetto", .. socket]);
        Assert.Equal(0, perfetto.ExitCode);
        Assert.Empty(TraceEventFormatRules.Violations(perfetto.Stdout));
        using (JsonDocument trace = JsonDocument.Parse(perfetto.Stdout))
        {
            JsonElement openat = trace.RootElement.GetProperty("traceEvents").EnumerateArray()
                .Single(e => e.GetProperty("name").GetString() == "openat" && e.GetProperty("args").GetProperty("filename").GetString() == $"\"{missing}\"");
            Assert.Equal("X", openat.GetProperty("ph").GetString());
            Assert.Equal(container.InitPid, openat.GetProperty("pid").GetInt32());
            Assert.Equal(-2, openat.GetProperty("args").GetProperty("return").GetInt32());
            Assert.Contains(trace.RootElement.GetProperty("traceEvents").EnumerateArray(),
                e => e.GetProperty("ph").GetString() == "i" && e.GetProperty("s").GetString() == "p" && e.GetProperty("pid").GetInt32() == container.InitPid);
        }

        string file = Path.Join(Path.GetTempPath(), $"traceloop-cli-{Guid.NewGuid():N}.msgpack");
        try
        {
            CliProcess.Result msgpack = await CliProcess.RunAsync(["dump", container.Id, "--format", "msgpack", "-o", file, .. socket]);
            Assert.Equal(0, msgpack.ExitCode);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            (DumpHeader header, List<TraceEventDto> all) = TraceloopMessagePack.ReadDump(await File.ReadAllBytesAsync(file, cts.Token));
            Assert.Equal(container.Id, header.Container.Id);
            Assert.Contains(all, e => e.Name == "openat" && e.Errno == "ENOENT");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task TheApiBridge_PassesBodiesThrough_AndReportsHttpErrorsOnOneLine()
    {
        CliProcess.Result ok = await CliProcess.RunAsync(["api", "--socket", Recorder.SocketPath, "GET", "/containers"]);
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("", ok.Stderr);
        Assert.NotNull(JsonSerializer.Deserialize(ok.Stdout, TraceloopJson.Context.ListContainerInfo));

        CliProcess.Result health = await CliProcess.RunAsync(["api", "GET", "/healthz", "--socket", Recorder.SocketPath]);
        Assert.Equal(0, health.ExitCode);
        Assert.Equal("ok", JsonSerializer.Deserialize(health.Stdout, TraceloopJson.Context.HealthStatus)!.Status);

        CliProcess.Result notFound = await CliProcess.RunAsync(["api", "--socket", Recorder.SocketPath, "GET", "/containers/0123456789abcdef/dump"]);
        Assert.Equal(3, notFound.ExitCode);
        Assert.Equal("HTTP 404: no recorded container has id '0123456789abcdef'; GET /containers lists them\n", notFound.Stderr);
        Assert.Empty(notFound.StdoutBytes);

        // "nope" is not hex: the recorder refuses the id before looking it up.
        CliProcess.Result badId = await CliProcess.RunAsync(["api", "--socket", Recorder.SocketPath, "GET", "/containers/nope/dump"]);
        Assert.Equal(3, badId.ExitCode);
        Assert.StartsWith("HTTP 400: container id 'nope' must be 4 to 64 lowercase hex digits", badId.Stderr, StringComparison.Ordinal);

        CliProcess.Result unknownRoute = await CliProcess.RunAsync(["api", "--socket", Recorder.SocketPath, "DELETE", "/containers"]);
        Assert.Equal(3, unknownRoute.ExitCode);
        Assert.StartsWith("HTTP 40", unknownRoute.Stderr, StringComparison.Ordinal);
        Assert.Single(unknownRoute.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task UnknownContainers_AreTheServersOneSentence()
    {
        CliProcess.Result r = await CliProcess.RunAsync(["dump", "0123456789abcdef", "--socket", Recorder.SocketPath]);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("error: no recorded container has id '0123456789abcdef'; GET /containers lists them\n", r.Stderr);
        CliProcess.Result pod = await CliProcess.RunAsync(["dump", "shop/nothing-here", "--socket", Recorder.SocketPath]);
        Assert.Equal(3, pod.ExitCode);
        Assert.Equal("error: no recorded container belongs to pod shop/nothing-here\n", pod.Stderr);
    }

    [Fact]
    public async Task Version_NamesBothSides()
    {
        CliProcess.Result r = await CliProcess.RunAsync(["version", "--socket", Recorder.SocketPath]);
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"^traceloop \d+\.\d+\.\d+\S*\nrecorder \d+\.\d+\.\d+\S* \(dump format 1, kernel .+\)\n$", r.Stdout);
    }
}
