extern alias KubernetesFull;

using System.Reflection;
using System.Text;
using System.Text.Json;
using KubernetesFull::k8s;
using KubernetesFull::k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Hosting;
using Traceloop.Recorder.Kubernetes;
using Traceloop.TestCommon.Deploy;

namespace Traceloop.Tests.Deploy;

/// <summary>
/// The invariants of deploy/ that docs/DEPLOY.md promises, checked on what `kubectl kustomize`
/// renders: least-privilege RBAC, the capability set, the mounts, the socket, the plugin's labels.
/// </summary>
public sealed class ManifestTests
{
    /// <summary>The capabilities the DaemonSet adds, as docs/DEPLOY.md documents them (found by experiment, see the functional test).</summary>
    public static readonly string[] Capabilities = ["BPF", "PERFMON"];

    private const string Namespace = "traceloop";
    private const string Socket = "/run/traceloop/traceloop.sock";
    private const string DataDir = "/var/lib/traceloop";
    private static readonly string[] Probe = ["/usr/local/bin/traceloop", "api", "GET", "/healthz"];

    /// <summary>The options classes the recorder binds from the configuration's root (ServiceCollectionExtensions).</summary>
    private static readonly Type[] RootOptionTypes = [typeof(RecorderOptions), typeof(KubernetesOptions), typeof(CrashOptions)];

    private static RenderedManifests Manifests => RenderedManifests.Default;

    [Fact]
    public void RendersExactlyTheDocumentedObjects_NamespacedOnesInTraceloop()
    {
        string[] kinds = Manifests.Objects.Select(o => o switch
        {
            IKubernetesObject<V1ObjectMeta> k => $"{k.Kind}/{k.Metadata.Name}",
            _ => o.GetType().Name,
        }).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(
        [
            "ClusterRole/traceloop-agent", "ClusterRole/traceloop-agent-exec", "ClusterRole/traceloop-user",
            "ClusterRoleBinding/traceloop-agent", "ConfigMap/traceloop-config", "DaemonSet/traceloop",
            "Namespace/traceloop", "PriorityClass/traceloop-node-critical", "ServiceAccount/traceloop",
        ], kinds);
        Assert.All(new IMetadata<V1ObjectMeta>[] { Manifests.DaemonSet, Manifests.Single<V1ConfigMap>("traceloop-config"), Manifests.Single<V1ServiceAccount>("traceloop") },
            o => Assert.Equal(Namespace, o.Metadata.NamespaceProperty));
        Assert.Equal("privileged", Manifests.Single<V1Namespace>(Namespace).Metadata.Labels["pod-security.kubernetes.io/enforce"]);
    }

    [Fact]
    public void TheAgentMayReadPodsAndCreateEvents_AndNothingElse()
    {
        V1ClusterRole role = Manifests.Single<V1ClusterRole>("traceloop-agent");
        Assert.Equal(["pods: get,list,watch", "events: create"], Describe(role.Rules));

        V1ClusterRoleBinding binding = Assert.Single(Manifests.All<V1ClusterRoleBinding>());
        Assert.Equal(("ClusterRole", "traceloop-agent"), (binding.RoleRef.Kind, binding.RoleRef.Name));
        Rbacv1Subject subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", "traceloop", Namespace), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.Equal("traceloop", Manifests.PodSpec.ServiceAccountName);
        Assert.Empty(Manifests.All<V1RoleBinding>());
    }

    [Fact]
    public void TheUserRolesGrantWhatThePluginNeeds_AndAreBoundToNobody()
    {
        Assert.Equal(["pods: get,list"], Describe(Manifests.Single<V1ClusterRole>("traceloop-user").Rules));
        Assert.Equal(["pods: get,list", "pods/exec: get,create"], Describe(Manifests.Single<V1ClusterRole>("traceloop-agent-exec").Rules));
        Assert.DoesNotContain(Manifests.All<V1ClusterRoleBinding>(), b => b.RoleRef.Name != "traceloop-agent");
    }

    [Fact]
    public void ThePodSeesHostPidsOnly_AndRunsOnEveryLinuxNode()
    {
        V1PodSpec pod = Manifests.PodSpec;
        Assert.True(pod.HostPID);
        Assert.NotEqual(true, pod.HostNetwork);
        Assert.NotEqual(true, pod.HostIPC);
        // Every taint, whatever its key and effect, is tolerated.
        Assert.Contains(pod.Tolerations, t => t.OperatorProperty == "Exists" && t.Key is null && t.Effect is null);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
    }

    [Fact]
    public void ThePodHasItsOwnPriorityClass_NotTheReservedOnes()
    {
        string name = Manifests.PodSpec.PriorityClassName;
        Assert.False(string.IsNullOrEmpty(name));
        Assert.DoesNotContain(name, (string[])["system-node-critical", "system-cluster-critical"]);
        V1PriorityClass priority = Manifests.Single<V1PriorityClass>(name);
        Assert.True(priority.Value > 0);
        Assert.NotEqual(true, priority.GlobalDefault);
    }

    [Fact]
    public void TheAgentLabelsThePluginLooksFor_AreOnThePodTemplateAndTheSelector()
    {
        var labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "traceloop", ["app.kubernetes.io/component"] = "agent" };
        Assert.Equal(Namespace, Manifests.DaemonSet.Metadata.NamespaceProperty);
        Assert.Equal("traceloop", Manifests.DaemonSet.Metadata.Name);
        Assert.Equal(labels, Manifests.DaemonSet.Spec.Selector.MatchLabels);
        Assert.All(labels, l => Assert.Equal(l.Value, Manifests.DaemonSet.Spec.Template.Metadata.Labels[l.Key]));
        Assert.Equal("recorder", Assert.Single(Manifests.PodSpec.Containers).Name);
        Assert.Equal("/usr/local/bin/traceloop-recorder", Assert.Single(Manifests.Recorder.Command));
        Assert.Equal("traceloop:0.1.0", Manifests.Recorder.Image);
    }

    [Fact]
    public void TheRecorderHasExactlyTheDocumentedCapabilities_AndIsNotPrivileged()
    {
        V1SecurityContext security = Manifests.Recorder.SecurityContext;
        Assert.Equal(false, security.Privileged);
        Assert.Equal(false, security.AllowPrivilegeEscalation);
        Assert.Equal(true, security.ReadOnlyRootFilesystem);
        Assert.Equal(["ALL"], security.Capabilities.Drop);
        Assert.Equal(Capabilities, security.Capabilities.Add);

        string docs = File.ReadAllText(Path.Combine(RenderedManifests.RepoRoot(), "docs", "DEPLOY.md"));
        Assert.All(Capabilities, c => Assert.Contains($"| `CAP_{c}` |", docs, StringComparison.Ordinal));
    }

    [Fact]
    public void ThePrivilegedFallbackChangesOnlyTheSecurityContext()
    {
        RenderedManifests privileged = RenderedManifests.Privileged;
        Assert.Equal(true, privileged.Recorder.SecurityContext.Privileged);
        Assert.Null(privileged.Recorder.SecurityContext.Capabilities);
        Assert.Equal(Manifests.Recorder.Args, privileged.Recorder.Args);
        Assert.Equal(Mounts(Manifests), Mounts(privileged));
        Assert.Equal(Manifests.Objects.Count, privileged.Objects.Count);
    }

    [Fact]
    public void EveryMountIsListed_WithTheRightSourceAndAccess()
    {
        Assert.Equal(
        [
            "/etc/traceloop <- configMap traceloop-config (ro)",
            "/run/traceloop <- hostPath /run/traceloop DirectoryOrCreate (rw)",
            "/sys/fs/bpf <- hostPath /sys/fs/bpf Directory (rw)",
            "/sys/fs/cgroup <- hostPath /sys/fs/cgroup Directory (ro)",
            "/sys/kernel/btf <- hostPath /sys/kernel/btf Directory (ro)",
            "/tmp <- emptyDir (rw)",
            "/var/lib/traceloop <- hostPath /var/lib/traceloop DirectoryOrCreate (rw)",
        ], Mounts(Manifests));
        // Not needed, so not mounted: tp_btf programs use no tracefs/debugfs, and with hostPID the
        // container's own /proc already shows every host process. (bpffs is mounted: the
        // recording is pinned there so it outlives the recorder.)
        Assert.DoesNotContain(Manifests.PodSpec.Volumes, v => v.HostPath?.Path is "/proc" or "/sys/kernel/tracing" or "/sys/kernel/debug");
        V1VolumeMount bpffs = Assert.Single(Manifests.Recorder.VolumeMounts, m => m.MountPath == "/sys/fs/bpf");
        Assert.Equal("HostToContainer", bpffs.MountPropagation);
        Assert.Equal(Manifests.PodSpec.Volumes.Count, Manifests.Recorder.VolumeMounts.Count);
    }

    [Fact]
    public void TheNodeNameComesFromTheDownwardApi()
    {
        V1EnvVar node = Assert.Single(Manifests.Recorder.Env, e => e.Name == "NODE_NAME");
        Assert.Equal("spec.nodeName", node.ValueFrom.FieldRef.FieldPath);
        Assert.Null(node.Value);
    }

    [Fact]
    public void EveryProbeAsksTheRecorderOverItsSocket()
    {
        V1Container recorder = Manifests.Recorder;
        Assert.All(new[] { recorder.StartupProbe, recorder.LivenessProbe, recorder.ReadinessProbe }, probe =>
        {
            Assert.NotNull(probe);
            Assert.Equal(Probe, probe.Exec.Command);
            Assert.Null(probe.HttpGet);
            Assert.Null(probe.TcpSocket);
            Assert.True(probe.TimeoutSeconds >= 5, "a probe on a busy node needs time");
        });
    }

    [Fact]
    public void TheSocketAndDataDirectoryAreTheMountedHostDirectories()
    {
        Assert.Equal(Socket, Manifests.Arg("--socket"));
        Assert.Equal(DataDir, Manifests.Arg("--data-dir"));
        Assert.Equal("/etc/traceloop/config.json", Manifests.Arg("--config"));
        Assert.Contains(Manifests.Recorder.VolumeMounts, m => m.MountPath == Path.GetDirectoryName(Socket) && m.ReadOnlyProperty != true);
        Assert.Contains(Manifests.Recorder.VolumeMounts, m => m.MountPath == DataDir && m.ReadOnlyProperty != true);
    }

    [Fact]
    public void ResourcesAreSet_AndTheMemoryLimitHoldsEveryRingTheConfigAllows()
    {
        V1ResourceRequirements resources = Manifests.Recorder.Resources;
        foreach (string r in (string[])["cpu", "memory"])
        {
            Assert.True(resources.Requests[r].ToDecimal() > 0, $"a {r} request");
            Assert.True(resources.Limits[r].ToDecimal() >= resources.Requests[r].ToDecimal(), $"a {r} limit at least the request");
        }
        // The rings are BPF maps charged to the pod's memory cgroup (kernel 5.11+): the limit must
        // hold all of them, plus the process itself (about 60 MiB) and a dump's buffers.
        RecorderOptions options = BindConfig().Recorder;
        long rings = (long)(options.MaxContainers + options.SpareRings) * (options.RingSizeBytes + 4096);
        Assert.True(resources.Limits["memory"].ToDecimal() >= rings + 128L * 1024 * 1024,
            $"memory limit {resources.Limits["memory"]} holds {rings >> 20} MiB of rings and 128 MiB more");
    }

    [Fact]
    public void TheConfigMapIsValidJson_WithOnlyRealRecorderOptions_ThatPassValidation()
    {
        using JsonDocument json = JsonDocument.Parse(Manifests.ConfigJson);
        string[] recorderKeys = RootOptionTypes.SelectMany(SettableProperties).ToArray();
        foreach (JsonProperty p in json.RootElement.EnumerateObject())
        {
            if (p.Name == "Selection")
            {
                Assert.All(p.Value.EnumerateObject(), s => Assert.Contains(s.Name, SettableProperties(typeof(SelectionOptions))));
            }
            else if (p.Name == CaptureOptions.Section)
            {
                Assert.All(p.Value.EnumerateObject(), s => Assert.Contains(s.Name, SettableProperties(typeof(CaptureOptions))));
            }
            else
            {
                Assert.Contains(p.Name, recorderKeys);
            }
        }
        // The args are the one place for these: they must match the volumes beside them.
        Assert.False(json.RootElement.TryGetProperty(nameof(RecorderOptions.SocketPath), out _));
        Assert.False(json.RootElement.TryGetProperty(nameof(RecorderOptions.DataDir), out _));

        (RecorderOptions recorder, SelectionOptions selection) = BindConfig();
        ValidateOptionsResult r = new RecorderOptionsValidator().Validate(null, recorder);
        Assert.False(r.Failed, r.FailureMessage);
        var crash = new CrashOptions();
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Manifests.ConfigJson))).Build().Bind(crash);
        Assert.Equal(10, crash.DumpsPerContainer);
        ValidateOptionsResult c = new CrashOptionsValidator().Validate(null, crash);
        Assert.False(c.Failed, c.FailureMessage);
        ValidateOptionsResult s = new SelectionOptionsValidator().Validate(null, selection);
        Assert.False(s.Failed, s.FailureMessage);
        var capture = new CaptureOptions();
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Manifests.ConfigJson))).Build().GetSection(CaptureOptions.Section).Bind(capture);
        Assert.Equal("full", capture.Default);
        ValidateOptionsResult l = new CaptureOptionsValidator().Validate(null, capture);
        Assert.False(l.Failed, l.FailureMessage);
    }

    /// <summary>Binds the ConfigMap's JSON as the recorder does, failing on any value of the wrong type.</summary>
    private static (RecorderOptions Recorder, SelectionOptions Selection) BindConfig()
    {
        IConfigurationRoot config = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Manifests.ConfigJson))).Build();
        var recorder = new RecorderOptions();
        config.Bind(recorder);
        var selection = new SelectionOptions();
        config.GetSection("Selection").Bind(selection, o => o.ErrorOnUnknownConfiguration = true);
        return (recorder, selection);
    }

    private static string[] SettableProperties(Type options) =>
        options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name).ToArray();

    private static string[] Describe(IEnumerable<V1PolicyRule> rules) =>
        rules.SelectMany(r =>
        {
            Assert.Equal([""], r.ApiGroups);
            Assert.Null(r.ResourceNames);
            Assert.Null(r.NonResourceURLs);
            return r.Resources.Select(resource => $"{resource}: {string.Join(',', r.Verbs)}");
        }).ToArray();

    private static string[] Mounts(RenderedManifests manifests)
    {
        Dictionary<string, V1Volume> volumes = manifests.PodSpec.Volumes.ToDictionary(v => v.Name);
        return manifests.Recorder.VolumeMounts.Select(m =>
        {
            V1Volume v = volumes[m.Name];
            string source = v switch
            {
                { HostPath: { } h } => $"hostPath {h.Path} {h.Type}",
                { ConfigMap: { } c } => $"configMap {c.Name}",
                { EmptyDir: not null } => "emptyDir",
                _ => "other",
            };
            return $"{m.MountPath} <- {source} ({(m.ReadOnlyProperty == true ? "ro" : "rw")})";
        }).Order(StringComparer.Ordinal).ToArray();
    }
}
