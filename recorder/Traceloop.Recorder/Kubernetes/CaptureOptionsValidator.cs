using Microsoft.Extensions.Options;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Kubernetes;

internal sealed class CaptureOptionsValidator : IValidateOptions<CaptureOptions>
{
    public ValidateOptionsResult Validate(string? name, CaptureOptions options) =>
        CapturePlan.TryParse(options, out _, out string? error) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(error!);
}
