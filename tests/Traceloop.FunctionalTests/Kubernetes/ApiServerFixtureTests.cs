using System.Net;
using System.Text.Json.Nodes;

namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>The fake API server answers as the real one does, so the watcher's tests mean something.</summary>
public sealed class ApiServerFixtureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task WithoutTheToken_OrWithAWrongOne_TheAnswerIs401WithAStatus()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        using HttpClient anonymous = server.CreateClient(token: "");
        using HttpClient wrong = server.CreateClient(token: "not-the-token");
        using HttpClient right = server.CreateClient();

        foreach (HttpClient client in new[] { anonymous, wrong })
        {
            using HttpResponseMessage refused = await client.GetAsync("api/v1/pods", cts.Token);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            JsonObject status = await ReadObjectAsync(refused, cts.Token);
            Assert.Equal("Status", (string?)status["kind"]);
            Assert.Equal(401, (int?)status["code"]);
            Assert.Equal("Unauthorized", (string?)status["reason"]);
        }
        using HttpResponseMessage ok = await right.GetAsync("api/v1/pods", cts.Token);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task AList_IsAPodListFilteredBySelectors_AtTheCurrentResourceVersion()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        server.AddPod(TestPod.Running("a", "node-1"));
        server.AddPod(TestPod.Running("b", "node-2"));
        server.AddPod(TestPod.Running("c", "node-1", ns: "other") with { Labels = new Dictionary<string, string> { ["tier"] = "db" } });
        using HttpClient client = server.CreateClient();

        JsonObject all = await GetObjectAsync(client, "api/v1/pods", cts.Token);
        JsonObject node1 = await GetObjectAsync(client, "api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1", cts.Token);
        JsonObject db = await GetObjectAsync(client, "api/v1/pods?labelSelector=tier%3Ddb", cts.Token);
        JsonObject inOther = await GetObjectAsync(client, "api/v1/namespaces/other/pods", cts.Token);
        JsonObject notNode1 = await GetObjectAsync(client, "api/v1/pods?fieldSelector=spec.nodeName!%3Dnode-1", cts.Token);

        Assert.Equal("PodList", (string?)all["kind"]);
        Assert.Equal("v1", (string?)all["apiVersion"]);
        Assert.Equal(server.Pods.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)all["metadata"]!["resourceVersion"]);
        Assert.Equal(["a", "b", "c"], Names(all));
        Assert.Equal(["a", "c"], Names(node1));
        Assert.Equal(["c"], Names(db));
        Assert.Equal(["c"], Names(inOther));
        Assert.Equal(["b"], Names(notNode1));
        JsonObject item = all["items"]![0]!.AsObject();
        Assert.Null(item["kind"]);
        Assert.NotNull(item["metadata"]!["uid"]);
        Assert.NotNull(item["metadata"]!["resourceVersion"]);
        Assert.Equal(5, server.Requests.Count(RequestKind.List));

        using HttpResponseMessage bad = await client.GetAsync("api/v1/pods?fieldSelector=spec.nodeFoo%3Dx", cts.Token);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("field label not supported: spec.nodeFoo", (string?)(await ReadObjectAsync(bad, cts.Token))["message"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task AWatch_StreamsOneJsonEventPerLine_AsChangesHappen(string httpVersion)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        TestPod mine = TestPod.Running("mine", "node-1");
        server.AddPod(mine);
        server.AddPod(TestPod.Running("theirs", "node-2"));
        string rv = server.Pods.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using HttpClient client = server.CreateClient(version: Version.Parse(httpVersion));

        using HttpResponseMessage response = await client.GetAsync(
            $"api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1&watch=true&allowWatchBookmarks=true&resourceVersion={rv}", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Version.Parse(httpVersion), response.Version);
        if (httpVersion == "1.1")
        {
            Assert.True(response.Headers.TransferEncodingChunked);
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));

        server.Pods.Modify("default", "mine", p => p["metadata"]!["labels"]!["v"] = "2");
        server.Pods.Modify("default", "theirs", p => p["metadata"]!["labels"]!["v"] = "2");
        server.SendBookmark();
        server.DeletePod(mine);

        JsonObject modified = await ReadEventAsync(reader, cts.Token);
        JsonObject bookmark = await ReadEventAsync(reader, cts.Token);
        JsonObject deleted = await ReadEventAsync(reader, cts.Token);
        Assert.Equal("MODIFIED", (string?)modified["type"]);
        Assert.Equal("Pod", (string?)modified["object"]!["kind"]);
        Assert.Equal("2", (string?)modified["object"]!["metadata"]!["labels"]!["v"]);
        Assert.Equal("BOOKMARK", (string?)bookmark["type"]);
        Assert.Equal((long.Parse(rv, System.Globalization.CultureInfo.InvariantCulture) + 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
            (string?)bookmark["object"]!["metadata"]!["resourceVersion"]);
        Assert.Equal("DELETED", (string?)deleted["type"]);
        Assert.Equal(mine.Uid, (string?)deleted["object"]!["metadata"]!["uid"]);
        Assert.Equal(1, server.Requests.Count(RequestKind.Watch));
    }

    [Fact]
    public async Task AWatchFromACompactedVersion_IsGone_AsAStatusOrAsAnErrorEvent()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        string old = server.Pods.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        server.AddPod(TestPod.Running("a", "node-1"));
        server.Compact();
        using HttpClient client = server.CreateClient();

        using HttpResponseMessage gone = await client.GetAsync($"api/v1/pods?watch=true&resourceVersion={old}", cts.Token);
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        JsonObject status = await ReadObjectAsync(gone, cts.Token);
        Assert.Equal("Expired", (string?)status["reason"]);
        Assert.Equal(410, (int?)status["code"]);

        server.GoneAsErrorEvent = true;
        using HttpResponseMessage error = await client.GetAsync($"api/v1/pods?watch=true&resourceVersion={old}", cts.Token);
        Assert.Equal(HttpStatusCode.OK, error.StatusCode);
        string[] lines = (await error.Content.ReadAsStringAsync(cts.Token)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        JsonObject e = JsonNode.Parse(Assert.Single(lines))!.AsObject();
        Assert.Equal("ERROR", (string?)e["type"]);
        Assert.Equal(410, (int?)e["object"]!["code"]);
    }

    [Fact]
    public async Task TimeoutSeconds_EndsTheWatchCleanly()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        using HttpClient client = server.CreateClient();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        string body = await client.GetStringAsync("api/v1/pods?watch=true&resourceVersion=0&timeoutSeconds=1", cts.Token);

        Assert.Equal("", body);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ForbiddenPaths_Answer403_InRbacWords()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        server.Forbid("/api/v1/pods");
        using HttpClient client = server.CreateClient();

        using HttpResponseMessage forbidden = await client.GetAsync("api/v1/pods?watch=true", cts.Token);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("pods is forbidden: User \"system:serviceaccount:traceloop:traceloop\" cannot watch resource \"pods\" in API group \"\" at the cluster scope",
            (string?)(await ReadObjectAsync(forbidden, cts.Token))["message"]);

        server.Allow("/api/v1/pods");
        using HttpResponseMessage allowed = await client.GetAsync("api/v1/pods", cts.Token);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task CreatedEvents_AreStored()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        using HttpClient client = server.CreateClient();
        var body = new JsonObject
        {
            ["metadata"] = new JsonObject { ["generateName"] = "web-0." },
            ["involvedObject"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = "default", ["name"] = "web-0" },
            ["reason"] = "TraceloopCrashDump",
            ["message"] = "container app exited with code 1",
            ["type"] = "Warning",
        };

        using HttpResponseMessage created = await client.PostAsync("api/v1/namespaces/default/events",
            new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), cts.Token);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        JsonObject stored = Assert.Single(server.Pods.Events);
        Assert.Equal("TraceloopCrashDump", (string?)stored["reason"]);
        Assert.Equal("default", (string?)stored["metadata"]!["namespace"]);
        Assert.StartsWith("web-0.", (string?)stored["metadata"]!["name"], StringComparison.Ordinal);
        Assert.Equal((string?)stored["metadata"]!["uid"], (string?)(await ReadObjectAsync(created, cts.Token))["metadata"]!["uid"]);
    }

    [Fact]
    public async Task AStoppedServer_RefusesConnections_AndComesBackOnTheSamePortWithItsState()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        server.AddPod(TestPod.Running("a", "node-1"));
        int port = server.Port;
        using HttpClient client = server.CreateClient();
        Assert.Single(Names(await GetObjectAsync(client, "api/v1/pods", cts.Token)));

        await server.StopAsync(cts.Token);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("api/v1/pods", cts.Token));
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, (refused.InnerException as System.Net.Sockets.SocketException)?.SocketErrorCode);

        await server.RestartAsync(cts.Token);
        Assert.Equal(port, server.Port);
        Assert.Equal(["a"], Names(await GetObjectAsync(client, "api/v1/pods", cts.Token)));
    }

    private static string[] Names(JsonObject list) =>
        [.. list["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!)];

    private static async Task<JsonObject> GetObjectAsync(HttpClient client, string uri, CancellationToken ct)
    {
        using HttpResponseMessage response = await client.GetAsync(uri, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadObjectAsync(response, ct);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response, CancellationToken ct) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!.AsObject();

    private static async Task<JsonObject> ReadEventAsync(StreamReader reader, CancellationToken ct) =>
        JsonNode.Parse(await reader.ReadLineAsync(ct) ?? throw new EndOfStreamException("the watch ended"))!.AsObject();
}
