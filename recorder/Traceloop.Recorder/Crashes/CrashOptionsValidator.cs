using Microsoft.Extensions.Options;

namespace Traceloop.Recorder.Crashes;

/// <summary>Refuses crash-collection settings that could not work, each with the reason.</summary>
internal sealed class CrashOptionsValidator : IValidateOptions<CrashOptions>
{
    public ValidateOptionsResult Validate(string? name, CrashOptions o)
    {
        var errors = new List<string>();
        if (o.DumpsPerContainer is < 1 or > 1000)
        {
            errors.Add($"DumpsPerContainer {o.DumpsPerContainer} must be from 1 to 1000");
        }
        if (o.DumpsMaxBytesValue < 1024 * 1024)
        {
            errors.Add($"DumpsMaxBytes '{o.DumpsMaxBytes}' must be a size of at least 1M (e.g. 512M, 1G)");
        }
        if (o.DumpsMinFreeBytesValue < 0)
        {
            errors.Add($"DumpsMinFreeBytes '{o.DumpsMinFreeBytes}' must be a size such as 512M or 0");
        }
        if (o.DumpEventInterval < TimeSpan.Zero)
        {
            errors.Add("DumpEventInterval must not be negative");
        }
        if (o.TriggerCooldown < TimeSpan.Zero)
        {
            errors.Add("TriggerCooldown must not be negative");
        }
        if (o.KubeletReportTimeout < TimeSpan.Zero)
        {
            errors.Add("KubeletReportTimeout must not be negative");
        }
        if (!WatchedErrors.TryParse(o.WatchSyscallErrors, out _, out string? error))
        {
            errors.Add($"WatchSyscallErrors: {error}");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
