using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests.Tls;

/// <summary>
/// HTTP/1.1 over TLS, probed by the recorder alone: curl in one container fetches a file from
/// <c>openssl s_server -WWW</c> in another, and curl's dump shows the request and the response as
/// HTTP annotations of its OpenSSL plaintext, in JSON and as text lines, paired with the
/// request's method and path.
/// </summary>
public sealed class HttpsRecordingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ARequestOverTls_IsAnHttpAnnotation_WithMethodPathAndStatus()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        await using TlsScene scene = await TlsScene.CreateAsync(cts.Token);
        string page = $"page-{Guid.NewGuid():N}.txt";
        string body = TlsScene.Token();
        Directory.CreateDirectory(scene.Rootfs.HostPath("/srv"));
        await File.WriteAllTextAsync(scene.Rootfs.HostPath($"/srv/{page}"), body + "\n", cts.Token);

        await using RecorderProcess recorder = await RecorderProcess.StartAsync(ct: cts.Token);
        try
        {
            // -WWW serves files relative to its working directory as HTTP/1.0 responses.
            await using RuncContainer server = await scene.RunAsync(
                $"cd /srv && sleep 3600 | openssl s_server -WWW -accept 127.0.0.1:{scene.Port} -cert /certs/cert.pem -key /certs/key.pem", cts.Token);
            await Eventually.TrueAsync(() => Task.FromResult(server.Stdout.Contains("ACCEPT", StringComparison.Ordinal)), Wait, "openssl s_server -WWW to accept");
            // curl maps the same libssl file (the host's /usr), so once the server's is probed, curl's calls are too.
            await Eventually.TrueAsync(async () => await recorder.Client.GetVersionAsync(cts.Token) is { Tls.FilesProbed: > 0 }, Wait, "the server's libssl to be probed");

            await using RuncContainer curl = await scene.RunAsync($"exec curl -sk --http1.1 https://127.0.0.1:{scene.Port}/{page}", cts.Token);
            Assert.Equal(0, await curl.WaitForExitAsync(cts.Token));
            Assert.Equal(body + "\n", curl.Stdout);

            List<TraceEventDto> events = await Eventually.GetAsync(async () =>
            {
                List<TraceEventDto> now = await recorder.Client.GetDumpJsonAsync(curl.Id, ct: cts.Token);
                return now.Any(e => e.Kind == TraceEventKind.Tls && e.Http is { Type: HttpMessageNames.Response }) ? now : null;
            }, Wait, "curl's response annotation");
            foreach (TraceEventDto e in events.Where(e => e.Kind == TraceEventKind.Tls))
            {
                output.WriteLine(e.Text);
            }

            TraceEventDto request = Assert.Single(events, e => e.Http is { Type: HttpMessageNames.Request });
            Assert.Equal(TraceEventKind.Tls, request.Kind);
            Assert.Equal(("openssl", "write"), (request.Tls!.Library, request.Tls.Direction));
            Assert.Equal((HttpMessageNames.Client, "GET", $"/{page}"), (request.Http!.Role, request.Http.Method, request.Http.Path));
            TraceEventDto response = Assert.Single(events, e => e.Http is { Type: HttpMessageNames.Response });
            Assert.Equal(TraceEventKind.Tls, response.Kind);
            Assert.Equal(("openssl", "read"), (response.Tls!.Library, response.Tls.Direction));
            Assert.Equal((HttpMessageNames.Client, 200, "GET", $"/{page}"), (response.Http!.Role, response.Http.Status, response.Http.Method, response.Http.Path));
            Assert.NotNull(response.Http.LatencyNs);
            // curl sends and receives on one socket, which both TLS lines name.
            Assert.NotNull(request.Tls.Fd);
            Assert.Equal(request.Tls.Fd, request.Http.Fd);

            string text = await recorder.Client.GetDumpTextAsync(curl.Id, ct: cts.Token);
            Assert.Contains($"--- tls write openssl fd={request.Tls.Fd} \"GET /{page} HTTP/1.1\\r\\n", text, StringComparison.Ordinal);
            Assert.Contains($"--- http client request GET /{page} ---", text, StringComparison.Ordinal);
            Assert.Contains($"--- http client response 200 ok to GET /{page} in ", text, StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine(recorder.Output);
        }
    }
}
