// pods/exec for the fake API server: the WebSocket exec protocol as kubectl and client-go
// speak it, bridged to a real `traceloop` binary talking to a real recorder's socket.
//
// What it implements:
//   GET|POST /api/v1/namespaces/{ns}/pods/{name}/exec?command=..&command=..&container=..&stdout=..&stderr=..
//   a WebSocket upgrade offering v5.channel.k8s.io or v4.channel.k8s.io (v5 preferred, as the
//   real server does); every binary message starts with its channel byte: 1 stdout, 2 stderr,
//   3 the final metav1.Status (Success, or Failure with reason NonZeroExitCode and the exit
//   code in details.causes); an empty message on stdout and stderr first, as readiness; the
//   client's v5 close messages (255) are accepted and ignored. The command's argv[0] must be
//   `traceloop` (or /usr/local/bin/traceloop): it runs the built node CLI with
//   TRACELOOP_SOCKET set to the socket given to BridgeExec; any other command fails as the
//   runtime's "executable file not found" does.
//   Refusals, each with a Status body before any upgrade: 404 unknown pod; 400 no command,
//   unknown container, a pod not Running, a plain GET with no upgrade, or no v4/v5 offered;
//   500 "error dialing backend" for a pod with no bridge (the kubelet unreachable); 403 by
//   Forbid(path), from the shared authentication step.
//
// Limits: no stdin (channel 0) or TTY/resize; no SPDY (kubectl's older transport); no
// channel.k8s.io / base64 protocols.
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Traceloop.FunctionalTests.Kubernetes;

public sealed partial class ApiServerFixture
{
    private const string V5Protocol = "v5.channel.k8s.io";
    private const string V4Protocol = "v4.channel.k8s.io";
    private readonly Dictionary<(string Namespace, string Pod), string> _execSockets = [];
    private readonly List<ExecCall> _execCalls = [];

    /// <summary>The node CLI the bridge runs: the one the build put beside the tests.</summary>
    public static string TraceloopBinaryPath => Path.Join(AppContext.BaseDirectory, "traceloop");

    /// <summary>Every exec accepted, in arrival order.</summary>
    public IReadOnlyList<ExecCall> ExecCalls
    {
        get
        {
            lock (_gate)
            {
                return [.. _execCalls];
            }
        }
    }

    /// <summary>An exec into <paramref name="pod"/> runs the real traceloop against this recorder socket.</summary>
    public void BridgeExec(string ns, string pod, string socketPath)
    {
        lock (_gate)
        {
            _execSockets[(ns, pod)] = socketPath;
        }
    }

    private void MapExec(WebApplication app)
    {
        app.MapMethods("/api/v1/namespaces/{ns}/pods/{name}/exec", ["GET", "POST"], ExecAsync);
    }

    private async Task ExecAsync(HttpContext context)
    {
        string ns = (string)context.Request.RouteValues["ns"]!;
        string name = (string)context.Request.RouteValues["name"]!;
        string[] command = [.. context.Request.Query["command"].Select(c => c ?? "")];
        string? container = context.Request.Query["container"];
        if (Pods.Get(ns, name) is not { } pod)
        {
            await WriteAsync(context, 404, ApiStatus.Failure(404, "NotFound", $"pods \"{name}\" not found",
                new JsonObject { ["name"] = name, ["kind"] = "pods" }));
            return;
        }
        string[] containers = [.. pod["spec"]!["containers"]!.AsArray().Select(c => (string)c!["name"]!)];
        container ??= containers.Length == 1 ? containers[0] : null;
        string? refusal = command.Length == 0 ? "you must specify at least 1 command"
            : container is null ? $"a container name must be specified for pod {name}, choose one of: [{string.Join(' ', containers)}]"
            : !containers.Contains(container) ? $"container {container} is not valid for pod {name}"
            : (string?)pod["status"]?["phase"] != "Running" ? $"unable to upgrade connection: container not found (\"{container}\")"
            : !context.WebSockets.IsWebSocketRequest ? "Upgrade request required"
            : null;
        if (refusal is not null)
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest", refusal));
            return;
        }
        string? socket;
        lock (_gate)
        {
            socket = _execSockets.GetValueOrDefault((ns, name));
        }
        if (socket is null)
        {
            await WriteAsync(context, 500, ApiStatus.Failure(500, "InternalError",
                "error dialing backend: dial tcp 10.0.0.10:10250: connect: connection refused"));
            return;
        }
        IList<string> offered = context.WebSockets.WebSocketRequestedProtocols;
        string? protocol = offered.Contains(V5Protocol) ? V5Protocol : offered.Contains(V4Protocol) ? V4Protocol : null;
        if (protocol is null)
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest",
                $"none of the requested subprotocols [{string.Join(", ", offered)}] is supported; use {V5Protocol} or {V4Protocol}"));
            return;
        }
        var call = new ExecCall(ns, name, container!, command, protocol);
        lock (_gate)
        {
            _execCalls.Add(call);
        }
        SetStatus(context, 101);
        using WebSocket webSocket = await context.WebSockets.AcceptWebSocketAsync(protocol);
        await RunBridgedAsync(webSocket, call, socket, context.RequestAborted);
    }

    private static async Task RunBridgedAsync(WebSocket webSocket, ExecCall call, string socket, CancellationToken ct)
    {
        using var writeGate = new SemaphoreSlim(1);
        async Task SendAsync(byte channel, ReadOnlyMemory<byte> data)
        {
            byte[] message = new byte[data.Length + 1];
            message[0] = channel;
            data.CopyTo(message.AsMemory(1));
            await writeGate.WaitAsync(ct);
            try
            {
                await webSocket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, ct);
            }
            finally
            {
                writeGate.Release();
            }
        }

        // Reading keeps the close handshake moving; what the client sends (v5 closes) is not used.
        Task reading = DrainAsync(webSocket, ct);
        await SendAsync(1, ReadOnlyMemory<byte>.Empty);
        await SendAsync(2, ReadOnlyMemory<byte>.Empty);
        JsonObject status;
        if (call.Command[0] is not ("traceloop" or "/usr/local/bin/traceloop"))
        {
            status = new JsonObject
            {
                ["metadata"] = new JsonObject(),
                ["status"] = "Failure",
                ["message"] = $"failed to exec in container: exec: \"{call.Command[0]}\": executable file not found in $PATH: unknown",
            };
        }
        else
        {
            var psi = new ProcessStartInfo(TraceloopBinaryPath)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string argument in call.Command.Skip(1))
            {
                psi.ArgumentList.Add(argument);
            }
            psi.Environment["TRACELOOP_SOCKET"] = socket;
            psi.Environment["DOTNET_CLI_HOME"] = "/tmp";
            using Process process = Process.Start(psi)!;
            await Task.WhenAll(
                PumpAsync(process.StandardOutput.BaseStream, data => SendAsync(1, data), ct),
                PumpAsync(process.StandardError.BaseStream, data => SendAsync(2, data), ct));
            await process.WaitForExitAsync(ct);
            call.ExitCode = process.ExitCode;
            status = process.ExitCode == 0
                ? new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" }
                : new JsonObject
                {
                    ["metadata"] = new JsonObject(),
                    ["status"] = "Failure",
                    ["message"] = $"command terminated with non-zero exit code: exit status {process.ExitCode}",
                    ["reason"] = "NonZeroExitCode",
                    ["details"] = new JsonObject
                    {
                        ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
                    },
                };
        }
        await SendAsync(3, Encoding.UTF8.GetBytes(status.ToJsonString()));
        try
        {
            await webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
            await reading.WaitAsync(TimeSpan.FromSeconds(5), ct);
        }
        catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException)
        {
            // The client went away without finishing the close handshake.
        }
    }

    private static async Task PumpAsync(Stream from, Func<ReadOnlyMemory<byte>, Task> send, CancellationToken ct)
    {
        byte[] buffer = new byte[32 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, ct)) > 0)
        {
            await send(buffer.AsMemory(0, read));
        }
    }

    private static async Task DrainAsync(WebSocket webSocket, CancellationToken ct)
    {
        byte[] buffer = new byte[1024];
        try
        {
            while (webSocket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                WebSocketReceiveResult received = await webSocket.ReceiveAsync(buffer, ct);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
    }
}
