namespace Traceloop.Recorder.Store;

/// <summary>Where saved dumps live and how many of them are kept; set from the recorder's and crash options.</summary>
internal sealed class DumpStoreOptions
{
    /// <summary>The directory of the dumps (made owner-only).</summary>
    public string Directory { get; set; } = "";

    /// <summary>Dumps kept per container; the oldest go first.</summary>
    public int PerContainer { get; set; }

    /// <summary>All dumps together, in bytes on disk.</summary>
    public long MaxBytes { get; set; }

    /// <summary>Free bytes below which no dump is written.</summary>
    public long MinFreeBytes { get; set; }
}
