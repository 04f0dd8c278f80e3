using Microsoft.Win32.SafeHandles;
using Traceloop.FunctionalTests.Containers;

namespace Traceloop.FunctionalTests.Recorder;

/// <summary>
/// Counts the page faults a process takes in kernel mode, from the exceptions:page_fault_kernel
/// tracepoint: among them every fault of an eBPF program's read of the process's memory, which the
/// helper absorbs and nothing else reports (the page-faults software counter skips faults taken
/// with page faults disabled). Mounts tracefs when the machine has not, as perf does.
/// </summary>
public sealed class KernelPageFaults : IDisposable
{
    private const string Event = "events/exceptions/page_fault_kernel/id";
    // An anonymous inode with no offset: read(2) through an unbuffered stream, not pread.
    private readonly FileStream _counter;

    private KernelPageFaults(SafeFileHandle counter) => _counter = new FileStream(counter, FileAccess.Read, bufferSize: 0);

    public static KernelPageFaults Of(int pid) =>
        new(Containers.Interop.Libc.PerfTracepointCounter(ulong.Parse(File.ReadAllText(Path.Join(TraceFs(), Event)).Trim()), pid));

    /// <summary>Faults counted since <see cref="Of"/>.</summary>
    public long Count
    {
        get
        {
            Span<byte> value = stackalloc byte[8];
            int read = _counter.Read(value);
            return read == 8 ? BitConverter.ToInt64(value) : throw new InvalidOperationException($"a perf counter read gave {read} bytes");
        }
    }

    public void Dispose() => _counter.Dispose();

    private static string TraceFs()
    {
        string? mounted = File.ReadLines("/proc/mounts").Select(l => l.Split(' ')).FirstOrDefault(f => f.Length > 2 && f[2] == "tracefs")?[1];
        if (mounted is not null)
        {
            return mounted;
        }
        const string path = "/sys/kernel/tracing";
        Containers.Interop.Libc.Mount("nodev", path, "tracefs");
        return path;
    }
}
