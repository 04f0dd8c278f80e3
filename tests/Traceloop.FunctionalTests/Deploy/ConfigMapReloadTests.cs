using System.Text.RegularExpressions;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.TestCommon.Deploy;

namespace Traceloop.FunctionalTests.Deploy;

/// <summary>
/// The kubelet updates a ConfigMap volume by writing a new hidden directory and swapping the
/// "..data" symlink; config.json itself is a symlink that never changes. The DaemonSet's
/// environment must make the recorder notice that, or a new Selection is never applied.
/// </summary>
public sealed class ConfigMapReloadTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task WithTheDaemonSetsEnvironment_ASelectionChangedTheKubeletsWayIsApplied()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string volume = Directory.CreateTempSubdirectory("traceloop-configmap-").FullName;
        try
        {
            WriteVersion(volume, "..2026_01_01_00_00_00.1", RenderedManifests.Default.ConfigJson);
            Directory.CreateSymbolicLink(Path.Join(volume, "..data"), "..2026_01_01_00_00_00.1");
            File.CreateSymbolicLink(Path.Join(volume, "config.json"), "..data/config.json");
            Dictionary<string, string> env = RenderedManifests.Default.Recorder.Env
                .Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);

            await using RecorderProcess recorder = await RecorderProcess.StartAsync(["--config", Path.Join(volume, "config.json")], _ => env, socketFromArgs: true, cts.Token);
            await Eventually.TrueAsync(() => Task.FromResult(Applied(recorder) == 1), Timeout, "the selection to be applied at start");

            // As the kubelet's atomic writer does it: new directory, new symlink renamed over ..data.
            string changed = RenderedManifests.Default.ConfigJson.Replace("\"ExcludeNamespaces\": \"\"", "\"ExcludeNamespaces\": \"kube-system\"", StringComparison.Ordinal);
            Assert.NotEqual(RenderedManifests.Default.ConfigJson, changed);
            WriteVersion(volume, "..2026_01_01_00_01_00.2", changed);
            Directory.CreateSymbolicLink(Path.Join(volume, "..data_tmp"), "..2026_01_01_00_01_00.2");
            // rename(2) over the old link: File.Move refuses a link to a directory.
            using (var mv = System.Diagnostics.Process.Start("mv", ["-T", Path.Join(volume, "..data_tmp"), Path.Join(volume, "..data")]))
            {
                await mv.WaitForExitAsync(cts.Token);
                Assert.Equal(0, mv.ExitCode);
            }
            Directory.Delete(Path.Join(volume, "..2026_01_01_00_00_00.1"), recursive: true);

            await Eventually.TrueAsync(() => Task.FromResult(Applied(recorder) >= 2), Timeout, "the changed selection to be applied");
        }
        finally
        {
            Directory.Delete(volume, recursive: true);
        }
    }

    private static int Applied(RecorderProcess recorder) => Regex.Count(recorder.Output, "Selection applied");

    private static void WriteVersion(string volume, string name, string json)
    {
        Directory.CreateDirectory(Path.Join(volume, name));
        File.WriteAllText(Path.Join(volume, name, "config.json"), json);
    }
}
