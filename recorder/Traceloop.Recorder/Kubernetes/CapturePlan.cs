using System.Diagnostics.CodeAnalysis;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Kubernetes;

/// <summary><see cref="CaptureOptions"/> that validated: levels and selectors parsed once.</summary>
internal sealed class CapturePlan
{
    private readonly (string[] Namespaces, LabelSelector Selector, CaptureLevel Level)[] _rules;

    private CapturePlan(CaptureLevel @default, (string[], LabelSelector, CaptureLevel)[] rules)
    {
        Default = @default;
        _rules = rules;
    }

    public CaptureLevel Default { get; }

    public int RuleCount => _rules.Length;

    /// <summary>The first matching rule's level, else the default.</summary>
    public CaptureLevel For(PodInfo pod)
    {
        foreach ((string[] namespaces, LabelSelector selector, CaptureLevel level) in _rules)
        {
            if ((namespaces.Length == 0 || namespaces.Contains(pod.Namespace)) && selector.Matches(pod.Labels))
            {
                return level;
            }
        }
        return Default;
    }

    public static bool TryParse(CaptureOptions options, [NotNullWhen(true)] out CapturePlan? plan, [NotNullWhen(false)] out string? error)
    {
        plan = null;
        if (!CaptureLevels.TryParse(options.Default, out CaptureLevel @default, out error))
        {
            error = $"{CaptureOptions.Section}:Default: {error}";
            return false;
        }
        var rules = new (string[], LabelSelector, CaptureLevel)[options.Rules.Length];
        for (int i = 0; i < options.Rules.Length; i++)
        {
            CaptureRule rule = options.Rules[i];
            if (!CaptureLevels.TryParse(rule.Level, out CaptureLevel level, out error))
            {
                error = $"{CaptureOptions.Section}:Rules:{i}:Level: {error}";
                return false;
            }
            if (!LabelSelector.TryParse(rule.LabelSelector, out LabelSelector selector, out error))
            {
                error = $"{CaptureOptions.Section}:Rules:{i}:LabelSelector: {error}";
                return false;
            }
            rules[i] = (rule.Namespaces.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), selector, level);
        }
        plan = new CapturePlan(@default, rules);
        error = null;
        return true;
    }
}
