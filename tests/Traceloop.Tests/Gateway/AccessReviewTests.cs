using System.Text.Json.Nodes;
using Traceloop.Gateway.Authentication;
using Traceloop.Gateway.Authorization;

namespace Traceloop.Tests.Gateway;

public sealed class AccessReviewTests
{
    private static readonly RequestIdentity Alice = new("alice", ["devs", "system:authenticated"],
        new Dictionary<string, IReadOnlyList<string>> { ["scopes"] = ["read"] });

    [Fact]
    public void ADump_IsReviewedAsGetOnThePodsDumpSubresource_InItsNamespace_WithTheWholeIdentity()
    {
        JsonObject review = AccessReview.Build(Alice, ResourceAccess.DumpPod("shop", "web"));

        Assert.Equal(("authorization.k8s.io/v1", "SubjectAccessReview"), ((string?)review["apiVersion"], (string?)review["kind"]));
        JsonNode spec = review["spec"]!;
        Assert.Equal("alice", (string?)spec["user"]);
        Assert.Equal(["devs", "system:authenticated"], spec["groups"]!.AsArray().Select(g => (string?)g));
        Assert.Equal(["read"], spec["extra"]!["scopes"]!.AsArray().Select(g => (string?)g));
        JsonNode a = spec["resourceAttributes"]!;
        Assert.Equal(("traceloop.dev", "v1alpha1", "pods", "dump", "get", "shop", "web"),
            ((string?)a["group"], (string?)a["version"], (string?)a["resource"], (string?)a["subresource"], (string?)a["verb"], (string?)a["namespace"], (string?)a["name"]));
    }

    [Fact]
    public void EachRoute_MapsToTheVerbAndResourceTheRolesGrant()
    {
        Assert.Equal(("list", "pods"), Of(ResourceAccess.ListPods("shop")));
        Assert.Equal(("get", "pods"), Of(ResourceAccess.GetPod("shop", "web")));
        Assert.Equal(("get", "pods/dump"), Of(ResourceAccess.DumpPod("shop", "web")));
        Assert.Equal(("create", "pods/snapshot"), Of(ResourceAccess.SnapshotPod("shop", "web")));
        Assert.Equal(("list", "crashdumps"), Of(ResourceAccess.ListCrashDumps("shop")));
        Assert.Equal(("get", "crashdumps"), Of(ResourceAccess.GetCrashDump("shop", "id")));
        Assert.Equal(("delete", "crashdumps"), Of(ResourceAccess.DeleteCrashDump("shop", "id")));

        static (string, string) Of(ResourceAccess access) => (access.Verb, access.FullResource);
    }

    [Fact]
    public void AClusterWideList_HasNoNamespace_AndNoName()
    {
        JsonNode a = AccessReview.Build(Alice, ResourceAccess.ListCrashDumps(""))["spec"]!["resourceAttributes"]!;

        Assert.Null(a["namespace"]);
        Assert.Null(a["name"]);
        Assert.Null(a["subresource"]);
        Assert.Equal("list", (string?)a["verb"]);
    }

    [Fact]
    public void TheAnswer_IsAllowedOnlyWhenSaidSo_AndNotDenied()
    {
        Assert.Equal((true, "RBAC"), AccessReview.Read(Answer(new JsonObject { ["allowed"] = true, ["reason"] = "RBAC" })));
        Assert.Equal((false, null), AccessReview.Read(Answer(new JsonObject { ["allowed"] = false })));
        Assert.Equal((false, null), AccessReview.Read(Answer(new JsonObject { ["allowed"] = true, ["denied"] = true })));
        Assert.Equal((false, "webhook failed"), AccessReview.Read(Answer(new JsonObject { ["evaluationError"] = "webhook failed" })));
        Assert.False(AccessReview.Read(new JsonObject()).Allowed);

        static JsonObject Answer(JsonObject status) => new() { ["status"] = status };
    }

    [Fact]
    public void TheRefusal_NamesTheMissingPermission_InTheApiServersWords()
    {
        Assert.Equal("pods.traceloop.dev \"dns\" is forbidden: User \"alice\" cannot get resource \"pods/dump\" in API group \"traceloop.dev\" in the namespace \"kube-system\"",
            AccessReview.ForbiddenMessage(Alice, ResourceAccess.DumpPod("kube-system", "dns"), null));
        Assert.Equal("crashdumps.traceloop.dev is forbidden: User \"alice\" cannot list resource \"crashdumps\" in API group \"traceloop.dev\" at the cluster scope: no binding",
            AccessReview.ForbiddenMessage(Alice, ResourceAccess.ListCrashDumps(""), "no binding"));
    }
}
