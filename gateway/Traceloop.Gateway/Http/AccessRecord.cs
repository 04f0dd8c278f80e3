using Microsoft.AspNetCore.Http;
using Traceloop.Gateway.Authentication;
using Traceloop.Gateway.Authorization;

namespace Traceloop.Gateway.Http;

/// <summary>What the audit line says about one request, filled in as it is authenticated, authorized and answered.</summary>
internal sealed class AccessRecord
{
    public RequestIdentity? Identity { get; set; }

    public ResourceAccess? Access { get; set; }

    /// <summary>allowed, forbidden, unauthenticated, not-found, unavailable, error.</summary>
    public string Result { get; set; } = "allowed";

    public static AccessRecord Of(HttpContext context) =>
        context.Items[typeof(AccessRecord)] as AccessRecord ?? throw new InvalidOperationException("the request passed no authentication");

    public static RequestIdentity IdentityOf(HttpContext context) =>
        Of(context).Identity ?? throw new InvalidOperationException("the request is not authenticated");
}
