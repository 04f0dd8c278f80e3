namespace Traceloop.Gateway.Authorization;

/// <summary>
/// What a request asks to do, in RBAC's terms within traceloop.dev/v1alpha1: a verb on a
/// resource (and subresource) in a namespace, optionally on one named object. An empty namespace
/// means every namespace at once (a cluster-wide list).
/// </summary>
internal sealed record ResourceAccess(string Verb, string Resource, string? Subresource, string Namespace, string? Name = null)
{
    public const string Group = "traceloop.dev";
    public const string Version = "v1alpha1";

    /// <summary>"pods/dump", as RBAC rules and messages write a subresource.</summary>
    public string FullResource => Subresource is null ? Resource : Resource + "/" + Subresource;

    public static ResourceAccess ListPods(string ns) => new("list", "pods", null, ns);

    public static ResourceAccess GetPod(string ns, string pod) => new("get", "pods", null, ns, pod);

    public static ResourceAccess DumpPod(string ns, string pod) => new("get", "pods", "dump", ns, pod);

    public static ResourceAccess SnapshotPod(string ns, string pod) => new("create", "pods", "snapshot", ns, pod);

    public static ResourceAccess ListCrashDumps(string ns) => new("list", "crashdumps", null, ns);

    public static ResourceAccess GetCrashDump(string ns, string id) => new("get", "crashdumps", null, ns, id);

    public static ResourceAccess DeleteCrashDump(string ns, string id) => new("delete", "crashdumps", null, ns, id);
}
