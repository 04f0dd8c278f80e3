using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Traceloop.Recorder.Metrics;

/// <summary>Times every API request into traceloop_api_request_duration_seconds{route,method,status}.</summary>
internal static class ApiRequestMetrics
{
    /// <summary>After routing, so the label is the route's template (bounded), never the raw path.</summary>
    public static IApplicationBuilder UseApiRequestMetrics(this IApplicationBuilder app)
    {
        RecorderMetrics metrics = app.ApplicationServices.GetRequiredService<RecorderMetrics>();
        return app.Use(async (context, next) =>
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
                metrics.ApiRequests
                    .WithLabels(route, MethodLabel(context.Request.Method), context.Response.StatusCode.ToString(CultureInfo.InvariantCulture))
                    .Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        });
    }

    /// <summary>The methods the API answers; anything else is one label value, so a client cannot grow the series.</summary>
    private static string MethodLabel(string method) => method switch
    {
        "GET" or "POST" or "PUT" or "DELETE" or "HEAD" => method,
        _ => "other",
    };
}
