using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Store;

namespace Traceloop.Recorder.Hosting;

/// <summary>The dump store's settings, from where an operator sets them: the data directory and the crash options.</summary>
internal static class StoreOptions
{
    public static void Apply(DumpStoreOptions store, RecorderOptions recorder, CrashOptions crash)
    {
        store.Directory = Path.Join(recorder.DataDir, "dumps");
        store.PerContainer = crash.DumpsPerContainer;
        store.MaxBytes = crash.DumpsMaxBytesValue;
        store.MinFreeBytes = crash.DumpsMinFreeBytesValue;
    }

    public static DumpStoreOptions From(RecorderOptions recorder, CrashOptions crash)
    {
        var store = new DumpStoreOptions();
        Apply(store, recorder, crash);
        return store;
    }
}
