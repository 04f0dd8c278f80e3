using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Traceloop.Api;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Hosting;

namespace Traceloop.Recorder.Http;

/// <summary><c>GET /containers</c> and <c>GET /containers/{id}/dump</c>.</summary>
internal static class ContainerEndpoints
{
    public static IEndpointRouteBuilder MapContainerEndpoints(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder group = app.MapGroup("/containers");
        group.MapGet("/", List);
        group.MapGet("/{id}/dump", Dump);
        return app;
    }

    private static Ok<List<ContainerInfo>> List(NodeRecorder recorder)
    {
        var result = new List<ContainerInfo>();
        foreach (RecordedContainer c in recorder.Registry.List())
        {
            using ContainerDump dump = ContainerDump.Take(c, recorder.Registry, recorder.Time);
            result.Add(dump.ToInfo());
        }
        return TypedResults.Ok(result);
    }

    private static async Task<IResult> Dump(string id, HttpContext context, NodeRecorder recorder)
    {
        IQueryCollection query = context.Request.Query;
        if (!DumpFormats.TryParse(query["format"], out DumpFormat format))
        {
            return Problems.BadRequest($"format '{query["format"]}' is not one of text, json, msgpack");
        }
        int? last = null;
        if (query.TryGetValue("last", out var lastText))
        {
            if (!int.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            {
                return Problems.BadRequest($"last '{lastText}' must be a positive whole number");
            }
            last = n;
        }
        if (id.Length < 4 || !id.All(char.IsAsciiHexDigitLower))
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

        using ContainerDump dump = ContainerDump.Take(container, recorder.Registry, recorder.Time);
        HttpResponse response = context.Response;
        response.ContentType = DumpFormats.ContentType(format);
        response.Headers["X-Traceloop-Container"] = container.Id;
        response.Headers["X-Traceloop-Events-Lost"] = dump.EventsLost.ToString(CultureInfo.InvariantCulture);
        await DumpWriter.WriteAsync(response.Body, dump, format, last, context.RequestAborted).ConfigureAwait(false);
        return Results.Empty;
    }
}
