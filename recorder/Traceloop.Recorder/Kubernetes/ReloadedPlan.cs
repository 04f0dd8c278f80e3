using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// A config-file section that is applied again when the file changes (the selection, the capture
/// levels), held as the plan made from it. A reloaded section that does not validate is refused
/// and the last good plan stays in force: fail closed, so a typo never widens what is recorded.
/// </summary>
/// <remarks>
/// The plan is built afresh from the factory on each change token rather than read from
/// <see cref="IOptionsMonitor{TOptions}"/>: the monitor drops its cached value before it
/// validates the new one, so after a refused reload its <c>CurrentValue</c> throws
/// <see cref="OptionsValidationException"/> until the file is fixed, and its <c>OnChange</c>
/// listeners are never told about the refused reload.
/// </remarks>
internal sealed class ReloadedPlan<TOptions, TPlan> : IDisposable
    where TOptions : class
    where TPlan : class
{
    private readonly IOptionsFactory<TOptions> _factory;
    private readonly IOptionsChangeTokenSource<TOptions>[] _sources;
    private readonly Func<TOptions, TPlan> _parse;
    private readonly List<IDisposable> _reloads = [];
    private TPlan? _current;
    private int _refused;

    /// <param name="parse">Makes the plan, or throws <see cref="OptionsValidationException"/>.</param>
    public ReloadedPlan(IOptionsFactory<TOptions> factory, IEnumerable<IOptionsChangeTokenSource<TOptions>> sources, Func<TOptions, TPlan> parse)
    {
        _factory = factory;
        _sources = [.. sources];
        _parse = parse;
    }

    public TPlan Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException("The plan is not started.");

    /// <summary>How many reloads were refused, each leaving the previous plan in force.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>
    /// Makes the first plan (validated at start: one that fails here fails the start), then calls
    /// <paramref name="applied"/> after each accepted reload and <paramref name="refused"/> with
    /// the reason of each refused one. Both run inside the configuration's reload callback.
    /// </summary>
    public void Start(Action applied, Action<string> refused)
    {
        Volatile.Write(ref _current, _parse(_factory.Create(Options.DefaultName)));
        foreach (IOptionsChangeTokenSource<TOptions> source in _sources)
        {
            _reloads.Add(ChangeToken.OnChange(source.GetChangeToken, name => Reload(name, applied, refused), source.Name ?? Options.DefaultName));
        }
    }

    // Runs inside the configuration's reload callback: nothing may escape from here.
    private void Reload(string name, Action applied, Action<string> refused)
    {
        TPlan plan;
        try
        {
            plan = _parse(_factory.Create(name));
        }
        catch (OptionsValidationException e)
        {
            Refuse(refused, e.Message);
            return;
        }
        catch (InvalidOperationException e)
        {
            // The binder could not convert a value.
            Refuse(refused, e.Message);
            return;
        }
        Volatile.Write(ref _current, plan);
        applied();
    }

    private void Refuse(Action<string> refused, string reason)
    {
        Interlocked.Increment(ref _refused);
        refused(reason);
    }

    public void Dispose()
    {
        foreach (IDisposable reload in _reloads)
        {
            reload.Dispose();
        }
        _reloads.Clear();
    }
}
