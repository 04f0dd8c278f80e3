using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Traceloop.Cluster;

namespace Traceloop.Gateway.Authentication;

/// <summary>
/// The kube-apiserver's requestheader authentication, from the extension server's side: the
/// identity headers count only on a connection whose client certificate chains to the front-proxy
/// CA (for client use) and, when the cluster names them, carries an allowed CN. Anything else is
/// anonymous, and anonymous requests are refused, whatever headers they carry.
/// </summary>
internal static class FrontProxyAuthenticator
{
    /// <summary>The identity, or null with the reason it was refused.</summary>
    public static RequestIdentity? Authenticate(FrontProxyTrust trust, X509Certificate2? certificate, IHeaderDictionary headers, out string? refusal,
        DateTimeOffset? at = null)
    {
        refusal = null;
        if (certificate is null)
        {
            refusal = "no client certificate: only the kube-apiserver's aggregation layer may call this server";
            return null;
        }
        if (trust.Authorities.Count == 0)
        {
            refusal = $"the cluster publishes no requestheader-client-ca-file in {FrontProxyTrust.ConfigMapNamespace}/{FrontProxyTrust.ConfigMapName} (yet)";
            return null;
        }
        if (!PeerCertificate.ChainsTo(certificate, trust.Authorities, PeerCertificate.ClientAuth, at))
        {
            refusal = "the client certificate is not signed by the cluster's front-proxy CA";
            return null;
        }
        string cn = PeerCertificate.CommonName(certificate);
        if (trust.AllowedNames.Count > 0 && !trust.AllowedNames.Contains(cn, StringComparer.Ordinal))
        {
            refusal = $"the client certificate's CN '{cn}' is not one of requestheader-allowed-names";
            return null;
        }
        string? user = trust.UsernameHeaders.Select(h => headers[h].FirstOrDefault(v => !string.IsNullOrEmpty(v))).FirstOrDefault(v => v is not null);
        if (user is null)
        {
            refusal = "the front proxy sent no user";
            return null;
        }
        var groups = new List<string>();
        foreach (string header in trust.GroupHeaders)
        {
            foreach (string? value in headers[header])
            {
                if (!string.IsNullOrEmpty(value))
                {
                    groups.Add(value);
                }
            }
        }
        return new RequestIdentity(user, groups, Extra(trust, headers));
    }

    /// <summary>
    /// X-Remote-Extra-Scopes: a → extra["scopes"] = [a]. The key is lower-cased and percent-decoded,
    /// as the kube-apiserver encodes keys that a header name cannot carry.
    /// </summary>
    private static Dictionary<string, IReadOnlyList<string>> Extra(FrontProxyTrust trust, IHeaderDictionary headers)
    {
        var extra = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string prefix in trust.ExtraHeaderPrefixes)
        {
            foreach ((string name, Microsoft.Extensions.Primitives.StringValues values) in headers)
            {
                if (name.Length <= prefix.Length || !name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                string key = Uri.UnescapeDataString(name[prefix.Length..].ToLowerInvariant());
                if (!extra.TryGetValue(key, out List<string>? list))
                {
                    extra[key] = list = [];
                }
                list.AddRange(values.Where(v => v is not null)!);
            }
        }
        return extra.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value, StringComparer.Ordinal);
    }
}
