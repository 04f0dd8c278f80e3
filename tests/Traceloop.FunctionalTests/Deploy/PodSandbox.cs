extern alias KubernetesFull;

using System.Security.Cryptography;
using KubernetesFull::k8s.Models;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Gateway;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.Recorder.Containers;
using Traceloop.TestCommon.Deploy;

namespace Traceloop.FunctionalTests.Deploy;

/// <summary>
/// Runs the recorder as the DaemonSet's pod would run it, with what the rendered manifest says:
/// its args (socket, data directory and config file moved to a temporary directory, the cluster
/// listener moved to a free loopback port with certificates as Secret traceloop-agent-tls holds
/// them), the ConfigMap's config file, its literal environment, and as root holding exactly the added
/// capabilities with no_new_privs (allowPrivilegeEscalation: false). Like a non-privileged pod
/// on a cgroup v2 node, the process sits in a kubelet-style container cgroup and has a cgroup
/// namespace of its own, with the host's hierarchy mounted above it. Not reproduced: the
/// runtime's seccomp and LSM profiles and its mount namespace (hostPID is the host's anyway).
/// </summary>
internal sealed class PodSandbox : IAsyncDisposable
{
    private readonly string _podPath;
    private readonly ClusterCertificates _cluster;

    private PodSandbox(string id, string podPath, RecorderProcess recorder, ClusterCertificates cluster)
    {
        Id = id;
        _podPath = podPath;
        Recorder = recorder;
        _cluster = cluster;
    }

    /// <summary>The sandbox's container id: its cgroup is named after it, as a pod container's is.</summary>
    public string Id { get; }

    public string CgroupPath => $"{_podPath}/{Id}";

    public RecorderProcess Recorder { get; }

    /// <summary>Starts the recorder in the sandbox with <paramref name="capabilities"/> (names as in the manifest, "BPF").</summary>
    public static async Task<PodSandbox> StartAsync(RenderedManifests manifests, IEnumerable<string> capabilities, CancellationToken ct)
    {
        RootRequirement.Ensure();
        V1Container container = manifests.Recorder;
        Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
        Assert.Equal(false, container.SecurityContext.AllowPrivilegeEscalation);

        string dir = Directory.CreateTempSubdirectory("traceloop-pod-").FullName;
        string socket = Path.Join(dir, "traceloop.sock");
        string config = Path.Join(dir, "config.json");
        await File.WriteAllTextAsync(config, manifests.ConfigJson, ct).ConfigureAwait(false);
        ClusterCertificates cluster = ClusterCertificates.Create();
        var moved = new Dictionary<string, string>
        {
            ["--socket"] = socket,
            ["--data-dir"] = Path.Join(dir, "data"),
            ["--config"] = config,
            ["--cluster-address"] = $"127.0.0.1:{GatewayProcess.FreePort()}",
            ["--cluster-tls-dir"] = cluster.AgentDir,
        };
        var args = new List<string>();
        for (int i = 0; i < container.Args.Count; i++)
        {
            args.Add(container.Args[i]);
            if (moved.TryGetValue(container.Args[i], out string? local))
            {
                args.Add(local);
                i++;
            }
        }
        Assert.Equal(container.Args.Count, args.Count);
        Dictionary<string, string> env = container.Env.Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);
        env["NODE_NAME"] = "sandbox-node"; // the downward API's value

        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string podPath = KubeletCgroups.PodPath("besteffort", Guid.NewGuid().ToString());
        string cgroupDir = CgroupFs.Locate("unified").ToDirectory($"{podPath}/{id}");
        Directory.CreateDirectory(cgroupDir);
        string bounding = "-all" + string.Concat(capabilities.Select(c => ",+" + c.ToLowerInvariant()));
        // Join the container's cgroup, take a cgroup namespace rooted there (as the runtime does),
        // then keep only the pod's capabilities across the exec of the recorder.
        string[] launcher =
        [
            "bash", "-c", "echo $$ > \"$0/cgroup.procs\" && exec unshare --cgroup setpriv --no-new-privs --inh-caps=-all --bounding-set=\"$1\" \"${@:2}\"",
            cgroupDir, bounding,
        ];
        try
        {
            RecorderProcess recorder = await RecorderProcess.StartAsync(launcher, RecorderProcess.BinaryPath, args, dir, socket, env, ct).ConfigureAwait(false);
            return new PodSandbox(id, podPath, recorder, cluster);
        }
        catch
        {
            KubeletCgroups.Remove($"{podPath}/{id}", podPath);
            cluster.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Recorder.DisposeAsync().ConfigureAwait(false);
        KubeletCgroups.Remove(CgroupPath, _podPath);
        _cluster.Dispose();
    }
}
