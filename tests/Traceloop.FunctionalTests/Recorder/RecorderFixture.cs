namespace Traceloop.FunctionalTests.Recorder;

/// <summary>One recorder shared by the tests of <see cref="RecorderCollection"/>: starting it loads BPF programs, which takes a moment.</summary>
public sealed class RecorderFixture : IAsyncLifetime
{
    private RecorderProcess? _recorder;

    public RecorderProcess Recorder => _recorder ?? throw new InvalidOperationException("the recorder has not started");

    public async Task InitializeAsync() => _recorder = await RecorderProcess.StartAsync().ConfigureAwait(false);

    public async Task DisposeAsync()
    {
        if (_recorder is not null)
        {
            await _recorder.DisposeAsync().ConfigureAwait(false);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RecorderCollection : ICollectionFixture<RecorderFixture>
{
    public const string Name = "recorder";
}
