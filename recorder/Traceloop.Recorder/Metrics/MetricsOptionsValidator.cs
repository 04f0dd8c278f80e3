using Microsoft.Extensions.Options;

namespace Traceloop.Recorder.Metrics;

internal sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        var failures = new List<string>();
        if (!string.Equals(options.Metrics, "on", StringComparison.OrdinalIgnoreCase) && !string.Equals(options.Metrics, "off", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"--metrics must be on or off, not '{options.Metrics}'");
        }
        if (options.MetricsSeries != 0 && options.MetricsSeries is < MetricsOptions.MinSeries or > MetricsOptions.MaxSeries)
        {
            failures.Add($"--metrics-series must be 0 ({MetricsOptions.SeriesPerContainer} per container) or from {MetricsOptions.MinSeries} to {MetricsOptions.MaxSeries}, not {options.MetricsSeries}");
        }
        if (!string.IsNullOrWhiteSpace(options.MetricsAddress))
        {
            if (options.Endpoint() is null)
            {
                failures.Add($"--metrics-address must be [host]:port with an IP address (':9431', '127.0.0.1:9431', '[::1]:9431'), not '{options.MetricsAddress}'");
            }
            else if (!options.Enabled)
            {
                // Served anyway, the page would hold the recorder's health only; say so rather than guess.
                failures.Add("--metrics-address needs --metrics on");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
