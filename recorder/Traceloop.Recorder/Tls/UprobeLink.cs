using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Traceloop.Recorder.Tls;

/// <summary>
/// Attaches a loaded BPF program to a uprobe from the program's fd alone, so a recorder that took
/// the programs over from pins (and has no libbpf object) attaches exactly like one that loaded
/// them: a perf event of the kernel's uprobe PMU on (file, offset), then a BPF link of the
/// program to that event. The link's fd is all there is to keep: closing it detaches the probe.
/// </summary>
internal static class UprobeLink
{
    private const string PmuDirectory = "/sys/bus/event_source/devices/uprobe";

    private static readonly Lazy<Pmu> s_pmu = new(ReadPmu);

    /// <summary>
    /// The link of <paramref name="program"/> to a uprobe at <paramref name="offset"/> bytes into
    /// the file at <paramref name="path"/> (a uretprobe when <paramref name="retprobe"/>), for
    /// every process that maps the file; null with the reason when the kernel refused.
    /// </summary>
    public static unsafe SafeFileHandle? Attach(SafeFileHandle program, string path, long offset, bool retprobe, out string? error)
    {
        Pmu pmu = s_pmu.Value;
        if (pmu.Error is not null)
        {
            error = pmu.Error;
            return null;
        }
        byte[] pathBytes = Encoding.UTF8.GetBytes(path + "\0");
        SafeFileHandle perf;
        fixed (byte* p = pathBytes)
        {
            var attr = new Interop.Libc.perf_event_attr
            {
                type = pmu.Type,
                size = Interop.Libc.PERF_ATTR_SIZE_VER7,
                config = retprobe ? 1UL << pmu.RetprobeBit : 0,
                config1 = (ulong)p,
                config2 = (ulong)offset,
            };
            // pid -1 with cpu 0 is "every process, system-wide": the kernel rejects pid -1 with cpu -1,
            // and a uprobe's BPF program runs whichever CPU hits it.
            perf = Interop.Libc.perf_event_open(attr, pid: -1, cpu: 0, group_fd: -1, Interop.Libc.PERF_FLAG_FD_CLOEXEC);
        }
        using (perf)
        {
            if (perf.IsInvalid)
            {
                error = $"opening a {(retprobe ? "uretprobe" : "uprobe")} on {path} at offset 0x{offset:x}: {Describe(Marshal.GetLastPInvokeError())}";
                return null;
            }
            bool added = false;
            program.DangerousAddRef(ref added);
            try
            {
                // The link holds the event's file from here on; this process's fd to it can go.
                int link = Interop.Libbpf.bpf_link_create((int)program.DangerousGetHandle(), (int)perf.DangerousGetHandle(), Interop.Libbpf.BPF_PERF_EVENT, 0);
                if (link < 0)
                {
                    error = $"linking the program to the uprobe on {path} at offset 0x{offset:x}: {Describe(-link)}";
                    return null;
                }
                error = null;
                return new SafeFileHandle(link, ownsHandle: true);
            }
            finally
            {
                if (added)
                {
                    program.DangerousRelease();
                }
            }
        }
    }

    private static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    private readonly record struct Pmu(uint Type, int RetprobeBit, string? Error);

    // type: the PMU's dynamic number; format/retprobe: "config:0", the bit of config that makes a uretprobe.
    private static Pmu ReadPmu()
    {
        try
        {
            string typeText = File.ReadAllText(Path.Join(PmuDirectory, "type")).Trim();
            string retprobe = File.ReadAllText(Path.Join(PmuDirectory, "format", "retprobe")).Trim();
            if (!uint.TryParse(typeText, NumberStyles.None, CultureInfo.InvariantCulture, out uint type)
                || !retprobe.StartsWith("config:", StringComparison.Ordinal)
                || !int.TryParse(retprobe.AsSpan("config:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int bit) || bit is < 0 or > 63)
            {
                return new Pmu(0, 0, $"{PmuDirectory} says type '{typeText}' and retprobe '{retprobe}', which this recorder does not read");
            }
            return new Pmu(type, bit, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new Pmu(0, 0, $"this kernel offers no uprobe PMU ({PmuDirectory}: {e.Message}); uprobes need CONFIG_UPROBE_EVENTS and a readable /sys/bus/event_source");
        }
    }
}
