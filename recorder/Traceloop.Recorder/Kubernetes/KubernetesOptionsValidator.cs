using Microsoft.Extensions.Options;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>Refuses Kubernetes settings that could not work, each with the reason, before anything starts.</summary>
internal sealed class KubernetesOptionsValidator(KubernetesEnvironment env) : IValidateOptions<KubernetesOptions>
{
    public ValidateOptionsResult Validate(string? name, KubernetesOptions o)
    {
        var errors = new List<string>();
        if (o.ResyncBackoffInitial <= TimeSpan.Zero)
        {
            errors.Add($"ResyncBackoffInitial {o.ResyncBackoffInitial} must be positive");
        }
        if (o.ResyncBackoffMax < o.ResyncBackoffInitial || o.ResyncBackoffMax > TimeSpan.FromMinutes(10))
        {
            errors.Add($"ResyncBackoffMax {o.ResyncBackoffMax} must be from ResyncBackoffInitial to 10 minutes");
        }
        if (o.WatchTimeout < TimeSpan.FromSeconds(1) || o.WatchTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"WatchTimeout {o.WatchTimeout} must be from 1 second to 1 hour");
        }
        if (!Path.IsPathRooted(o.ServiceAccountDir))
        {
            errors.Add($"ServiceAccountDir '{o.ServiceAccountDir}' must be an absolute path");
        }
        if (!string.IsNullOrWhiteSpace(o.Kubeconfig) && !File.Exists(o.Kubeconfig.Trim()))
        {
            errors.Add($"Kubeconfig '{o.Kubeconfig}' does not exist");
        }
        KubernetesTarget target = KubernetesTarget.Resolve(o, env);
        if (target.Mode != KubernetesMode.Local)
        {
            if (target.NodeName is null)
            {
                errors.Add($"NodeName is required with Kubernetes ({target.Source}): pass --node-name or set NODE_NAME from the downward API (fieldRef spec.nodeName)");
            }
            else if (!IsNodeName(target.NodeName))
            {
                errors.Add($"NodeName '{target.NodeName}' is not a Kubernetes node name (lowercase letters, digits, '-' and '.', at most 253)");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    // A node name is a DNS subdomain (RFC 1123): it goes into a field selector unescaped by the server.
    private static bool IsNodeName(string name) =>
        name.Length is > 0 and <= 253
        && IsAlphanumeric(name[0])
        && IsAlphanumeric(name[^1])
        && name.All(c => IsAlphanumeric(c) || c is '-' or '.');

    private static bool IsAlphanumeric(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);
}
