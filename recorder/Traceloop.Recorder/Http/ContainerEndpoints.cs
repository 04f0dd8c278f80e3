using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Traceloop.Api;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Recorder.Http;

/// <summary><c>GET /containers</c>, <c>GET /containers/{id}/dump</c> and <c>GET /pods/{namespace}/{pod}/dump</c>.</summary>
internal static class ContainerEndpoints
{
    public static IEndpointRouteBuilder MapContainerEndpoints(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder containers = app.MapGroup("/containers");
        containers.MapGet("/", List);
        containers.MapGet("/{id}/dump", Dump).RequireRateLimiting(DumpConcurrency.Policy);
        app.MapGet("/pods/{namespace}/{pod}/dump", DumpPod).RequireRateLimiting(DumpConcurrency.Policy);
        return app;
    }

    private static IResult List(HttpContext context, ContainerLookup lookup, DumpService dumps)
    {
        IQueryCollection q = context.Request.Query;
        if (!LabelSelector.TryParse(q["selector"], out LabelSelector selector, out string? error))
        {
            return Problems.BadRequest(error!);
        }
        string? ns = q["namespace"], pod = q["pod"], name = q["container"];
        var result = new List<ContainerInfo>();
        foreach (RecordedContainer c in lookup.All())
        {
            ContainerInfo info = dumps.Describe(c);
            if ((ns is null || info.Namespace == ns) && (pod is null || info.Pod == pod) && (name is null || info.Container == name)
                && (selector.IsEmpty || selector.Matches(info.Labels)))
            {
                result.Add(info);
            }
        }
        return TypedResults.Ok(result);
    }

    private static async Task<IResult> Dump(string id, HttpContext context, ContainerLookup lookup, DumpService dumps)
    {
        if (!DumpRequest.TryParse(context.Request.Query, out DumpRequest request, out IResult? problem))
        {
            return problem;
        }
        LookupOutcome found = lookup.ById(id);
        if (found.Container is not { } container)
        {
            return Problems.For(found);
        }
        await DumpResponses.WriteLiveAsync(context, dumps, [container], request).ConfigureAwait(false);
        return Results.Empty;
    }

    private static async Task<IResult> DumpPod(string @namespace, string pod, HttpContext context, ContainerLookup lookup, DumpService dumps)
    {
        if (!DumpRequest.TryParse(context.Request.Query, out DumpRequest request, out IResult? problem))
        {
            return problem;
        }
        string? name = context.Request.Query["container"];
        List<RecordedContainer> matches = lookup.ByPod(@namespace, pod, name);
        if (matches.Count == 0)
        {
            return Problems.NotFound(ContainerLookup.NoSuchPod(@namespace, pod, name));
        }
        await DumpResponses.WriteLiveAsync(context, dumps, matches, request).ConfigureAwait(false);
        return Results.Empty;
    }
}
