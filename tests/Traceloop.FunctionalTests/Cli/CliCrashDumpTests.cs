using System.Text.Json;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests.Cli;

/// <summary>The built traceloop binary's saved-dump commands against the real recorder, after a real crash.</summary>
[Collection(RecorderCollection.Name)]
public sealed class CliCrashDumpTests(RecorderFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private RecorderProcess Recorder => fixture.Recorder;

    [Fact]
    public async Task ACrashIsListedByDumps_ReadByGet_AndRemovedByRm_AlongsideAManualSnapshot()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string[] socket = ["--socket", Recorder.SocketPath];
        string marker = $"/crash-marker-{Guid.NewGuid():N}";
        await using RuncContainer crasher = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["sh", "-c", $"cat {marker}; exit 3"] }, cts.Token);
        Assert.Equal(3, await crasher.WaitForExitAsync(cts.Token));

        // Other tests share this recorder: only this container's dumps are looked at.
        SavedDumpInfo crash = await Eventually.GetAsync(async () =>
            (await Recorder.Client.GetSavedDumpsAsync(ct: cts.Token)).Find(d => d.Container?.Id == crasher.Id),
            TimeSpan.FromSeconds(10), "the crash dump");

        CliProcess.Result dumps = await CliProcess.RunAsync(["dumps", "--trigger", "exit", .. socket]);
        Assert.Equal(0, dumps.ExitCode);
        string row = Assert.Single(dumps.Stdout.Split('\n'), l => l.StartsWith(crash.Id, StringComparison.Ordinal));
        Assert.Contains("exit code 3", row, StringComparison.Ordinal);

        CliProcess.Result text = await CliProcess.RunAsync(["get", crash.Id, .. socket]);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains($"\"{marker}\"", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("+++ exited with 3 +++", text.Stdout, StringComparison.Ordinal);

        await using RuncContainer sleeper = await RuncContainer.RunAsync(new ContainerSpec { Args = ["sleep", "30"] }, cts.Token);
        await Eventually.TrueAsync(async () => (await Recorder.Client.GetContainersAsync(cts.Token)).Any(c => c.Id == sleeper.Id),
            TimeSpan.FromSeconds(10), "the sleeping container listed");
        CliProcess.Result snapshot = await CliProcess.RunAsync(["snapshot", sleeper.Id, "-o", "json", .. socket]);
        Assert.Equal(0, snapshot.ExitCode);
        SavedDumpInfo manual = Assert.Single(JsonSerializer.Deserialize(snapshot.Stdout, TraceloopJson.Context.ListSavedDumpInfo)!);
        Assert.Equal((DumpTriggerKinds.Manual, sleeper.Id), (manual.Trigger!.Kind, manual.Container!.Id));

        foreach (string id in new[] { crash.Id, manual.Id })
        {
            CliProcess.Result rm = await CliProcess.RunAsync(["rm", id, .. socket]);
            Assert.Equal(0, rm.ExitCode);
            CliProcess.Result gone = await CliProcess.RunAsync(["get", id, .. socket]);
            Assert.Equal(3, gone.ExitCode);
            Assert.StartsWith("error: ", gone.Stderr, StringComparison.Ordinal);
        }
    }
}
