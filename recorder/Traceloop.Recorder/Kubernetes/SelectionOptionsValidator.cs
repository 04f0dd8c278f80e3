using Microsoft.Extensions.Options;

namespace Traceloop.Recorder.Kubernetes;

internal sealed class SelectionOptionsValidator : IValidateOptions<SelectionOptions>
{
    public ValidateOptionsResult Validate(string? name, SelectionOptions options) =>
        LabelSelector.TryParse(options.LabelSelector, out _, out string? error)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Selection:LabelSelector: {error}");
}
