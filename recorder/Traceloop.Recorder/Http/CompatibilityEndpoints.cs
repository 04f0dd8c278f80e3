using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Dumps;
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
        app.MapGet("/dump-by-name", DumpByName).RequireRateLimiting(DumpConcurrency.Policy);
        app.MapGet("/dump-by-cgroup", DumpByCgroup).RequireRateLimiting(DumpConcurrency.Policy);
        return app;
    }

    private static IResult List(ContainerLookup lookup)
    {
        var sb = new StringBuilder();
        int n = 0;
        foreach (RecordedContainer c in lookup.All())
        {
            sb.Append(CultureInfo.InvariantCulture, $"{n++}: [{DisplayName(lookup, c)}] {lookup.Directory(c)}\n");
        }
        return Results.Text(sb.ToString(), "text/plain; charset=utf-8");
    }

    /// <summary>name: a container id or unique prefix, "namespace/pod" or "namespace/pod/container".</summary>
    private static async Task<IResult> DumpByName(HttpContext context, ContainerLookup lookup, DumpService dumps)
    {
        string? name = context.Request.Query["name"];
        if (string.IsNullOrEmpty(name))
        {
            return Problems.BadRequest("name is required: a container id, namespace/pod or namespace/pod/container");
        }
        List<RecordedContainer> matches = lookup.ByName(name);
        if (matches.Count == 0)
        {
            return Problems.NotFound($"no recorded container is named '{name}'; GET /list lists them");
        }
        await DumpResponses.WriteLiveAsync(context, dumps, matches, new DumpRequest(DumpFormat.Text, null)).ConfigureAwait(false);
        return Results.Empty;
    }

    /// <summary>cgroup: the container's cgroup directory, absolute (/sys/fs/cgroup/...) or from the hierarchy root.</summary>
    private static async Task<IResult> DumpByCgroup(HttpContext context, ContainerLookup lookup, DumpService dumps)
    {
        string? cgroup = context.Request.Query["cgroup"];
        if (string.IsNullOrEmpty(cgroup))
        {
            return Problems.BadRequest("cgroup is required: the container's cgroup directory");
        }
        if (lookup.ByCgroup(cgroup) is not { } match)
        {
            return Problems.NotFound($"no recorded container has cgroup '{cgroup}'; GET /list lists them");
        }
        await DumpResponses.WriteLiveAsync(context, dumps, [match], new DumpRequest(DumpFormat.Text, null)).ConfigureAwait(false);
        return Results.Empty;
    }

    private static string DisplayName(ContainerLookup lookup, RecordedContainer c) =>
        lookup.Names(c) is { } k ? $"{k.Pod.Namespace}/{k.Pod.Name}/{k.Container?.Name ?? c.Id[..12]}" : c.Id;
}
