using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Traceloop.FunctionalTests.Recorder;

/// <summary>
/// Counts the page faults a process takes in kernel mode, from the exceptions:page_fault_kernel
/// tracepoint: among them every fault of an eBPF program's read of the process's memory, which the
/// helper absorbs and nothing else reports (the page-faults software counter skips faults taken
/// with page faults disabled). Mounts tracefs when the machine has not, as perf does. Opens the
/// counter and mounts through the recorder's own interop (global::Interop, visible to the tests).
/// </summary>
public sealed class KernelPageFaults : IDisposable
{
    private const string Event = "events/exceptions/page_fault_kernel/id";
    private const uint PERF_TYPE_TRACEPOINT = 2;
    // An anonymous inode with no offset: read(2) through an unbuffered stream, not pread.
    private readonly FileStream _counter;

    private KernelPageFaults(SafeFileHandle counter) => _counter = new FileStream(counter, FileAccess.Read, bufferSize: 0);

    /// <summary>Counts the faults of <paramref name="pid"/> from now on, on any CPU.</summary>
    public static KernelPageFaults Of(int pid)
    {
        var attr = new global::Interop.Libc.perf_event_attr
        {
            type = PERF_TYPE_TRACEPOINT,
            size = global::Interop.Libc.PERF_ATTR_SIZE_VER7,
            config = ulong.Parse(File.ReadAllText(Path.Join(TraceFs(), Event)).Trim()),
        };
        SafeFileHandle counter = global::Interop.Libc.perf_event_open(attr, pid, -1, -1, global::Interop.Libc.PERF_FLAG_FD_CLOEXEC);
        return counter.IsInvalid
            ? throw new InvalidOperationException($"perf_event_open of {Event} for pid {pid}: {Marshal.GetLastPInvokeErrorMessage()}")
            : new KernelPageFaults(counter);
    }

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
        return global::Interop.Libc.mount("nodev", path, "tracefs", 0, null) == 0
            ? path
            : throw new InvalidOperationException($"mount -t tracefs {path}: {Marshal.GetLastPInvokeErrorMessage()}");
    }
}
