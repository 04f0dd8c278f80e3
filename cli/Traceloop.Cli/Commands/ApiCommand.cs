using System.CommandLine;
using System.Net.Http;
using Traceloop.Api;
using Traceloop.Cli.Common;

namespace Traceloop.Cli.Commands;

/// <summary>
/// <c>traceloop api METHOD PATH</c>: one raw request to the socket, for scripts and for the
/// DaemonSet's exec probes (which the kubelet runs in the pod; no user execs into it). Its
/// contract is fixed: the raw body on stdout and exit 0 for a 2xx; <c>HTTP code: detail</c> on
/// stderr and exit 3 for an HTTP error; the client's sentence and exit 2 when the socket cannot
/// be reached; exit 1 for bad arguments.
/// </summary>
internal static class ApiCommand
{
    private static readonly string[] Methods = ["GET", "POST", "DELETE"];

    public static Command Create(CommonOptions options)
    {
        var method = new Argument<string>("METHOD") { Description = "GET, POST or DELETE" };
        var path = new Argument<string>("PATH") { Description = "The request path and query, starting with / (e.g. /containers?namespace=shop)" };
        var command = new Command("api", "Send one request to the recorder's API and print the raw answer (used by the DaemonSet's probes)")
        {
            method,
            path,
        };
        command.SetAction((parse, ct) => RunAsync(options, options.Client(parse), parse.GetRequiredValue(method), parse.GetRequiredValue(path), ct));
        return command;
    }

    internal static async Task<int> RunAsync(CommonOptions options, TraceloopClient client, string methodText, string path, CancellationToken ct)
    {
        using (client)
        {
            CliConsole console = options.Console;
            HttpMethod method = ParseMethod(methodText);
            ValidatePath(path);
            try
            {
                using HttpResponseMessage response = await client.SendAsync(method, path, ct).ConfigureAwait(false);
                await console.Out.FlushAsync(ct).ConfigureAwait(false);
                await using Stream body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await body.CopyToAsync(console.OutputStream, ct).ConfigureAwait(false);
                await console.OutputStream.FlushAsync(ct).ConfigureAwait(false);
                return (int)ExitCode.Success;
            }
            catch (TraceloopApiException e) when (e.Status is { } status)
            {
                console.Error.WriteLine($"HTTP {(int)status}: {OneLine(e.Message)}");
                return (int)ExitCode.ApiError;
            }
            catch (TraceloopApiException e)
            {
                console.Error.WriteLine(OneLine(e.Message));
                return (int)ExitCode.Unreachable;
            }
        }
    }

    private static HttpMethod ParseMethod(string text)
    {
        string upper = text.ToUpperInvariant();
        if (!Methods.Contains(upper))
        {
            throw new CliException($"method '{text}' is not one of GET, POST, DELETE");
        }
        return new HttpMethod(upper);
    }

    /// <summary>A path on the recorder's own API: "//host" would name another authority, and whitespace another request line.</summary>
    private static void ValidatePath(string path)
    {
        if (!path.StartsWith('/') || path.StartsWith("//", StringComparison.Ordinal))
        {
            throw new CliException($"path '{path}' must start with a single / (e.g. /containers)");
        }
        if (path.Length > 8192 || path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new CliException("path must be at most 8192 characters, without spaces or control characters (escape them as %20)");
        }
    }

    /// <summary>The bridge's error is one line: the plugin prints it as the remote failure.</summary>
    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
