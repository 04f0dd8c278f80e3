using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Traceloop.Gateway.Http;

/// <summary>
/// Passes an agent's answer through: a success with its status, content type and body as they
/// are (text, JSON, MessagePack, streamed); a refusal turned from the recorder's problem details
/// into a Status with the same code and the recorder's sentence.
/// </summary>
internal static class AgentRelay
{
    private const int MaxProblemBytes = 64 * 1024;

    public static async Task RelayAsync(HttpContext context, HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is { } retry)
        {
            context.Response.Headers.RetryAfter = retry.ToString();
        }
        int code = (int)response.StatusCode;
        if (code >= 400)
        {
            AccessRecord.Of(context).Result = code == 404 ? "not-found" : "error";
            await KubeStatus.WriteAsync(context, code, await ProblemAsync(response, context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = code;
        if (response.Content.Headers.ContentType is { } type)
        {
            context.Response.ContentType = type.ToString();
        }
        if (response.Content.Headers.ContentDisposition is { } disposition)
        {
            context.Response.Headers.ContentDisposition = disposition.ToString();
        }
        Stream body = await response.Content.ReadAsStreamAsync(context.RequestAborted).ConfigureAwait(false);
        await body.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<string> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        string text = System.Text.Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, MaxProblemBytes));
        try
        {
            JsonNode? problem = JsonNode.Parse(text);
            return ListEnvelope.Text(problem?["detail"]) ?? ListEnvelope.Text(problem?["title"]) ?? $"the agent answered {(int)response.StatusCode}";
        }
        catch (JsonException)
        {
            return text.Length > 0 ? text : $"the agent answered {(int)response.StatusCode}";
        }
    }
}
