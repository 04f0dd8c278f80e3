using System.Net;
using System.Text.Json;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// An open watch: newline-delimited JSON watch events ({"type":…,"object":…}), one per line,
/// for as long as the server keeps the response open.
/// </summary>
internal sealed class PodWatchStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    public PodWatchStream(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = new StreamReader(body, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
    }

    /// <summary>The next event; null when the server ended the watch cleanly (its timeoutSeconds ran out).</summary>
    /// <exception cref="JsonException">A line is not a watch event (a line cut short by a dropped connection).</exception>
    public async Task<PodWatchEvent?> ReadAsync(CancellationToken ct)
    {
        while (await _reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line) && Parse(line) is { } e)
            {
                return e;
            }
        }
        return null;
    }

    /// <summary>Null for an event type this client does not know (skipped, as client-go does).</summary>
    internal static PodWatchEvent? Parse(string line)
    {
        using JsonDocument doc = JsonDocument.Parse(line);
        JsonElement root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || PodApiClient.StringOf(root, "type") is not { } type
            || !root.TryGetProperty("object", out JsonElement obj)
            || obj.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"not a watch event: {Truncate(line)}");
        }
        switch (type)
        {
            case "ADDED":
            case "MODIFIED":
            case "DELETED":
                Pod pod = obj.Deserialize(PodJsonContext.Default.Pod) ?? throw new JsonException("a watch event without its pod");
                var kind = type switch
                {
                    "ADDED" => PodWatchEventType.Added,
                    "MODIFIED" => PodWatchEventType.Modified,
                    _ => PodWatchEventType.Deleted,
                };
                return new PodWatchEvent(kind, pod, pod.Metadata?.ResourceVersion, null);
            case "BOOKMARK":
                // A bookmark carries only the resource version the watch has reached.
                string? rv = obj.TryGetProperty("metadata", out JsonElement meta) && meta.ValueKind == JsonValueKind.Object
                    ? PodApiClient.StringOf(meta, "resourceVersion")
                    : null;
                return new PodWatchEvent(PodWatchEventType.Bookmark, null, rv, null);
            case "ERROR":
                int code = obj.TryGetProperty("code", out JsonElement c) && c.TryGetInt32(out int n) ? n : 500;
                return new PodWatchEvent(PodWatchEventType.Error, null, null,
                    new KubernetesApiException((HttpStatusCode)code, PodApiClient.StringOf(obj, "reason"), PodApiClient.StringOf(obj, "message") ?? "watch error"));
            default:
                return null;
        }
    }

    private static string Truncate(string line) => line.Length > 200 ? line[..200] + "…" : line;

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
