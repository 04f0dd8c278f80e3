namespace Traceloop.Recorder.Tls;

/// <summary>The RETs found (file offsets, ascending), or why there are none to probe.</summary>
internal sealed record RetSearch(IReadOnlyList<long> Offsets, string? FailureReason)
{
    public bool Succeeded => FailureReason is null;

    public static RetSearch Failed(string reason) => new([], reason);
}
