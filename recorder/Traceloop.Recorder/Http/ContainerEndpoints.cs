using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Traceloop.Api;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Hosting;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Recorder.Http;

/// <summary><c>GET /containers</c>, <c>GET /containers/{id}/dump</c> and <c>GET /pods/{namespace}/{pod}/dump</c>.</summary>
internal static class ContainerEndpoints
{
    public static IEndpointRouteBuilder MapContainerEndpoints(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder containers = app.MapGroup("/containers");
        containers.MapGet("/", List);
        containers.MapGet("/{id}/dump", Dump);
        app.MapGet("/pods/{namespace}/{pod}/dump", DumpPod);
        return app;
    }

    private static IResult List(HttpContext context, NodeRecorder recorder, PodCache pods)
    {
        IQueryCollection q = context.Request.Query;
        if (!LabelSelector.TryParse(q["selector"], out LabelSelector selector, out string? error))
        {
            return Problems.BadRequest(error!);
        }
        string? ns = q["namespace"], pod = q["pod"], name = q["container"];
        var result = new List<ContainerInfo>();
        foreach (RecordedContainer c in recorder.Registry.List())
        {
            using ContainerDump dump = ContainerDump.Take(c, recorder.Registry, recorder.Time, pods);
            ContainerInfo info = dump.ToInfo();
            if ((ns is null || info.Namespace == ns) && (pod is null || info.Pod == pod) && (name is null || info.Container == name)
                && (selector.IsEmpty || selector.Matches(info.Labels)))
            {
                result.Add(info);
            }
        }
        return TypedResults.Ok(result);
    }

    private static async Task<IResult> Dump(string id, HttpContext context, NodeRecorder recorder, PodCache pods)
    {
        if (!DumpRequest.TryParse(context.Request.Query, out DumpRequest request, out IResult? problem))
        {
            return problem;
        }
        if (id.Length < 4 || id.Length > 64 || !id.All(char.IsAsciiHexDigitLower))
        {
            return Problems.BadRequest($"container id '{id}' must be 4 to 64 lowercase hex digits (a prefix is enough when unambiguous)");
        }
        LookupResult found = recorder.Registry.Find(id);
        if (found.Ambiguous)
        {
            return Problems.BadRequest($"container id prefix '{id}' matches {found.Matches} or more containers; give more digits");
        }
        if (found.Container is not { } container)
        {
            return Problems.NotFound($"no recorded container has id '{id}'; GET /containers lists them");
        }
        await WriteAsync(context, recorder, pods, [container], request).ConfigureAwait(false);
        return Results.Empty;
    }

    private static async Task<IResult> DumpPod(string @namespace, string pod, HttpContext context, NodeRecorder recorder, PodCache pods)
    {
        if (!DumpRequest.TryParse(context.Request.Query, out DumpRequest request, out IResult? problem))
        {
            return problem;
        }
        string? name = context.Request.Query["container"];
        List<RecordedContainer> matches = FindPod(recorder, pods, @namespace, pod, name);
        if (matches.Count == 0)
        {
            return Problems.NotFound(name is null
                ? $"no recorded container belongs to pod {@namespace}/{pod}"
                : $"pod {@namespace}/{pod} has no recorded container named '{name}'");
        }
        await WriteAsync(context, recorder, pods, matches, request).ConfigureAwait(false);
        return Results.Empty;
    }

    /// <summary>The recorded containers of a pod, by the names the pod cache gives them.</summary>
    internal static List<RecordedContainer> FindPod(NodeRecorder recorder, PodCache pods, string ns, string pod, string? container)
    {
        var matches = new List<RecordedContainer>();
        foreach (RecordedContainer c in recorder.Registry.List())
        {
            KubernetesIdentity? names = KubernetesIdentity.Resolve(pods, c);
            if (names is not null && names.Pod.Namespace == ns && names.Pod.Name == pod
                && (container is null || names.Container?.Name == container))
            {
                matches.Add(c);
            }
        }
        return matches;
    }

    internal static async Task WriteAsync(HttpContext context, NodeRecorder recorder, PodCache pods, IReadOnlyList<RecordedContainer> containers, DumpRequest request)
    {
        var dumps = new List<ContainerDump>(containers.Count);
        try
        {
            foreach (RecordedContainer c in containers)
            {
                dumps.Add(ContainerDump.Take(c, recorder.Registry, recorder.Time, pods));
            }
            HttpResponse response = context.Response;
            response.ContentType = DumpFormats.ContentType(request.Format);
            response.Headers["X-Traceloop-Container"] = string.Join(',', containers.Select(c => c.Id));
            response.Headers["X-Traceloop-Events-Lost"] = dumps.Sum(d => d.EventsLost).ToString(CultureInfo.InvariantCulture);
            await DumpWriter.WriteAsync(response.Body, dumps, request.Format, request.Last, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            foreach (ContainerDump d in dumps)
            {
                d.Dispose();
            }
        }
    }
}
