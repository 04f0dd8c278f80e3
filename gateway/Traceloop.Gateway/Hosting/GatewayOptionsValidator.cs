using Microsoft.Extensions.Options;
using Traceloop.Cluster;

namespace Traceloop.Gateway.Hosting;

/// <summary>Refuses settings the gateway could not honour, each with the reason.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions o)
    {
        var errors = new List<string>();
        if (ListenAddress.Parse(o.Address) is null)
        {
            errors.Add($"Address '{o.Address}' must be host:port, [v6]:port or :port");
        }
        if (string.IsNullOrEmpty(o.TlsCert) != string.IsNullOrEmpty(o.TlsKey))
        {
            errors.Add("give both TlsCert and TlsKey (--tls-cert, --tls-key) or neither");
        }
        else if (string.IsNullOrEmpty(o.TlsCert) && !o.IssueCertificates)
        {
            errors.Add("TlsCert and TlsKey (--tls-cert, --tls-key) are required without IssueCertificates (--issue-certificates): the aggregation layer speaks only HTTPS");
        }
        if (string.IsNullOrEmpty(o.AgentTlsDir) == !o.IssueCertificates)
        {
            errors.Add("give one of AgentTlsDir (--agent-tls-dir) and IssueCertificates (--issue-certificates): the agents accept only the gateway's client certificate, from files or from the gateway's own CA");
        }
        if (string.IsNullOrWhiteSpace(o.AgentNamespace))
        {
            errors.Add("AgentNamespace must not be empty");
        }
        if (o.AgentPort is < 1 or > 65535)
        {
            errors.Add($"AgentPort {o.AgentPort} must be from 1 to 65535");
        }
        if (o.AgentTimeout <= TimeSpan.Zero || o.AgentTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add("AgentTimeout must be positive and at most 5 minutes");
        }
        if (o.AgentConcurrency is < 1 or > 256)
        {
            errors.Add($"AgentConcurrency {o.AgentConcurrency} must be from 1 to 256");
        }
        if (o.AuthenticationRefresh < TimeSpan.FromSeconds(1) || o.AuthenticationRefresh > TimeSpan.FromHours(1))
        {
            errors.Add("AuthenticationRefresh must be from 1 second to 1 hour");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
