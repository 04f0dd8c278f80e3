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
    public static readonly string[] Capabilities = ["BPF", "PERFMON", "SYS_PTRACE"];

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
            "APIService/v1alpha1.traceloop.dev",
            "ClusterRole/traceloop-admin", "ClusterRole/traceloop-agent", "ClusterRole/traceloop-gateway", "ClusterRole/traceloop-viewer",
            "ClusterRoleBinding/traceloop-agent", "ClusterRoleBinding/traceloop-gateway", "ClusterRoleBinding/traceloop-gateway:system:auth-delegator",
            "ConfigMap/traceloop-config", "DaemonSet/traceloop", "Deployment/traceloop-gateway",
            "Namespace/traceloop", "PriorityClass/traceloop-node-critical", "Role/traceloop-gateway",
            "RoleBinding/traceloop-gateway", "RoleBinding/traceloop-gateway:extension-apiserver-authentication-reader",
            "Service/traceloop-gateway", "ServiceAccount/traceloop", "ServiceAccount/traceloop-gateway",
        ], kinds);
        Assert.All(new IMetadata<V1ObjectMeta>[]
            {
                Manifests.DaemonSet, Manifests.Single<V1ConfigMap>("traceloop-config"), Manifests.Single<V1ServiceAccount>("traceloop"),
                Manifests.Single<V1Deployment>("traceloop-gateway"), Manifests.Single<V1Service>("traceloop-gateway"),
                Manifests.Single<V1ServiceAccount>("traceloop-gateway"), Manifests.Single<V1Role>("traceloop-gateway"),
                Manifests.Single<V1RoleBinding>("traceloop-gateway"),
            },
            o => Assert.Equal(Namespace, o.Metadata.NamespaceProperty));
        // The one object outside traceloop, on purpose: the front-proxy CA is read in kube-system.
        Assert.Equal("kube-system",
            Manifests.Single<V1RoleBinding>("traceloop-gateway:extension-apiserver-authentication-reader").Metadata.NamespaceProperty);
        Assert.Equal("privileged", Manifests.Single<V1Namespace>(Namespace).Metadata.Labels["pod-security.kubernetes.io/enforce"]);
    }

    [Fact]
    public void TheAgentMayReadPodsAndCreateEvents_AndNothingElse()
    {
        V1ClusterRole role = Manifests.Single<V1ClusterRole>("traceloop-agent");
        Assert.Equal(["pods: get,list,watch", "events: create"], Describe(role.Rules));

        V1ClusterRoleBinding binding = Assert.Single(Manifests.All<V1ClusterRoleBinding>(), b => b.Subjects.Any(s => s.Name == "traceloop"));
        Assert.Equal(("ClusterRole", "traceloop-agent"), (binding.RoleRef.Kind, binding.RoleRef.Name));
        Rbacv1Subject subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", "traceloop", Namespace), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.Equal("traceloop", Manifests.PodSpec.ServiceAccountName);
        // The agent's service account is bound to nothing else, in no namespace.
        Assert.DoesNotContain(Manifests.All<V1RoleBinding>(), b => b.Subjects.Any(s => s.Name == "traceloop"));
    }

    [Fact]
    public void TheUserRolesGrantTheTraceloopApi_AndAreBoundToNobody()
    {
        Assert.Equal(["traceloop.dev pods: get,list", "traceloop.dev pods/dump: get", "traceloop.dev crashdumps: get,list"],
            Describe(Manifests.Single<V1ClusterRole>("traceloop-viewer").Rules));
        Assert.Equal(
            ["traceloop.dev pods: get,list", "traceloop.dev pods/dump: get", "traceloop.dev crashdumps: get,list,delete", "traceloop.dev pods/snapshot: create"],
            Describe(Manifests.Single<V1ClusterRole>("traceloop-admin").Rules));
        Assert.DoesNotContain(Manifests.All<V1ClusterRoleBinding>(), b => b.RoleRef.Name is "traceloop-viewer" or "traceloop-admin");
        Assert.DoesNotContain(Manifests.All<V1RoleBinding>(), b => b.RoleRef.Name is "traceloop-viewer" or "traceloop-admin");
        // The roles are what the plugin's help and the docs tell a user to ask for.
        string docs = File.ReadAllText(Path.Combine(RenderedManifests.RepoRoot(), "docs", "KUBECTL_PLUGIN.md"));
        Assert.Contains("traceloop-viewer", docs, StringComparison.Ordinal);
        Assert.Contains("traceloop-admin", docs, StringComparison.Ordinal);
    }

    [Fact]
    public void NoRoleGrantsPodsExec_OrAnyWildcardThatWouldInclude_InAnyRenderedManifest()
    {
        IEnumerable<(string Role, V1PolicyRule Rule)> rules =
        [
            .. Manifests.All<V1ClusterRole>().SelectMany(r => (r.Rules ?? []).Select(rule => ($"ClusterRole/{r.Metadata.Name}", rule))),
            .. Manifests.All<V1Role>().SelectMany(r => (r.Rules ?? []).Select(rule => ($"Role/{r.Metadata.Name}", rule))),
            .. RenderedManifests.Privileged.All<V1ClusterRole>().SelectMany(r => (r.Rules ?? []).Select(rule => ($"ClusterRole/{r.Metadata.Name} (privileged)", rule))),
            .. RenderedManifests.Privileged.All<V1Role>().SelectMany(r => (r.Rules ?? []).Select(rule => ($"Role/{r.Metadata.Name} (privileged)", rule))),
        ];
        Assert.NotEmpty(rules);
        foreach ((string role, V1PolicyRule rule) in rules)
        {
            Assert.DoesNotContain("*", rule.ApiGroups ?? []);
            Assert.DoesNotContain("*", rule.Resources ?? []);
            Assert.DoesNotContain("*", rule.Verbs);
            if (rule.ApiGroups?.Contains("") == true)
            {
                Assert.False(rule.Resources?.Any(r => r is "pods/exec" or "pods/attach" or "pods/*" or "nodes/proxy") == true,
                    $"{role} grants {string.Join(',', rule.Resources!)}: no role may reach into a pod or a node");
            }
        }
        Assert.DoesNotContain(Manifests.All<V1ClusterRole>(), r => r.Metadata.Name == "traceloop-agent-exec");
    }

    [Fact]
    public void TheApiServiceSendsTraceloopDevToTheGatewaysService_WithTheCaBundleLeftToTheGateway()
    {
        V1APIService api = Assert.Single(Manifests.All<V1APIService>());
        Assert.Equal(("v1alpha1.traceloop.dev", "traceloop.dev", "v1alpha1"), (api.Metadata.Name, api.Spec.Group, api.Spec.Version));
        Assert.Equal((Namespace, "traceloop-gateway", 443), (api.Spec.Service.NamespaceProperty, api.Spec.Service.Name, api.Spec.Service.Port));
        Assert.True(api.Spec.GroupPriorityMinimum > 0);
        Assert.True(api.Spec.VersionPriority > 0);
        Assert.Null(api.Spec.CaBundle);
        Assert.NotEqual(true, api.Spec.InsecureSkipTLSVerify);

        V1Service service = Manifests.Single<V1Service>("traceloop-gateway");
        V1ServicePort port = Assert.Single(service.Spec.Ports);
        Assert.Equal(443, port.Port);
        V1Deployment gateway = Manifests.Single<V1Deployment>("traceloop-gateway");
        Assert.All(service.Spec.Selector, l => Assert.Equal(l.Value, gateway.Spec.Template.Metadata.Labels[l.Key]));
        V1ContainerPort target = Assert.Single(Assert.Single(gateway.Spec.Template.Spec.Containers).Ports);
        Assert.Equal(port.TargetPort.Value, target.Name);
        Assert.Equal(":" + target.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), Arg(gateway.Spec.Template.Spec.Containers[0], "--address"));
        // The gateway finds the agents by the DaemonSet's own selector, which no gateway pod matches.
        V1Container container = gateway.Spec.Template.Spec.Containers[0];
        Assert.Equal(Namespace, Arg(container, "--agent-namespace"));
        Assert.Equal(Manifests.Arg("--cluster-address"), ":" + Arg(container, "--agent-port"));
        Dictionary<string, string> agentSelector = Arg(container, "--agent-selector")!.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(Manifests.DaemonSet.Spec.Selector.MatchLabels, agentSelector);
        Assert.False(agentSelector.All(l => gateway.Spec.Template.Metadata.Labels.TryGetValue(l.Key, out string? v) && v == l.Value));
        // The agent pods' labels select no gateway pod, and the reverse.
        Assert.NotEqual(Manifests.DaemonSet.Spec.Selector.MatchLabels["app.kubernetes.io/component"], service.Spec.Selector["app.kubernetes.io/component"]);
    }

    [Fact]
    public void TheGatewayRunsTwoNonRootReplicas_WithNothingWritableAndNoCapabilities()
    {
        V1Deployment gateway = Manifests.Single<V1Deployment>("traceloop-gateway");
        Assert.Equal(2, gateway.Spec.Replicas);
        V1PodSpec pod = gateway.Spec.Template.Spec;
        Assert.Equal("traceloop-gateway", pod.ServiceAccountName);
        Assert.Equal(true, pod.AutomountServiceAccountToken);
        Assert.Equal(true, pod.SecurityContext.RunAsNonRoot);
        Assert.NotEqual(0, pod.SecurityContext.RunAsUser);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        Assert.NotEqual(true, pod.HostPID);
        Assert.NotEqual(true, pod.HostNetwork);
        Assert.DoesNotContain(pod.Volumes, v => v.HostPath is not null);
        V1Container container = Assert.Single(pod.Containers);
        Assert.Equal("/usr/local/bin/traceloop-gateway", Assert.Single(container.Command));
        Assert.Equal("traceloop:0.1.0", container.Image);
        Assert.Equal(true, container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Equal(false, container.SecurityContext.AllowPrivilegeEscalation);
        Assert.Equal(true, container.SecurityContext.RunAsNonRoot);
        Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
        Assert.Null(container.SecurityContext.Capabilities.Add);
        // It issues and serves its certificates itself, from memory: no Secret is mounted for the
        // pod to wait on (a volume of a Secret that does not exist yet keeps it in ContainerCreating).
        Assert.Contains("--issue-certificates", container.Args);
        Assert.Null(Arg(container, "--tls-cert"));
        Assert.Null(Arg(container, "--agent-tls-dir"));
        Assert.DoesNotContain(pod.Volumes, v => v.Secret is not null || v.Projected is not null);
    }

    [Fact]
    public void TheGatewayIsReadyOnlyOnceItsTlsAnswers_AndIsNotRestartedWhileItWaitsForItsCertificate()
    {
        V1Container container = Assert.Single(Manifests.Single<V1Deployment>("traceloop-gateway").Spec.Template.Spec.Containers);
        // An HTTPS request needs a handshake, which the gateway refuses until it has issued its certificate.
        Assert.Equal(("/readyz", "HTTPS"), (container.ReadinessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Scheme));
        Assert.Equal("https", container.ReadinessProbe.HttpGet.Port.Value);
        Assert.NotNull(container.LivenessProbe.TcpSocket);
        Assert.Null(container.LivenessProbe.HttpGet);
    }

    [Fact]
    public void TheGatewayMayDelegateAuthReadThePodsItRoutesAndOnlyItsOwnSecrets()
    {
        Assert.Equal(("ClusterRole", "system:auth-delegator"), BoundTo<V1ClusterRoleBinding>("traceloop-gateway:system:auth-delegator"));
        Assert.Equal(("Role", "extension-apiserver-authentication-reader"), BoundTo<V1RoleBinding>("traceloop-gateway:extension-apiserver-authentication-reader"));
        Assert.Equal(("ClusterRole", "traceloop-gateway"), BoundTo<V1ClusterRoleBinding>("traceloop-gateway"));
        Assert.Equal(("Role", "traceloop-gateway"), BoundTo<V1RoleBinding>("traceloop-gateway"));

        Assert.Equal([" pods: get", "apiregistration.k8s.io apiservices[v1alpha1.traceloop.dev]: get,update"],
            Describe(Manifests.Single<V1ClusterRole>("traceloop-gateway").Rules));
        Assert.Equal(
        [
            " pods: list",
            " secrets[traceloop-cluster-ca,traceloop-agent-tls,traceloop-gateway-tls]: get,update",
            // RBAC cannot limit create by name; the only unnamed secrets verb.
            " secrets: create",
        ], Describe(Manifests.Single<V1Role>("traceloop-gateway").Rules));
    }

    [Fact]
    public void TheAgentListensForTheGatewayOnItsClusterPort_WithItsCertificateMountedReadOnly()
    {
        Assert.Equal(":9444", Manifests.Arg("--cluster-address"));
        Assert.Equal("/etc/traceloop/cluster-tls", Manifests.Arg("--cluster-tls-dir"));
        V1ContainerPort port = Assert.Single(Manifests.Recorder.Ports);
        Assert.Equal((9444, "TCP"), (port.ContainerPort, port.Protocol));
        Assert.NotEqual(true, Manifests.PodSpec.HostNetwork);

        V1Volume config = Assert.Single(Manifests.PodSpec.Volumes, v => v.Name == "config");
        V1SecretProjection secret = Assert.Single(config.Projected.Sources, s => s.Secret is not null).Secret;
        Assert.Equal("traceloop-agent-tls", secret.Name);
        // The gateway creates it, maybe after this pod starts: the pod must start without it
        // (the recorder's cluster listener waits for the files).
        Assert.Equal(true, secret.Optional);
        Assert.Equal(["cluster-tls/ca.crt", "cluster-tls/tls.crt", "cluster-tls/tls.key"], secret.Items.Select(i => i.Path).Order(StringComparer.Ordinal));
        V1VolumeMount mount = Assert.Single(Manifests.Recorder.VolumeMounts, m => m.Name == "config");
        Assert.Equal(true, mount.ReadOnlyProperty);
        Assert.Equal(Manifests.Arg("--cluster-tls-dir"), mount.MountPath + "/cluster-tls");
        // The agent and the gateway talk to the API server, so their tokens are mounted, explicitly.
        Assert.Equal(true, Manifests.PodSpec.AutomountServiceAccountToken);
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
            "/etc/traceloop <- configMap traceloop-config + secret traceloop-agent-tls (ro)",
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

    /// <summary>Core-group rules as "pods: get,list"; others prefixed by their group; names in brackets.</summary>
    private static string[] Describe(IEnumerable<V1PolicyRule> rules) =>
        rules.SelectMany(r =>
        {
            string group = Assert.Single(r.ApiGroups);
            Assert.Null(r.NonResourceURLs);
            string names = r.ResourceNames is { } n ? $"[{string.Join(',', n)}]" : "";
            string prefix = group.Length == 0 && !rules.Any(x => x.ApiGroups.Single().Length > 0 || x.ResourceNames is not null) ? "" : group + " ";
            return r.Resources.Select(resource => $"{prefix}{resource}{names}: {string.Join(',', r.Verbs)}");
        }).ToArray();

    private static (string Kind, string Name) BoundTo<T>(string name) where T : IMetadata<V1ObjectMeta>
    {
        T binding = Manifests.Single<T>(name);
        (V1RoleRef roleRef, IList<Rbacv1Subject> subjects) = binding switch
        {
            V1ClusterRoleBinding c => (c.RoleRef, c.Subjects),
            V1RoleBinding r => (r.RoleRef, r.Subjects),
            _ => throw new InvalidOperationException(typeof(T).Name),
        };
        Rbacv1Subject subject = Assert.Single(subjects);
        Assert.Equal(("ServiceAccount", "traceloop-gateway", Namespace), (subject.Kind, subject.Name, subject.NamespaceProperty));
        return (roleRef.Kind, roleRef.Name);
    }

    private static string? Arg(V1Container container, string flag)
    {
        int i = container.Args.IndexOf(flag);
        return i >= 0 && i + 1 < container.Args.Count ? container.Args[i + 1] : null;
    }

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
                { Projected: { } p } => string.Join(" + ", p.Sources.Select(s => s.ConfigMap is { } c ? $"configMap {c.Name}" : s.Secret is { } x ? $"secret {x.Name}" : "other")),
                { EmptyDir: not null } => "emptyDir",
                _ => "other",
            };
            return $"{m.MountPath} <- {source} ({(m.ReadOnlyProperty == true ? "ro" : "rw")})";
        }).Order(StringComparer.Ordinal).ToArray();
    }
}
