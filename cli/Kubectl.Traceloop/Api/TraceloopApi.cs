using System.Net;
using System.Net.Http;
using Kubectl.Traceloop.Kube;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Api;

/// <summary>
/// Calls the Traceloop aggregated API (group traceloop.dev) through the API server, as the
/// kubeconfig's user. The request goes through the Kubernetes client's own HTTP handler (the
/// kubeconfig's CA and client certificate) and its credentials (token, exec plugin), so the
/// API server authenticates the user as kubectl would and the gateway authorizes per namespace.
/// </summary>
internal sealed class TraceloopApi(KubeSession session)
{
    public const string Group = "traceloop.dev";
    public const string Version = "v1alpha1";
    public const string Prefix = "/apis/" + Group + "/" + Version;

    /// <summary>The path under <see cref="Prefix"/> of a namespaced resource, or of all namespaces' when <paramref name="ns"/> is null.</summary>
    public static string Path(string? ns, string resource) =>
        ns is null ? $"{Prefix}/{resource}" : $"{Prefix}/namespaces/{Uri.EscapeDataString(ns)}/{resource}";

    public static string PodPath(string ns, string pod, string? subresource = null) =>
        Path(ns, "pods/" + Uri.EscapeDataString(pod)) + (subresource is null ? "" : "/" + subresource);

    public static string CrashDumpPath(string ns, string id) => Path(ns, "crashdumps/" + Uri.EscapeDataString(id));

    public Task<byte[]> GetAsync(string pathAndQuery, string what, CancellationToken ct) => SendAsync(HttpMethod.Get, pathAndQuery, what, ct);

    /// <param name="what">What the call does, for the error line ("dump pod shop/checkout").</param>
    public async Task<byte[]> SendAsync(HttpMethod method, string pathAndQuery, string what, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(session.Timeout);
        using var invoker = new HttpMessageInvoker(session.Handler, disposeHandler: false);
        using var request = new HttpRequestMessage(method, new Uri(session.Client.BaseUri, pathAndQuery));
        try
        {
            if (session.Client.Credentials is { } credentials)
            {
                await credentials.ProcessHttpRequestAsync(request, timeout.Token).ConfigureAwait(false);
            }
            using HttpResponseMessage response = await invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
            byte[] body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw ApiFailure.FromStatus(response.StatusCode, body, what);
            }
            return body;
        }
        catch (HttpRequestException e)
        {
            throw new PluginException($"cannot reach the API server {session.Client.BaseUri} to {what}: {Innermost(e).Message}", ExitCode.Failed, e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new PluginException($"no answer within {session.Timeout.TotalSeconds:0} s to {what} (--request-timeout)", ExitCode.Failed, e);
        }
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
