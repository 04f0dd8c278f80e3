extern alias KubernetesFull;

using System.Diagnostics;
using KubernetesFull::k8s;
using KubernetesFull::k8s.Models;

namespace Traceloop.TestCommon.Deploy;

/// <summary>
/// deploy/ (or an overlay of it) as `kubectl kustomize` renders it, every document parsed
/// strictly into the Kubernetes client's typed objects: an unknown field is an error, as it is
/// for the API server. Shared with the functional tests, which run what the manifests say.
/// </summary>
internal sealed class RenderedManifests
{
    private static readonly Dictionary<string, Lazy<RenderedManifests>> Cache = new()
    {
        ["deploy"] = new(() => Render("deploy")),
        ["deploy/privileged"] = new(() => Render("deploy/privileged")),
        ["deploy/metrics"] = new(() => Render("deploy/metrics")),
    };

    private RenderedManifests(IReadOnlyList<object> objects) => Objects = objects;

    public IReadOnlyList<object> Objects { get; }

    /// <summary>The default install, `kubectl apply -k deploy/`.</summary>
    public static RenderedManifests Default => Cache["deploy"].Value;

    /// <summary>The documented fallback, `kubectl apply -k deploy/privileged`.</summary>
    public static RenderedManifests Privileged => Cache["deploy/privileged"].Value;

    /// <summary>deploy/metrics: the base with the TCP metrics listener and the scrape annotations.</summary>
    public static RenderedManifests Metrics => Cache["deploy/metrics"].Value;

    public V1DaemonSet DaemonSet => Single<V1DaemonSet>("traceloop");

    public V1PodSpec PodSpec => DaemonSet.Spec.Template.Spec;

    public V1Container Recorder => PodSpec.Containers.Single(c => c.Name == "recorder");

    /// <summary>The recorder's config file, as the ConfigMap mounted at /etc/traceloop holds it.</summary>
    public string ConfigJson => Single<V1ConfigMap>("traceloop-config").Data["config.json"];

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Single<T>(string name) where T : IMetadata<V1ObjectMeta> =>
        Objects.OfType<T>().SingleOrDefault(o => o.Metadata.Name == name)
        ?? throw new InvalidOperationException($"the rendered manifests have no {typeof(T).Name} named {name}");

    /// <summary>The value of a flag in the recorder's args ("--socket" → "/run/traceloop/traceloop.sock").</summary>
    public string? Arg(string flag)
    {
        IList<string> args = Recorder.Args;
        int i = args.IndexOf(flag);
        return i >= 0 && i + 1 < args.Count ? args[i + 1] : null;
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Traceloop.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Traceloop.sln above {AppContext.BaseDirectory}");
    }

    private static RenderedManifests Render(string directory)
    {
        var psi = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoRoot(),
        };
        psi.ArgumentList.Add("kustomize");
        psi.ArgumentList.Add(directory);
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // Never a skip: without kubectl the manifests would ship unchecked.
            throw new InvalidOperationException($"kubectl is needed to render {directory}/ and was not found on PATH ({e.Message})", e);
        }
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
            {
                process.Kill();
                throw new TimeoutException($"kubectl kustomize {directory} did not finish within 120 s");
            }
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"kubectl kustomize {directory} failed with {process.ExitCode}: {stderr.Result}");
            }
            return new RenderedManifests(KubernetesYaml.LoadAllFromString(stdout.Result, strict: true));
        }
    }
}
