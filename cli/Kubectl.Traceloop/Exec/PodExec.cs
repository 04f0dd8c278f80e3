using System.Buffers;
using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kubectl.Traceloop.Kube;

namespace Kubectl.Traceloop.Exec;

/// <summary>
/// Runs a command in a pod's container through the API server's pods/exec subresource over a
/// WebSocket (v5.channel.k8s.io, else v4.channel.k8s.io), as kubectl exec does. The
/// connection goes through the Kubernetes client's own HTTP handler, so the kubeconfig's CA,
/// client certificate and TLS settings apply unchanged; its credentials add the token.
/// Nothing is sent on stdin: the commands run here take none.
/// </summary>
internal sealed class PodExec(KubeSession session)
{
    private const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public async Task<ExecResult> RunAsync(string ns, string pod, string container, IReadOnlyList<string> command, CancellationToken ct)
    {
        Uri uri = ExecUri(session.Client.BaseUri, ns, pod, container, command);
        using var invoker = new HttpMessageInvoker(session.Handler, disposeHandler: false);
        // The upgrade is sent by hand rather than by ClientWebSocket so that a refusal's body
        // (the API server's Status: RBAC's wording, "error dialing backend") can be read.
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        using var request = new HttpRequestMessage(HttpMethod.Get, uri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        request.Headers.TryAddWithoutValidation("Upgrade", "websocket");
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Version", "13");
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Key", key);
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Protocol", $"{ExecChannel.V5Protocol}, {ExecChannel.V4Protocol}");
        foreach ((string name, string value) in await AuthenticationHeadersAsync(ct).ConfigureAwait(false))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        HttpResponseMessage response;
        try
        {
            response = await invoker.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ExecException(Innermost(e).Message, inner: e);
        }
        using (response)
        {
            if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
            {
                string body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                throw new ExecException(StatusMessage(body) ?? $"the API server answered {(int)response.StatusCode} ({response.StatusCode})",
                    response.StatusCode);
            }
            string expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + WebSocketGuid)));
            if (!response.Headers.TryGetValues("Sec-WebSocket-Accept", out IEnumerable<string>? accept) || accept.FirstOrDefault() != expected)
            {
                throw new ExecException("the API server's WebSocket handshake is invalid (Sec-WebSocket-Accept)");
            }
            string? protocol = response.Headers.TryGetValues("Sec-WebSocket-Protocol", out IEnumerable<string>? p) ? p.FirstOrDefault() : null;
            if (protocol is not (ExecChannel.V5Protocol or ExecChannel.V4Protocol))
            {
                throw new ExecException($"the API server chose the exec protocol {protocol ?? "(none)"}; this plugin speaks {ExecChannel.V5Protocol} and {ExecChannel.V4Protocol}");
            }
            Stream stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using WebSocket socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, SubProtocol = protocol });
            return await ReadAsync(socket, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The exec URL with one command= per argument, as the API server expects.</summary>
    public static Uri ExecUri(Uri baseUri, string ns, string pod, string container, IReadOnlyList<string> command)
    {
        var builder = new UriBuilder(baseUri);
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

    private static async Task<ExecResult> ReadAsync(WebSocket socket, CancellationToken ct)
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
