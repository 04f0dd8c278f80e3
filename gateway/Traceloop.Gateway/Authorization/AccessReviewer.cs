using Traceloop.Gateway.Authentication;
using Traceloop.Gateway.Kubernetes;

namespace Traceloop.Gateway.Authorization;

/// <summary>The decision on one access.</summary>
internal sealed record AccessDecision(bool Allowed, string? Reason);

/// <summary>Asks the API server whether an identity may do an access: one SubjectAccessReview per question, nothing cached.</summary>
internal sealed class AccessReviewer(ApiServerClient apiServer)
{
    public async Task<AccessDecision> ReviewAsync(RequestIdentity identity, ResourceAccess access, CancellationToken ct)
    {
        (bool allowed, string? reason) = AccessReview.Read(await apiServer.ReviewAsync(AccessReview.Build(identity, access), ct).ConfigureAwait(false));
        return new AccessDecision(allowed, reason);
    }
}
