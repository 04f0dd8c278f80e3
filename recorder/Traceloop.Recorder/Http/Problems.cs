using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Traceloop.Api;
using Traceloop.Recorder.Dumps;

namespace Traceloop.Recorder.Http;

/// <summary>Error responses: RFC 7807 problem details with one sentence saying what was wrong.</summary>
internal static class Problems
{
    public static JsonHttpResult<ApiError> NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "Not Found", detail);

    public static JsonHttpResult<ApiError> BadRequest(string detail) => Problem(StatusCodes.Status400BadRequest, "Bad Request", detail);

    /// <summary>A lookup that found no single container: 404 when nothing matched, 400 for a bad or ambiguous id.</summary>
    public static JsonHttpResult<ApiError> For(in LookupOutcome outcome) =>
        outcome.Failure == LookupFailure.NotFound ? NotFound(outcome.Message!) : BadRequest(outcome.Message!);

    public static JsonHttpResult<ApiError> Problem(int status, string title, string detail) =>
        TypedResults.Json(new ApiError { Title = title, Status = status, Detail = detail, Type = $"https://httpstatuses.io/{status}" },
            TraceloopJson.Context.ApiError, contentType: "application/problem+json", statusCode: status);
}
