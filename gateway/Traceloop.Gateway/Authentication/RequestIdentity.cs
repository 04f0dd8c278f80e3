namespace Traceloop.Gateway.Authentication;

/// <summary>Who the kube-apiserver says made the request: the user it authenticated, by whatever method the cluster uses.</summary>
internal sealed record RequestIdentity(string User, IReadOnlyList<string> Groups, IReadOnlyDictionary<string, IReadOnlyList<string>> Extra);
