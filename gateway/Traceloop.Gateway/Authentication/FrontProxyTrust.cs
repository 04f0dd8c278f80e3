using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Traceloop.Gateway.Authentication;

/// <summary>
/// What the cluster publishes about its front proxy in ConfigMap
/// kube-system/extension-apiserver-authentication: the CA that signs the aggregation layer's
/// client certificate, the names that certificate may carry, and the headers that carry the
/// user. An extension server trusts those headers only on a connection made with that certificate.
/// </summary>
internal sealed record FrontProxyTrust(
    X509Certificate2Collection Authorities,
    IReadOnlyList<string> AllowedNames,
    IReadOnlyList<string> UsernameHeaders,
    IReadOnlyList<string> GroupHeaders,
    IReadOnlyList<string> ExtraHeaderPrefixes)
{
    public const string ConfigMapNamespace = "kube-system";
    public const string ConfigMapName = "extension-apiserver-authentication";

    /// <summary>Trusts nobody: what the gateway holds until the ConfigMap has been read.</summary>
    public static FrontProxyTrust None { get; } = new([], [], [], [], []);

    /// <summary>
    /// Reads the ConfigMap's data. Throws <see cref="FormatException"/> with the reason when a key
    /// is malformed; a cluster without front-proxy settings gives a trust that refuses every request.
    /// </summary>
    public static FrontProxyTrust FromConfigMapData(JsonObject? data)
    {
        if (data is null)
        {
            return None;
        }
        var authorities = new X509Certificate2Collection();
        if (Text(data, "requestheader-client-ca-file") is { Length: > 0 } pem)
        {
            try
            {
                authorities.ImportFromPem(pem);
            }
            catch (CryptographicException e)
            {
                throw new FormatException($"requestheader-client-ca-file is not PEM certificates: {e.Message}", e);
            }
        }
        return new FrontProxyTrust(authorities,
            List(data, "requestheader-allowed-names"),
            List(data, "requestheader-username-headers"),
            List(data, "requestheader-group-headers"),
            List(data, "requestheader-extra-headers-prefix"));
    }

    private static string? Text(JsonObject data, string key) =>
        data[key] is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    /// <summary>The ConfigMap writes each list as a JSON array in a string ("[\"X-Remote-User\"]").</summary>
    private static string[] List(JsonObject data, string key)
    {
        if (Text(data, key) is not { Length: > 0 } text)
        {
            return [];
        }
        try
        {
            if (JsonNode.Parse(text) is not JsonArray array)
            {
                throw new FormatException($"{key} is not a JSON array: {text}");
            }
            return [.. array.Select(item => item is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0
                ? s
                : throw new FormatException($"{key} holds something other than names: {text}"))];
        }
        catch (JsonException e)
        {
            throw new FormatException($"{key} is not a JSON array: {e.Message}", e);
        }
    }
}
