using System.Globalization;
using Microsoft.AspNetCore.Http;
using Traceloop.Api;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Dumps;

namespace Traceloop.Recorder.Http;

/// <summary>Writes dumps as response bodies, with the headers that say what they hold: one way for every endpoint that answers with a dump.</summary>
internal static class DumpResponses
{
    /// <summary>Live dumps of <paramref name="containers"/>, taken now, as one body (a pod's containers interleaved in time order).</summary>
    public static async Task WriteLiveAsync(HttpContext context, DumpService service, IReadOnlyList<RecordedContainer> containers, DumpRequest request)
    {
        var dumps = new List<ContainerDump>(containers.Count);
        try
        {
            foreach (RecordedContainer c in containers)
            {
                dumps.Add(service.Take(c));
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

    /// <summary>A saved dump, already read from the store.</summary>
    public static async Task WriteSavedAsync(HttpContext context, string id, DumpHeader header, IReadOnlyList<TraceEventDto> events, DumpFormat format)
    {
        context.Response.ContentType = DumpFormats.ContentType(format);
        context.Response.Headers["X-Traceloop-Dump"] = id;
        context.Response.Headers["X-Traceloop-Container"] = header.Container.Id;
        await DumpWriter.WriteSavedAsync(context.Response.Body, header, events, format, context.RequestAborted).ConfigureAwait(false);
    }
}
