using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Traceloop.FunctionalTests.Gateway;
using Traceloop.FunctionalTests.Kubernetes;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// The cluster-facing API end to end: a user's request through the (fake) aggregation layer to the
/// real gateway, authorized by SubjectAccessReview, routed over mutual TLS to the real recorder
/// recording real runc containers.
/// </summary>
public sealed class AggregatedApiTests(AggregatedApiScene scene, ITestOutputHelper output) : IClassFixture<AggregatedApiScene>
{
    private const string Prefix = "apis/traceloop.dev/v1alpha1";

    [Fact]
    public async Task Alice_DumpsAShopPod_AndIsRefusedAKubeSystemPod_WithTheMissingPermissionNamed()
    {
        using var cts = new CancellationTokenSource(AggregatedApiScene.Timeout);
        using HttpClient alice = scene.Api.CreateUserClient("alice");

        using HttpResponseMessage dump = await alice.GetAsync($"{Prefix}/namespaces/shop/pods/web/dump?format=text", cts.Token);
        string text = await dump.Content.ReadAsStringAsync(cts.Token);
        Assert.True(dump.StatusCode == HttpStatusCode.OK, $"{dump.StatusCode}: {text}\n{scene.Gateway.Output}");
        Assert.Contains(AggregatedApiScene.Marker(scene.Shop), text, StringComparison.Ordinal);
        Assert.DoesNotContain(AggregatedApiScene.Marker(scene.System), text, StringComparison.Ordinal);

        using HttpResponseMessage refused = await alice.GetAsync($"{Prefix}/namespaces/kube-system/pods/dns/dump?format=text", cts.Token);
        JsonObject status = await StatusOf(refused, HttpStatusCode.Forbidden, cts.Token);
        Assert.Equal("Forbidden", (string?)status["reason"]);
        Assert.Contains("User \"alice\" cannot get resource \"pods/dump\" in API group \"traceloop.dev\" in the namespace \"kube-system\"",
            (string)status["message"]!, StringComparison.Ordinal);

        // The review carried who and what, as the API server's authorizer needs them.
        JsonNode review = scene.Api.Reviews.Last(r => (string?)r["spec"]!["user"] == "alice" && (string?)r["spec"]!["resourceAttributes"]!["namespace"] == "kube-system")["spec"]!;
        Assert.Equal(("traceloop.dev", "v1alpha1", "pods", "dump", "get", "dns"),
            ((string?)review["resourceAttributes"]!["group"], (string?)review["resourceAttributes"]!["version"], (string?)review["resourceAttributes"]!["resource"],
             (string?)review["resourceAttributes"]!["subresource"], (string?)review["resourceAttributes"]!["verb"], (string?)review["resourceAttributes"]!["name"]));
        Assert.Equal(["system:authenticated"], review["groups"]!.AsArray().Select(g => (string?)g));

        // One audit line each, naming the user, the access, the outcome and what was served.
        await Eventually.TrueAsync(() => Task.FromResult(scene.Gateway.AuditLines().Count(l => l.Contains("user=alice", StringComparison.Ordinal)
            && l.Contains("resource=pods/dump", StringComparison.Ordinal)) >= 2), TimeSpan.FromSeconds(5), "the audit lines");
        string served = scene.Gateway.AuditLines().Last(l => l.Contains("user=alice", StringComparison.Ordinal) && l.Contains("namespace=shop name=web", StringComparison.Ordinal));
        Assert.Contains("verb=get resource=pods/dump namespace=shop name=web status=200 result=allowed", served, StringComparison.Ordinal);
        Assert.Matches(@"bytes=([1-9]\d*) ", served);
        Assert.Contains(scene.Gateway.AuditLines(), l => l.Contains("user=alice groups=system:authenticated verb=get resource=pods/dump namespace=kube-system name=dns status=403 result=forbidden",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task Carol_AllowedThroughHerGroup_DumpsAShopPod_AndTheReviewCarriesTheGroup()
    {
        using var cts = new CancellationTokenSource(AggregatedApiScene.Timeout);
        using HttpClient carol = scene.Api.CreateUserClient("carol");

        // No binding names carol: only the group the aggregator forwarded in its own X-Remote-Group header allows this.
        using HttpResponseMessage dump = await carol.GetAsync($"{Prefix}/namespaces/shop/pods/web/dump?format=text", cts.Token);
        string text = await dump.Content.ReadAsStringAsync(cts.Token);
        Assert.True(dump.StatusCode == HttpStatusCode.OK, $"{dump.StatusCode}: {text}\n{scene.Gateway.Output}");
        Assert.Contains(AggregatedApiScene.Marker(scene.Shop), text, StringComparison.Ordinal);
        JsonNode review = scene.Api.Reviews.Last(r => (string?)r["spec"]!["user"] == "carol")["spec"]!;
        Assert.Equal(["shop-oncall"], review["groups"]!.AsArray().Select(g => (string?)g));

        JsonObject refused = await StatusOf(await carol.GetAsync($"{Prefix}/namespaces/kube-system/pods/dns/dump", cts.Token), HttpStatusCode.Forbidden, cts.Token);
        Assert.Contains("User \"carol\" cannot get resource \"pods/dump\"", (string)refused["message"]!, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => Task.FromResult(scene.Gateway.AuditLines().Any(l => l.Contains("user=carol groups=shop-oncall verb=get resource=pods/dump namespace=shop name=web status=200",
            StringComparison.Ordinal))), TimeSpan.FromSeconds(5), "carol's audit line with her group");
    }

    [Fact]
    public async Task Bob_WithNoRole_IsRefusedEverything()
    {
        using var cts = new CancellationTokenSource(AggregatedApiScene.Timeout);
        using HttpClient bob = scene.Api.CreateUserClient("bob");

        JsonObject dump = await StatusOf(await bob.GetAsync($"{Prefix}/namespaces/shop/pods/web/dump", cts.Token), HttpStatusCode.Forbidden, cts.Token);
        Assert.Contains("User \"bob\" cannot get resource \"pods/dump\" in API group \"traceloop.dev\" in the namespace \"shop\"", (string)dump["message"]!, StringComparison.Ordinal);
        JsonObject list = await StatusOf(await bob.GetAsync($"{Prefix}/namespaces/shop/pods", cts.Token), HttpStatusCode.Forbidden, cts.Token);
        Assert.Contains("User \"bob\" cannot list resource \"pods\"", (string)list["message"]!, StringComparison.Ordinal);
        JsonObject snapshot = await StatusOf(await bob.PostAsync($"{Prefix}/namespaces/shop/pods/web/snapshot", null, cts.Token), HttpStatusCode.Forbidden, cts.Token);
        Assert.Contains("cannot create resource \"pods/snapshot\"", (string)snapshot["message"]!, StringComparison.Ordinal);

        // A cluster-wide list answers, with nothing in it and everything counted as hidden.
        using HttpResponseMessage all = await bob.GetAsync($"{Prefix}/pods", cts.Token);
        JsonObject envelope = await JsonOf(all, cts.Token);
        Assert.Empty(envelope["items"]!.AsArray());
        Assert.True((int)envelope["hiddenNamespaces"]! >= 2, envelope.ToJsonString());
    }

    [Fact]
    public async Task Alice_ListsPods_InShop_AndAcrossNamespaces_SeeingOnlyShop()
    {
        using var cts = new CancellationTokenSource(AggregatedApiScene.Timeout);
        using HttpClient alice = scene.Api.CreateUserClient("alice");

        JsonObject shop = await JsonOf(await alice.GetAsync($"{Prefix}/namespaces/shop/pods", cts.Token), cts.Token);
        Assert.Equal(("RecordedContainerList", "traceloop.dev/v1alpha1"), ((string?)shop["kind"], (string?)shop["apiVersion"]));
        JsonNode web = Assert.Single(shop["items"]!.AsArray())!;
        Assert.Equal(("shop", "web", "app"), ((string?)web["namespace"], (string?)web["pod"], (string?)web["container"]));
        Assert.Empty(shop["unreachableNodes"]!.AsArray());

        JsonObject all = await JsonOf(await alice.GetAsync($"{Prefix}/pods", cts.Token), cts.Token);
        Assert.All(all["items"]!.AsArray(), i => Assert.Equal("shop", (string?)i!["namespace"]));
        Assert.True((int)all["hiddenNamespaces"]! >= 1, all.ToJsonString());

        JsonObject one = await JsonOf(await alice.GetAsync($"{Prefix}/namespaces/shop/pods/web", cts.Token), cts.Token);
        Assert.Equal("web", (string?)Assert.Single(one["items"]!.AsArray())!["pod"]);
        await StatusOf(await alice.GetAsync($"{Prefix}/namespaces/shop/pods/nothing-here", cts.Token), HttpStatusCode.NotFound, cts.Token);

        JsonObject discovery = await JsonOf(await alice.GetAsync(Prefix, cts.Token), cts.Token);
        Assert.Equal("APIResourceList", (string?)discovery["kind"]);
        Assert.Equal(["pods", "pods/dump", "pods/snapshot", "crashdumps"], discovery["resources"]!.AsArray().Select(r => (string?)r!["name"]));
    }

    [Fact]
    public async Task CrashDumps_AcrossNamespaces_ShowAliceOnlyShops_AndDeleteNeedsTheAdmin()
    {
        using var cts = new CancellationTokenSource(AggregatedApiScene.Timeout);
        using HttpClient admin = scene.Api.CreateUserClient("admin");
        using HttpClient alice = scene.Api.CreateUserClient("alice");
        foreach (TestPod pod in (TestPod[])[scene.Shop, scene.System])
        {
            using HttpResponseMessage taken = await admin.PostAsync($"{Prefix}/namespaces/{pod.Namespace}/pods/{pod.Name}/snapshot", null, cts.Token);
            Assert.True(taken.IsSuccessStatusCode, $"{taken.StatusCode}: {await taken.Content.ReadAsStringAsync(cts.Token)}");
        }
        await StatusOf(await alice.PostAsync($"{Prefix}/namespaces/shop/pods/web/snapshot", null, cts.Token), HttpStatusCode.Forbidden, cts.Token);

        JsonObject all = await JsonOf(await alice.GetAsync($"{Prefix}/crashdumps", cts.Token), cts.Token);
        Assert.Equal("CrashDumpList", (string?)all["kind"]);
        JsonArray items = all["items"]!.AsArray();
        Assert.NotEmpty(items);
        Assert.All(items, i => Assert.Equal("shop", (string?)i!["container"]!["namespace"]));
        Assert.True((int)all["hiddenNamespaces"]! >= 1, all.ToJsonString());
        JsonObject everything = await JsonOf(await admin.GetAsync($"{Prefix}/crashdumps", cts.Token), cts.Token);
        Assert.Contains(everything["items"]!.AsArray(), i => (string?)i!["container"]!["namespace"] == "kube-system");
        Assert.Equal(0, (int)everything["hiddenNamespaces"]!);

        string id = (string)items[0]!["id"]!;
        using HttpResponseMessage saved = await alice.GetAsync($"{Prefix}/namespaces/shop/crashdumps/{id}?format=text", cts.Token);
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Contains(AggregatedApiScene.Marker(scene.Shop), await saved.Content.ReadAsStringAsync(cts.Token), StringComparison.Ordinal);
        // The dump belongs to shop: asked for under another namespace it does not exist, even for the admin.
        await StatusOf(await admin.GetAsync($"{Prefix}/namespaces/kube-system/crashdumps/{id}", cts.Token), HttpStatusCode.NotFound, cts.Token);

        JsonObject denied = await StatusOf(await alice.DeleteAsync($"{Prefix}/namespaces/shop/crashdumps/{id}", cts.Token), HttpStatusCode.Forbidden, cts.Token);
        Assert.Contains($"User \"alice\" cannot delete resource \"crashdumps\" in API group \"traceloop.dev\" in the namespace \"shop\"", (string)denied["message"]!, StringComparison.Ordinal);
        using HttpResponseMessage deleted = await admin.DeleteAsync($"{Prefix}/namespaces/shop/crashdumps/{id}", cts.Token);
        Assert.True(deleted.IsSuccessStatusCode, $"{deleted.StatusCode}: {await deleted.Content.ReadAsStringAsync(cts.Token)}");
        await StatusOf(await alice.GetAsync($"{Prefix}/namespaces/shop/crashdumps/{id}", cts.Token), HttpStatusCode.NotFound, cts.Token);
        Assert.Contains(scene.Gateway.AuditLines(), l => l.Contains($"user=admin groups=system:authenticated verb=delete resource=crashdumps namespace=shop name={id} status=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAgentThatDoesNotAnswer_IsReportedInTheList_NotFatal()
    {
        using var cts = new CancellationTokenSource(AggregatedApiScene.Timeout);
        using HttpClient alice = scene.Api.CreateUserClient("alice");
        // Another node's agent, at an address where nothing listens.
        var dead = new TestPod("traceloop-node-z", "traceloop")
        {
            Node = "node-z",
            PodIp = "127.0.0.2",
            Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "traceloop" },
            Containers = [new TestContainer("recorder", "traceloop:test") { ContainerId = TestPod.NewContainerId() }],
        };
        scene.Api.AddPod(dead);
        try
        {
            JsonObject shop = await JsonOf(await alice.GetAsync($"{Prefix}/namespaces/shop/pods", cts.Token), cts.Token);

            Assert.Equal("web", (string?)Assert.Single(shop["items"]!.AsArray())!["pod"]);
            JsonNode unreachable = Assert.Single(shop["unreachableNodes"]!.AsArray())!;
            Assert.Equal(("node-z", "traceloop-node-z"), ((string?)unreachable["node"], (string?)unreachable["agent"]));
            Assert.False(string.IsNullOrEmpty((string?)unreachable["reason"]));
        }
        finally
        {
            scene.Api.DeletePod(dead);
        }
    }

    [Fact]
    public async Task ARequestStraightToTheGateway_WithoutTheFrontProxyCertificate_IsUnauthorized_WhateverItsHeaders()
    {
        using var cts = new CancellationTokenSource(AggregatedApiScene.Timeout);
        foreach (X509Certificate2? certificate in (X509Certificate2?[])[null, scene.Cluster.Stranger, scene.Cluster.Gateway])
        {
            SocketsHttpHandler handler = TestCertificates.CreateTrustingHandler(scene.Api.Certificates.Ca);
            if (certificate is not null)
            {
                handler.SslOptions.ClientCertificates = [certificate];
            }
            using var client = new HttpClient(handler) { BaseAddress = scene.Gateway.Url };
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{Prefix}/namespaces/kube-system/pods/dns/dump");
            request.Headers.Add("X-Remote-User", "admin");
            request.Headers.Add("X-Remote-Group", "system:masters");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiServerFixture.UserToken("admin"));
            JsonObject status = await StatusOf(await client.SendAsync(request, cts.Token), HttpStatusCode.Unauthorized, cts.Token);
            output.WriteLine($"{certificate?.Subject ?? "no certificate"}: {status["message"]}");
            Assert.Equal("Unauthorized", (string?)status["reason"]);
        }
        Assert.Contains(scene.Gateway.AuditLines(), l => l.Contains("status=401 result=unauthenticated", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARequestStraightToTheAgent_WithoutTheGatewaysCertificate_IsRefusedAtTls()
    {
        using var cts = new CancellationTokenSource(AggregatedApiScene.Timeout);
        var url = new Uri($"https://127.0.0.1:{scene.AgentPort}/containers");
        foreach (X509Certificate2? certificate in (X509Certificate2?[])[null, scene.Cluster.Stranger, scene.Api.Certificates.FrontProxyClient])
        {
            using var client = new HttpClient(TrustingTheAgent(certificate));
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(url, cts.Token));
            output.WriteLine($"{certificate?.Subject ?? "no certificate"}: {refused.Message} / {refused.InnerException?.Message}");
            Assert.True(refused.InnerException is AuthenticationException or IOException, refused.ToString());
            // Refused by the agent, not by this client's check of the agent's certificate.
            Assert.DoesNotContain("RemoteCertificateValidationCallback", refused.InnerException!.Message, StringComparison.Ordinal);
        }
        // The gateway's own certificate is let in: the refusals above were about the certificate, not the listener.
        using var allowed = new HttpClient(TrustingTheAgent(scene.Cluster.Gateway));
        using HttpResponseMessage ok = await allowed.GetAsync(url, cts.Token);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    /// <summary>As the gateway checks an agent: by the cluster CA, not by address (the certificate names traceloop-agent, not 127.0.0.1).</summary>
    private SocketsHttpHandler TrustingTheAgent(X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler();
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }
        X509Certificate2 ca = scene.Cluster.Ca;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return certificate is X509Certificate2 agent && chain.Build(agent)
                && agent.GetNameInfo(X509NameType.SimpleName, false) == "traceloop-agent";
        };
        return handler;
    }

    private static async Task<JsonObject> StatusOf(HttpResponseMessage response, HttpStatusCode expected, CancellationToken ct)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync(ct);
            Assert.True(response.StatusCode == expected, $"expected {expected}, got {response.StatusCode}: {body}");
            JsonObject status = JsonNode.Parse(body)!.AsObject();
            Assert.Equal(("Status", "v1", "Failure", (int)expected), ((string?)status["kind"], (string?)status["apiVersion"], (string?)status["status"], (int)status["code"]!));
            return status;
        }
    }

    private static async Task<JsonObject> JsonOf(HttpResponseMessage response, CancellationToken ct)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync(ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {body}");
            return JsonNode.Parse(body)!.AsObject();
        }
    }
}
