namespace Traceloop.FunctionalTests.Recorder;

/// <summary>The file the test programs wait for before they do what they are measured by.</summary>
internal sealed class GoFile : IDisposable
{
    public string Path { get; } = System.IO.Path.Join(System.IO.Path.GetTempPath(), $"traceloop-go-{Guid.NewGuid():N}");

    public void Create() => File.WriteAllText(Path, "");

    public void Dispose() => File.Delete(Path);
}
