using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Traceloop.FunctionalTests.Metrics;

/// <summary>A real Prometheus server (Debian's package) on loopback, scraping one target every second, with its own storage.</summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public static async Task<PrometheusServer> StartAsync(int targetPort, CancellationToken ct)
    {
        string dir = Directory.CreateTempSubdirectory("traceloop-prometheus-").FullName;
        string config = Path.Join(dir, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: traceloop
                static_configs:
                  - targets: ['127.0.0.1:{targetPort}']
            """, ct);
        int port = MetricsTests.FreePort();
        var start = new ProcessStartInfo("prometheus",
            [$"--config.file={config}", $"--storage.tsdb.path={Path.Join(dir, "data")}", $"--web.listen-address=127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, dir, port);
        try
        {
            await Recorder.Eventually.TrueAsync(async () =>
            {
                try
                {
                    using HttpResponseMessage ready = await server._http.GetAsync(new Uri("-/ready", UriKind.Relative), ct);
                    return ready.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return !process.HasExited ? false : throw new InvalidOperationException($"prometheus exited with {process.ExitCode}");
                }
            }, TimeSpan.FromSeconds(30), "prometheus to be ready");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>The value of an instant query's single series; NaN when it has none (not scraped yet).</summary>
    public async Task<double> QueryAsync(string promql, CancellationToken ct)
    {
        string json = await _http.GetStringAsync(new Uri($"api/v1/query?query={Uri.EscapeDataString(promql)}", UriKind.Relative), ct);
        using JsonDocument doc = JsonDocument.Parse(json);
        Assert.Equal("success", doc.RootElement.GetProperty("status").GetString());
        JsonElement result = doc.RootElement.GetProperty("data").GetProperty("result");
        Assert.True(result.GetArrayLength() <= 1, $"{promql} matched {result.GetArrayLength()} series");
        return result.GetArrayLength() == 0
            ? double.NaN
            : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
