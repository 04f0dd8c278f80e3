using System.Buffers;
using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Kubectl.Traceloop.Kube;

namespace Kubectl.Traceloop.Exec;

/// <summary>
/// Runs a command in a pod's container through the API server's pods/exec subresource over a
/// WebSocket (v5.channel.k8s.io, else v4.channel.k8s.io), as kubectl exec does. The
/// connection goes through the Kubernetes client's own HTTP handler, so the kubeconfig's CA,
/// client certificate and TLS settings apply unchanged; its credentials add the token.
/// </summary>
internal sealed class PodExec(KubeSession session)
{
    public async Task<ExecResult> RunAsync(string ns, string pod, string container, IReadOnlyList<string> command, CancellationToken ct)
    {
        Uri uri = ExecUri(session.Client.BaseUri, ns, pod, container, command);
        using var invoker = new HttpMessageInvoker(session.Handler, disposeHandler: false);
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(ExecChannel.V5Protocol);
        socket.Options.AddSubProtocol(ExecChannel.V4Protocol);
        socket.Options.CollectHttpResponseDetails = true;
        foreach ((string name, string value) in await AuthenticationHeadersAsync(ct).ConfigureAwait(false))
        {
            socket.Options.SetRequestHeader(name, value);
        }
        try
        {
            await socket.ConnectAsync(uri, invoker, ct).ConfigureAwait(false);
        }
        catch (WebSocketException e) when (socket.HttpStatusCode is not 0 and not HttpStatusCode.SwitchingProtocols)
        {
            // The refusal's reason is in the response body, which ClientWebSocket does not keep.
            HttpStatusCode status = socket.HttpStatusCode;
            throw new ExecException(await RefusalMessageAsync(invoker, uri, status, ct).ConfigureAwait(false), status, e);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException)
        {
            throw new ExecException(Innermost(e).Message, inner: e);
        }
        return await ReadAsync(socket, ct).ConfigureAwait(false);
    }

    /// <summary>The exec URL with one command= per argument, as the API server expects.</summary>
    public static Uri ExecUri(Uri baseUri, string ns, string pod, string container, IReadOnlyList<string> command)
    {
        var builder = new UriBuilder(baseUri) { Scheme = baseUri.Scheme == "http" ? "ws" : "wss" };
        builder.Path = builder.Path.TrimEnd('/') + $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods/{Uri.EscapeDataString(pod)}/exec";
        var query = new StringBuilder();
        foreach (string argument in command)
        {
            query.Append("command=").Append(Uri.EscapeDataString(argument)).Append('&');
        }
        query.Append("container=").Append(Uri.EscapeDataString(container)).Append("&stdout=true&stderr=true");
        builder.Query = query.ToString();
        return builder.Uri;
    }

    private static async Task<ExecResult> ReadAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var output = new ExecOutput();
        var message = new ArrayBufferWriter<byte>();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult received;
                try
                {
                    received = await socket.ReceiveAsync(buffer.AsMemory(), ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is WebSocketException or IOException)
                {
                    // A cut after the status is only a rude close; before it, the result is unknown.
                    if (output.HasStatus)
                    {
                        break;
                    }
                    throw new ExecException($"the exec stream broke: {Innermost(e).Message}", inner: e);
                }
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
                    }
                    break;
                }
                if (received.MessageType != WebSocketMessageType.Binary)
                {
                    throw new ExecException("the exec stream sent a text message; the v4 and v5 protocols are binary");
                }
                message.Write(buffer.AsSpan(0, received.Count));
                if (received.EndOfMessage)
                {
                    output.Accept(message.WrittenSpan);
                    message.ResetWrittenCount();
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return output.ToResult();
    }

    private async Task<List<(string Name, string Value)>> AuthenticationHeadersAsync(CancellationToken ct)
    {
        var headers = new List<(string, string)>();
        if (session.Client.Credentials is { } credentials)
        {
            using var request = new HttpRequestMessage();
            await credentials.ProcessHttpRequestAsync(request, ct).ConfigureAwait(false);
            foreach (KeyValuePair<string, IEnumerable<string>> header in request.Headers)
            {
                headers.Add((header.Key, string.Join(' ', header.Value)));
            }
        }
        return headers;
    }

    // The same URL as a plain GET: the API server authenticates and authorizes it the same way,
    // so a refused upgrade is refused again, this time with the Status body we can read.
    private async Task<string> RefusalMessageAsync(HttpMessageInvoker invoker, Uri uri, HttpStatusCode status, CancellationToken ct)
    {
        string fallback = $"the API server answered {(int)status} ({status})";
        try
        {
            var https = new UriBuilder(uri) { Scheme = uri.Scheme == "ws" ? "http" : "https" }.Uri;
            using var request = new HttpRequestMessage(HttpMethod.Get, https);
            foreach ((string name, string value) in await AuthenticationHeadersAsync(ct).ConfigureAwait(false))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            using HttpResponseMessage response = await invoker.SendAsync(request, ct).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            return StatusMessage(body) ?? fallback;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return fallback;
        }
    }

    /// <summary>The message of a metav1.Status body, or the body's first line when it is not one.</summary>
    public static string? StatusMessage(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("message", out JsonElement message) && message.ValueKind == JsonValueKind.String)
            {
                return message.GetString();
            }
        }
        catch (JsonException)
        {
        }
        string line = body.Split('\n', 2)[0].Trim();
        return line.Length == 0 ? null : line;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner)
        {
            e = inner;
        }
        return e;
    }
}
