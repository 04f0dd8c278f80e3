using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>One open watch on the fake API server: what it selects, and the lines waiting to be written to it.</summary>
public sealed class WatchSubscription
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private HttpContext? _context;

    internal WatchSubscription(string? ns, FieldSelector fields, LabelSelector labels, bool bookmarks, string? resourceVersion)
    {
        Namespace = ns;
        Fields = fields;
        Labels = labels;
        Bookmarks = bookmarks;
        ResourceVersion = resourceVersion;
    }

    public string? Namespace { get; }

    public FieldSelector Fields { get; }

    public LabelSelector Labels { get; }

    public bool Bookmarks { get; }

    /// <summary>The resourceVersion the client asked to start from.</summary>
    public string? ResourceVersion { get; }

    internal ChannelReader<string> Lines => _lines.Reader;

    internal bool Matches(JsonObject pod) =>
        (Namespace is null || pod["metadata"]?["namespace"]?.GetValue<string>() == Namespace) && Fields.Matches(pod) && Labels.Matches(pod);

    internal void Send(string type, JsonObject obj) =>
        _lines.Writer.TryWrite(new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString());

    /// <summary>Ends the response cleanly after what is queued, as a server-side timeout does.</summary>
    internal void Complete() => _lines.Writer.TryComplete();

    internal void Attach(HttpContext context) => _context = context;

    /// <summary>Resets the stream (HTTP/2) or the connection (HTTP/1.1) without a clean end.</summary>
    internal void Abort()
    {
        _lines.Writer.TryComplete();
        _context?.Abort();
    }
}
