using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.TestCommon.Deploy;

namespace Traceloop.FunctionalTests.Deploy;

/// <summary>
/// The DaemonSet's capability set is enough and every capability in it is needed: the recorder
/// run as the rendered manifest says, in a sandbox shaped like its pod, records a container and
/// can probe TLS; with CAP_BPF or CAP_PERFMON taken away it refuses to start, and without
/// CAP_SYS_PTRACE it records but says TLS probing cannot run.
/// </summary>
public sealed class CapabilityTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static IList<string> ManifestCapabilities => RenderedManifests.Default.Recorder.SecurityContext.Capabilities.Add;

    [Fact]
    public async Task WithExactlyTheManifestsCapabilities_InItsOwnCgroupNamespace_TheRecorderRecordsAContainer()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using PodSandbox pod = await PodSandbox.StartAsync(RenderedManifests.Default, ManifestCapabilities, cts.Token);
        TraceloopClient client = pod.Recorder.Client;

        string missing = $"/nonexistent-{Guid.NewGuid():N}";
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["cat", missing] }, cts.Token);
        Assert.Equal(1, await container.WaitForExitAsync(cts.Token));

        List<ContainerInfo> listed = await Eventually.GetAsync(async () =>
        {
            List<ContainerInfo> all = await client.GetContainersAsync(cts.Token);
            return all.Exists(c => c.Id == container.Id && c.ExitedAt is not null) ? all : null;
        }, Timeout, "the container to be listed as ended");
        // Its own cgroup, named like a container's, is recognised from inside its cgroup namespace.
        Assert.DoesNotContain(listed, c => c.Id == pod.Id);
        ContainerInfo info = listed.Single(c => c.Id == container.Id);
        Assert.Equal(container.CgroupPath, info.CgroupPath);
        // Read from /proc/PID/status of another process: no CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH needed.
        Assert.Equal(container.InitPid, info.MainPid);

        string text = await client.GetDumpTextAsync(container.Id, ct: cts.Token);
        Assert.Contains($"openat(AT_FDCWD, \"{missing}\", O_RDONLY) = -1 ENOENT", text, StringComparison.Ordinal);
        VersionInfo version = await client.GetVersionAsync(cts.Token);
        Assert.Null(version.Tls!.Unavailable);
    }

    [Fact]
    public async Task WithoutAnyOneOfTheManifestsCapabilities_TheRecorderRefusesToStart_SayingWhy()
    {
        Assert.NotEmpty(ManifestCapabilities);
        foreach (string dropped in ManifestCapabilities.Where(c => c != TlsOnlyCapability))
        {
            using var cts = new CancellationTokenSource(Timeout);
            string[] fewer = ManifestCapabilities.Where(c => c != dropped).ToArray();
            var e = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            {
                await using PodSandbox pod = await PodSandbox.StartAsync(RenderedManifests.Default, fewer, cts.Token);
            });
            // The recorder's own sentence for EPERM or EACCES from the kernel, naming what to grant.
            Assert.True(e.Message.Contains("the recorder exited with", StringComparison.Ordinal)
                && e.Message.Contains("run as root or grant CAP_BPF and CAP_PERFMON", StringComparison.Ordinal),
                $"without {dropped}: {e.Message}");
        }
    }

    /// <summary>
    /// CAP_SYS_PTRACE is needed for one thing, the TLS probes (reaching a container's files through
    /// /proc/&lt;pid&gt;/root), and its absence must not cost the recording: the recorder starts,
    /// records, and /version says why no TLS plaintext is recorded.
    /// </summary>
    [Fact]
    public async Task WithoutSysPtrace_TheRecorderRecords_AndSaysTlsProbingCannotRun()
    {
        Assert.Contains(TlsOnlyCapability, ManifestCapabilities);
        using var cts = new CancellationTokenSource(Timeout);
        await using PodSandbox pod = await PodSandbox.StartAsync(RenderedManifests.Default, ManifestCapabilities.Where(c => c != TlsOnlyCapability), cts.Token);

        VersionInfo version = await pod.Recorder.Client.GetVersionAsync(cts.Token);
        Assert.Contains("CAP_SYS_PTRACE", version.Tls!.Unavailable, StringComparison.Ordinal);
        Assert.Equal(0, version.Tls.FilesProbed);
        Assert.Contains("TLS probing cannot run", pod.Recorder.Output, StringComparison.Ordinal);

        string missing = $"/nonexistent-{Guid.NewGuid():N}";
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["cat", missing] }, cts.Token);
        Assert.Equal(1, await container.WaitForExitAsync(cts.Token));
        string text = await Eventually.GetAsync(async () =>
        {
            try
            {
                string dump = await pod.Recorder.Client.GetDumpTextAsync(container.Id, ct: cts.Token);
                return dump.Contains(missing, StringComparison.Ordinal) ? dump : null;
            }
            catch (TraceloopApiException)
            {
                return null; // not known to the recorder yet
            }
        }, Timeout, "the container's dump");
        Assert.Contains($"openat(AT_FDCWD, \"{missing}\", O_RDONLY) = -1 ENOENT", text, StringComparison.Ordinal);
    }

    private const string TlsOnlyCapability = "SYS_PTRACE";
}
