using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Traceloop.Tests.Kubectl;

/// <summary>One request the double received.</summary>
internal sealed record ContractRequest(string Method, string PathAndQuery, string? Authorization);

/// <summary>
/// The API server's side of the traceloop.dev contract, as canned answers on loopback HTTP: each
/// "METHOD path?query" a test sets is answered with its status, content type and body; anything
/// else is the API server's 404 Status. It checks the kubeconfig's bearer token like the real
/// server, so a test proves the plugin sends the user's credentials.
/// </summary>
internal sealed class ContractDouble : IAsyncDisposable
{
    public const string Token = "alice-token";
    private readonly ConcurrentDictionary<string, (int Status, string ContentType, byte[] Body)> _answers = new(StringComparer.Ordinal);
    private readonly WebApplication _app;
    private readonly string _dir = Directory.CreateTempSubdirectory("traceloop-contract-").FullName;

    private ContractDouble(WebApplication app) => _app = app;

    public ConcurrentQueue<ContractRequest> Requests { get; } = new();

    public Uri Url { get; private set; } = null!;

    public static async Task<ContractDouble> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        var double_ = new ContractDouble(app);
        app.Run(double_.AnswerAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        double_.Url = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return double_;
    }

    public void Answer(string method, string pathAndQuery, int status, string body, string contentType = "application/json") =>
        _answers[$"{method} {pathAndQuery}"] = (status, contentType, System.Text.Encoding.UTF8.GetBytes(body));

    /// <summary>A metav1.Status as the API server and the gateway send for an error.</summary>
    public static string Status(int code, string reason, string message) =>
        $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"{{message.Replace("\"", "\\\"", StringComparison.Ordinal)}}","reason":"{{reason}}","code":{{code}}}""";

    /// <summary>A kubeconfig for this server, its user's token, and <paramref name="ns"/> as the context's namespace.</summary>
    public string WriteKubeconfig(string ns = "shop", string token = Token)
    {
        string path = Path.Join(_dir, $"kubeconfig-{Guid.NewGuid():N}");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: double
              cluster:
                server: {Url.ToString().TrimEnd('/')}
            users:
            - name: alice
              user:
                token: {token}
            contexts:
            - name: double
              context:
                cluster: double
                user: alice
                namespace: {ns}
            current-context: double
            """);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task AnswerAsync(HttpContext context)
    {
        string pathAndQuery = context.Request.Path + context.Request.QueryString;
        string? authorization = context.Request.Headers.Authorization.FirstOrDefault();
        Requests.Enqueue(new ContractRequest(context.Request.Method, pathAndQuery, authorization));
        (int Status, string ContentType, byte[] Body) answer =
            authorization != $"Bearer {Token}" ? (401, "application/json", System.Text.Encoding.UTF8.GetBytes(Status(401, "Unauthorized", "Unauthorized")))
            : _answers.TryGetValue($"{context.Request.Method} {pathAndQuery}", out var set) ? set
            : (404, "application/json", System.Text.Encoding.UTF8.GetBytes(Status(404, "NotFound", "the server could not find the requested resource")));
        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = answer.ContentType;
        await context.Response.Body.WriteAsync(answer.Body);
    }
}
