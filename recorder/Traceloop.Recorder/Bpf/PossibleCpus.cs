using System.Globalization;

namespace Traceloop.Recorder.Bpf;

/// <summary>
/// The CPUs the kernel may ever run on, as /sys/devices/system/cpu/possible lists them (what
/// libbpf_num_possible_cpus reads). Not the online count and not the process's affinity: a BPF
/// program can run on any possible CPU, and the count is fixed from boot.
/// </summary>
internal static class PossibleCpus
{
    private const string PossiblePath = "/sys/devices/system/cpu/possible";

    private static readonly Lazy<int> Cached = new(Read);

    public static int Count => Cached.Value;

    /// <summary>The highest listed id + 1, from a list such as "0-3,5"; ids are dense from 0 in practice.</summary>
    public static int Parse(string list)
    {
        int max = -1;
        foreach (string part in list.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string last = part.Contains('-', StringComparison.Ordinal) ? part[(part.IndexOf('-', StringComparison.Ordinal) + 1)..] : part;
            if (!int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
            {
                throw new FormatException($"'{list}' is not a CPU list");
            }
            max = Math.Max(max, id);
        }
        return max < 0 ? throw new FormatException($"'{list}' lists no CPU") : max + 1;
    }

    private static int Read()
    {
        try
        {
            return Parse(File.ReadAllText(PossiblePath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Without sysfs the processor count is the best guess; the sub-ring count only has to
            // be the same for the programs and the rings, which both take it from here.
            return Environment.ProcessorCount;
        }
    }
}
