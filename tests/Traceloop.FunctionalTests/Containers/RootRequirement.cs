namespace Traceloop.FunctionalTests.Containers;

internal static class RootRequirement
{
    /// <summary>Functional tests fail loudly without root rather than skip: in CI a skipped test reads as a pass.</summary>
    public static void Ensure()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("functional tests need root: run as root (CI does)");
        }
    }
}
