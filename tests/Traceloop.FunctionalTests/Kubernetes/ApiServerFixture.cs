// A fake kube-apiserver for functional tests: Kestrel on 127.0.0.1 (ephemeral port), HTTPS
// with a CA made at run time, bearer-token authentication, and the pod list and watch
// protocol as client-go and KubernetesClient speak it.
//
// What it implements:
//   GET  /api/v1/pods, /api/v1/namespaces/{ns}/pods          list (PodList) or, with watch=true,
//        a watch: newline-delimited JSON events (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR),
//        flushed one by one (chunked over HTTP/1.1, DATA frames over HTTP/2)
//        query: fieldSelector (pod fields the real server indexes; =, ==, !=), labelSelector
//        (=, ==, !=, key, !key), resourceVersion, watch, allowWatchBookmarks, timeoutSeconds
//   GET  /api/v1/namespaces/{ns}/pods/{name}                  one pod
//   GET  /api/v1/namespaces/{ns}/pods/{name}/exec             pods/exec over WebSocket (ApiServerFixture.Exec.cs)
//   POST /api/v1/namespaces/{ns}/events                       an Event, stored for assertions
//   GET  /api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication
//        the front-proxy trust (ApiServerFixture.Aggregation.cs)
//   POST /apis/authorization.k8s.io/v1/subjectaccessreviews  answered from a small RBAC table
//   GET, PUT /api/v1/namespaces/{ns}/secrets/{name}, POST /api/v1/namespaces/{ns}/secrets
//        Secrets kept in memory, a stale resourceVersion refused 409 (ApiServerFixture.Secrets.cs)
//   GET, PUT /apis/apiregistration.k8s.io/v1/apiservices/{name}
//        APIServices a test added, kept in memory, a stale resourceVersion refused 409; the
//        aggregation layer may trust the extension server by one's caBundle (ApiServerFixture.ApiServices.cs)
//   *    /apis/traceloop.dev/...                              the aggregation layer: a user's
//        request forwarded to the registered extension server with the front-proxy client
//        certificate and X-Remote-User/X-Remote-Group
//   401 without the bearer token or with a wrong one; 403 for paths made forbidden; 400 for a
//   selector it cannot evaluate; 404 elsewhere; all with a Status body as the real server sends.
//   A watch from a resource version older than the history (after Compact) is refused with
//   410 Gone, as an HTTP status or (GoneAsErrorEvent) as a 200 with one ERROR event, which is
//   what the real watch cache does; Compact(expireOpenWatches: true) also ends open watches
//   with an ERROR 410 event. A selector-filtered watch reports an object entering or leaving
//   the selection as ADDED or DELETED, as the real watch cache does.
//
// What it does not implement (limits):
//   - Pagination (limit/continue), resourceVersionMatch, sendInitialEvents (watch-list) and
//     the "too large resource version" wait: a list always answers with the current state.
//   - Set-based label selectors (in, notin), and field selectors on anything but pods.
//   - Any resource but pods (read), events (create), that one ConfigMap (read),
//     SubjectAccessReviews (create), Secrets (get, create, replace) and APIServices (get,
//     replace; created by a test's hook); no other PUT, and no
//     PATCH/DELETE through HTTP:
//     tests change pods with the hooks below. No graceful deletion (deletionTimestamp first):
//     a delete removes the pod at once with one DELETED event.
//   - Client certificates and impersonation: the service-account token for the core paths, and
//     four user tokens (alice, bob, carol, admin) for the aggregated group only; forbidden core
//     paths by hook. RBAC only as the fixed table of SubjectAccessReview answers (roles of the
//     traceloop.dev group bound to users and to one group; no other API group, no non-resource URLs).
//   - The aggregator's discovery merging (/apis lists no group), APIService availability
//     checks.
//   - Protobuf and Table output, server-side apply, admission, API discovery (/api, /apis).
//   - Periodic bookmarks: a BOOKMARK is sent only when a test calls SendBookmark().
//   - Without timeoutSeconds a watch lasts 30 minutes (the real server picks 30-60).
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Traceloop.FunctionalTests.Kubernetes;

public sealed partial class ApiServerFixture : IAsyncDisposable
{
    private readonly TestCertificates _certificates = TestCertificates.Create();
    private readonly List<string> _tempDirs = [];
    private readonly Lock _gate = new();
    private readonly HashSet<string> _forbidden = new(StringComparer.Ordinal);
    private WebApplication? _app;
    private volatile string _token = "test-token-" + Guid.NewGuid().ToString("N");

    private ApiServerFixture()
    {
    }

    public int Port { get; private set; }

    public Uri Url => new($"https://127.0.0.1:{Port}/");

    /// <summary>The bearer token the server accepts; settable, so a test can fix a client's wrong token.</summary>
    public string Token
    {
        get => _token;
        set => _token = value;
    }

    public TestCertificates Certificates => _certificates;

    public PodStore Pods { get; } = new();

    public RequestLog Requests { get; } = new();

    /// <summary>Answer a watch from a compacted resource version with 200 and an ERROR event rather than an HTTP 410.</summary>
    public bool GoneAsErrorEvent { get; set; }

    public bool IsRunning => _app is not null;

    public static async Task<ApiServerFixture> StartAsync(CancellationToken ct)
    {
        var fixture = new ApiServerFixture();
        await fixture.ListenAsync(0, ct);
        return fixture;
    }

    // Hooks for tests.

    public JsonObject AddPod(TestPod pod) => Pods.Add(pod.ToJson());

    public JsonObject UpdatePod(TestPod pod) => Pods.Update(pod.ToJson());

    public JsonObject DeletePod(TestPod pod) => Pods.Delete(pod.Namespace, pod.Name);

    public void Compact(bool expireOpenWatches = false) => Pods.Compact(expireOpenWatches);

    public void SendBookmark() => Pods.Bookmark();

    /// <summary>Ends every open watch abruptly; returns how many there were.</summary>
    public int DropWatches() => Pods.AbortWatches();

    /// <summary>Answer 403 Forbidden for this path (as RBAC would), until <see cref="Allow"/>.</summary>
    public void Forbid(string path)
    {
        lock (_gate)
        {
            _forbidden.Add(path);
        }
    }

    public void Allow(string path)
    {
        lock (_gate)
        {
            _forbidden.Remove(path);
        }
    }

    /// <summary>Stops listening: open watches are cut and new connections refused, until <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        WebApplication? app = _app;
        _app = null;
        if (app is null)
        {
            return;
        }
        Pods.AbortWatches();
        await app.StopAsync(ct);
        await app.DisposeAsync();
    }

    /// <summary>Listens again on the same port, with the same state (pods, history, token).</summary>
    public Task RestartAsync(CancellationToken ct) => ListenAsync(Port, ct);

    /// <summary>A kubeconfig file for out-of-cluster use: this server, its CA, and a token (this server's, unless given).</summary>
    public string WriteKubeconfig(string? token = null)
    {
        string dir = TempDir("kubeconfig");
        string path = Path.Join(dir, "config");
        string ca = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(_certificates.CaPem));
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: https://127.0.0.1:{Port}
                certificate-authority-data: {ca}
            users:
            - name: traceloop
              user:
                token: {token ?? Token}
            contexts:
            - name: fake
              context:
                cluster: fake
                user: traceloop
                namespace: traceloop
            current-context: fake
            """);
        return path;
    }

    /// <summary>A service-account directory as the kubelet mounts it (token, ca.crt, namespace).</summary>
    public string CreateServiceAccountDir(string? token = null)
    {
        string dir = TempDir("serviceaccount");
        File.WriteAllText(Path.Join(dir, "token"), token ?? Token);
        File.WriteAllText(Path.Join(dir, "ca.crt"), _certificates.CaPem);
        File.WriteAllText(Path.Join(dir, "namespace"), "traceloop");
        return dir;
    }

    /// <summary>The variables the kubelet sets in every container for the kubernetes service, pointing here.</summary>
    public Dictionary<string, string> InClusterVariables() => new()
    {
        ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1",
        ["KUBERNETES_SERVICE_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>An HttpClient that trusts the CA and sends the token, for tests of the fixture itself.</summary>
    public HttpClient CreateClient(string? token = null, Version? version = null)
    {
        var client = new HttpClient(_certificates.CreateTrustingHandler()) { BaseAddress = Url };
        if (version is not null)
        {
            client.DefaultRequestVersion = version;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
        if (token is not "")
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token ?? Token);
        }
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await StopAsync(cts.Token);
        _aggregated?.Dispose();
        _certificates.Dispose();
        foreach (string dir in _tempDirs)
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private string TempDir(string what)
    {
        string dir = Directory.CreateTempSubdirectory($"traceloop-{what}-").FullName;
        _tempDirs.Add(dir);
        return dir;
    }

    private async Task ListenAsync(int port, CancellationToken ct)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(_certificates.Server));
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        WebApplication app = builder.Build();
        app.UseWebSockets();
        app.Use(AuthenticateAsync);
        MapExec(app);
        MapAggregation(app);
        MapSecrets(app);
        MapApiServices(app);
        app.MapGet("/api/v1/pods", context => PodsAsync(context, null));
        app.MapGet("/api/v1/namespaces/{ns}/pods", context => PodsAsync(context, (string)context.Request.RouteValues["ns"]!));
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}", GetPodAsync);
        app.MapPost("/api/v1/namespaces/{ns}/events", CreateEventAsync);
        app.MapFallback(context => WriteAsync(context, 404,
            ApiStatus.Failure(404, "NotFound", "the server could not find the requested resource")));
        await app.StartAsync(ct);
        Port = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a).Port).First();
        _app = app;
    }

    private async Task AuthenticateAsync(HttpContext context, RequestDelegate next)
    {
        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        bool watch = query.TryGetValue("watch", out string? w) && w is "true" or "1";
        string path = context.Request.Path.Value ?? "";
        RequestKind kind = context.Request.Method switch
        {
            "GET" when path.EndsWith("/pods", StringComparison.Ordinal) => watch ? RequestKind.Watch : RequestKind.List,
            "GET" => RequestKind.Get,
            "POST" => RequestKind.Create,
            _ => RequestKind.Other,
        };
        var request = new ApiRequest(kind, context.Request.Method, path, query, DateTimeOffset.UtcNow);
        Requests.Add(request);
        context.Items[typeof(ApiRequest)] = request;
        if (IsAggregated(path))
        {
            await ProxyAsync(context);
            return;
        }
        string? authorization = context.Request.Headers.Authorization;
        if (authorization != "Bearer " + Token)
        {
            await WriteAsync(context, 401, ApiStatus.Failure(401, "Unauthorized", "Unauthorized"));
            return;
        }
        bool forbidden;
        lock (_gate)
        {
            forbidden = _forbidden.Contains(path);
        }
        if (forbidden)
        {
            // RBAC's wording (plugin/pkg/auth/authorizer/rbac), so a client's hint can be checked against it.
            string verb = kind switch { RequestKind.List => "list", RequestKind.Watch => "watch", RequestKind.Create => "create", _ => "get" };
            string resource = path.Contains("/events", StringComparison.Ordinal) ? "events"
                : path.EndsWith("/exec", StringComparison.Ordinal) ? "pods/exec" : "pods";
            verb = resource == "pods/exec" ? "create" : verb;
            string scope = context.Request.RouteValues.TryGetValue("ns", out object? ns) || path.Contains("/namespaces/", StringComparison.Ordinal)
                ? $"in the namespace \"{path.Split('/')[4]}\""
                : "at the cluster scope";
            await WriteAsync(context, 403, ApiStatus.Failure(403, "Forbidden",
                $"{resource} is forbidden: User \"system:serviceaccount:traceloop:traceloop\" cannot {verb} resource \"{resource}\" in API group \"\" {scope}",
                new JsonObject { ["kind"] = resource }));
            return;
        }
        await next(context);
    }

    private async Task PodsAsync(HttpContext context, string? ns)
    {
        FieldSelector fields;
        LabelSelector labels;
        try
        {
            fields = FieldSelector.Parse(context.Request.Query["fieldSelector"]);
            labels = LabelSelector.Parse(context.Request.Query["labelSelector"]);
        }
        catch (SelectorException e)
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest", e.Message));
            return;
        }
        string? rv = context.Request.Query["resourceVersion"];
        if (!string.IsNullOrEmpty(rv) && !long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest", $"invalid resource version \"{rv}\""));
            return;
        }
        string watch = context.Request.Query["watch"].ToString();
        if (watch is "true" or "1")
        {
            await WatchAsync(context, ns, fields, labels, rv);
            return;
        }
        (List<JsonObject> items, long version) = Pods.List(ns, fields, labels);
        var array = new JsonArray();
        foreach (JsonObject item in items)
        {
            // List items carry no kind or apiVersion: the list's own say what they are.
            item.Remove("kind");
            item.Remove("apiVersion");
            array.Add(item);
        }
        await WriteAsync(context, 200, new JsonObject
        {
            ["kind"] = "PodList",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture) },
            ["items"] = array,
        });
    }

    private async Task WatchAsync(HttpContext context, string? ns, FieldSelector fields, LabelSelector labels, string? rv)
    {
        bool bookmarks = context.Request.Query["allowWatchBookmarks"] == "true";
        TimeSpan timeout = int.TryParse(context.Request.Query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromMinutes(30);
        WatchSubscription watch;
        try
        {
            watch = Pods.Watch(ns, fields, labels, bookmarks, rv);
        }
        catch (ResourceExpiredException e)
        {
            JsonObject gone = ApiStatus.Gone(e.Requested, e.Oldest);
            if (!GoneAsErrorEvent)
            {
                await WriteAsync(context, 410, gone);
                return;
            }
            SetStatus(context, 200);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(new JsonObject { ["type"] = "ERROR", ["object"] = gone }.ToJsonString() + "\n");
            return;
        }
        watch.Attach(context);
        SetStatus(context, 200);
        context.Response.ContentType = "application/json";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(timeout);
        try
        {
            // Headers now: a client waits for them before reading events.
            await context.Response.StartAsync(deadline.Token);
            await context.Response.Body.FlushAsync(deadline.Token);
            await foreach (string line in watch.Lines.ReadAllAsync(deadline.Token))
            {
                await context.Response.WriteAsync(line + "\n", deadline.Token);
                await context.Response.Body.FlushAsync(deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            // timeoutSeconds ran out: the response ends cleanly, as the real server's does.
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Aborted by a test hook or by the client.
        }
        finally
        {
            Pods.Unwatch(watch);
        }
    }

    private async Task GetPodAsync(HttpContext context)
    {
        string ns = (string)context.Request.RouteValues["ns"]!;
        string name = (string)context.Request.RouteValues["name"]!;
        if (Pods.Get(ns, name) is { } pod)
        {
            await WriteAsync(context, 200, pod);
            return;
        }
        await WriteAsync(context, 404, ApiStatus.Failure(404, "NotFound", $"pods \"{name}\" not found",
            new JsonObject { ["name"] = name, ["kind"] = "pods" }));
    }

    private async Task CreateEventAsync(HttpContext context)
    {
        string ns = (string)context.Request.RouteValues["ns"]!;
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject;
        }
        catch (JsonException e)
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest", $"the request body is not JSON: {e.Message}"));
            return;
        }
        if (body is null)
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest", "the request body is not an object"));
            return;
        }
        if (body["metadata"]?["namespace"] is JsonValue given && given.GetValue<string>() != ns)
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the request"));
            return;
        }
        await WriteAsync(context, 201, Pods.CreateEvent(ns, body));
    }

    private static void SetStatus(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        if (context.Items[typeof(ApiRequest)] is ApiRequest request)
        {
            request.Status = status;
        }
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonObject body)
    {
        SetStatus(context, status);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
