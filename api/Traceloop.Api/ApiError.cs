namespace Traceloop.Api;

/// <summary>The body of every error response (RFC 7807 problem details, the fields Traceloop sets).</summary>
public sealed class ApiError
{
    public string? Type { get; init; }

    public required string Title { get; init; }

    public int Status { get; init; }

    public string? Detail { get; init; }
}
