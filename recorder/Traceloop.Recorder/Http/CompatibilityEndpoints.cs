using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Hosting;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Recorder.Http;

/// <summary>
/// The routes of Kinvolk's original traceloop, so scripts written for it keep working:
/// <c>/list</c> (<c>N: [name] /sys/fs/cgroup/...</c> lines), <c>/dump-by-name?name=</c> and
/// <c>/dump-by-cgroup?cgroup=</c>, answering in text.
/// </summary>
internal static class CompatibilityEndpoints
{
    public static IEndpointRouteBuilder MapCompatibilityEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/list", List);
        app.MapGet("/dump-by-name", DumpByName);
        app.MapGet("/dump-by-cgroup", DumpByCgroup);
        return app;
    }

    private static IResult List(NodeRecorder recorder, PodCache pods)
    {
        var sb = new StringBuilder();
        int n = 0;
        foreach (RecordedContainer c in recorder.Registry.List())
        {
            sb.Append(CultureInfo.InvariantCulture, $"{n++}: [{DisplayName(pods, c)}] {recorder.Cgroups.ToDirectory(c.CgroupPath)}\n");
        }
        return Results.Text(sb.ToString(), "text/plain; charset=utf-8");
    }

    /// <summary>name: a container id or unique prefix, "namespace/pod" or "namespace/pod/container".</summary>
    private static async Task<IResult> DumpByName(HttpContext context, NodeRecorder recorder, PodCache pods)
    {
        string? name = context.Request.Query["name"];
        if (string.IsNullOrEmpty(name))
        {
            return Problems.BadRequest("name is required: a container id, namespace/pod or namespace/pod/container");
        }
        string[] parts = name.Split('/');
        List<RecordedContainer> matches = parts.Length switch
        {
            2 => ContainerEndpoints.FindPod(recorder, pods, parts[0], parts[1], null),
            3 => ContainerEndpoints.FindPod(recorder, pods, parts[0], parts[1], parts[2]),
            _ => recorder.Registry.Find(name) is { Ambiguous: false, Container: { } c } ? [c] : [],
        };
        if (matches.Count == 0)
        {
            return Problems.NotFound($"no recorded container is named '{name}'; GET /list lists them");
        }
        await ContainerEndpoints.WriteAsync(context, recorder, pods, matches, new DumpRequest(DumpFormat.Text, null)).ConfigureAwait(false);
        return Results.Empty;
    }

    /// <summary>cgroup: the container's cgroup directory, absolute (/sys/fs/cgroup/...) or from the hierarchy root.</summary>
    private static async Task<IResult> DumpByCgroup(HttpContext context, NodeRecorder recorder, PodCache pods)
    {
        string? cgroup = context.Request.Query["cgroup"];
        if (string.IsNullOrEmpty(cgroup))
        {
            return Problems.BadRequest("cgroup is required: the container's cgroup directory");
        }
        string root = recorder.Cgroups.MountPoint;
        string relative = cgroup.StartsWith(root + "/", StringComparison.Ordinal) ? cgroup[root.Length..] : cgroup;
        RecordedContainer? match = recorder.Registry.List().Find(c => c.CgroupPath == relative.TrimEnd('/'));
        if (match is null)
        {
            return Problems.NotFound($"no recorded container has cgroup '{cgroup}'; GET /list lists them");
        }
        await ContainerEndpoints.WriteAsync(context, recorder, pods, [match], new DumpRequest(DumpFormat.Text, null)).ConfigureAwait(false);
        return Results.Empty;
    }

    private static string DisplayName(PodCache pods, RecordedContainer c) =>
        KubernetesIdentity.Resolve(pods, c) is { } k ? $"{k.Pod.Namespace}/{k.Pod.Name}/{k.Container?.Name ?? c.Id[..12]}" : c.Id;
}
