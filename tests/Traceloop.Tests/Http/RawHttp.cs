using System.Net.Sockets;
using System.Text;

namespace Traceloop.Tests.Http;

/// <summary>Bytes written straight to the API's Unix socket, and what came back, for requests no HTTP client would send.</summary>
internal static class RawHttp
{
    public static async Task<Socket> ConnectAsync(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath)).WaitAsync(TimeSpan.FromSeconds(5));
        return socket;
    }

    /// <summary>A GET with <c>Connection: close</c>, so the server ends the connection after answering.</summary>
    public static byte[] Get(string path) => Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: traceloop\r\nConnection: close\r\n\r\n");

    /// <summary>
    /// Sends <paramref name="request"/> on a new connection and reads until the server closes it.
    /// <paramref name="endInput"/> half-closes our side after sending, so an incomplete request is not waited on.
    /// </summary>
    public static async Task<byte[]> ExchangeAsync(string socketPath, byte[] request, bool endInput = false, TimeSpan? timeout = null)
    {
        using Socket socket = await ConnectAsync(socketPath);
        try
        {
            await socket.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(5));
            if (endInput)
            {
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (SocketException)
        {
            // The server may answer and close before it has read everything (a refused header, say).
        }
        return await ReadToEndAsync(socket, timeout ?? TimeSpan.FromSeconds(10));
    }

    /// <summary>Everything the server sends until it closes the connection (or resets it).</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var received = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    break;
                }
                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
        }
        return received.ToArray();
    }

    /// <summary>The status code of the first response in <paramref name="response"/>, or null when there is none.</summary>
    public static int? Status(byte[] response)
    {
        ReadOnlySpan<byte> r = response;
        if (r.Length < 12 || !r.StartsWith("HTTP/1."u8) || r[8] != (byte)' ')
        {
            return null;
        }
        return int.TryParse(r.Slice(9, 3), out int status) ? status : null;
    }

    /// <summary>The head of the first response (status line and headers), as text.</summary>
    public static string Head(byte[] response)
    {
        int end = response.AsSpan().IndexOf("\r\n\r\n"u8);
        return Encoding.ASCII.GetString(response, 0, end < 0 ? response.Length : end);
    }
}
