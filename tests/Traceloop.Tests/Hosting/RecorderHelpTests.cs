using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Hosting;

namespace Traceloop.Tests.Hosting;

public sealed class RecorderHelpTests
{
    [Fact]
    public void TheDefaultsShownAreTheOptionClassesDefaults()
    {
        string help = RecorderHelp.Text;
        Assert.Contains("--ring-size SIZE       ring per container, 64K..2M          (default 1M)", help, StringComparison.Ordinal);
        Assert.Contains("--grace-period SPAN    how long ended containers stay       (default 00:10:00)", help, StringComparison.Ordinal);
        Assert.Contains("--cgroup-hierarchy H   auto, unified, or a v1 controller    (default auto: v2 if mounted)", help, StringComparison.Ordinal);
        Assert.Contains("--config FILE          JSON file with the settings above    (default /etc/traceloop/config.json)", help, StringComparison.Ordinal);
        Assert.Contains("--max-dumps N          dumps served or saved at once        (default 4)", help, StringComparison.Ordinal);
        Assert.Contains("--min-response-rate SIZE  bytes a second a reader must take (default 16K)", help, StringComparison.Ordinal);
        Assert.Contains("--min-response-grace SPAN before a slower reader is cut off (default 00:00:10)", help, StringComparison.Ordinal);
        Assert.Contains("--dump-on-fatal-signal BOOL  SIGSEGV/SIGBUS/... delivered, even if handled (default false)", help, StringComparison.Ordinal);
        Assert.Contains("(default none; e.g. connect:ECONNREFUSED)", help, StringComparison.Ordinal);
        Assert.Contains("--trigger-cooldown SPAN    at most one fatal-signal/syscall-error dump per container per SPAN (default 00:01:00)", help, StringComparison.Ordinal);
        Assert.Contains("--metrics on|off           count syscalls, errors and latency per container in the kernel (default on)", help, StringComparison.Ordinal);
        Assert.Contains("--max-tls-bytes BYTES  bytes kept of TLS plaintext          (default as --max-bytes)", help, StringComparison.Ordinal);
    }

    [Fact]
    public void TheKernelMemoryBoundIsStatedForTheConfiguredRings()
    {
        // 1M split into at most 16 parts of 64K, each with a 4K overhang and a 64-byte line,
        // plus the 64-byte header: 1,115,200 bytes, 1,118,208 in pages.
        string help = RecorderHelp.Text;
        Assert.Contains("at most 16 parts of 64K or more for 1M", help, StringComparison.Ordinal);
        Assert.Contains("A ring pins at most 1.1 MiB and\n", help, StringComparison.Ordinal);
        Assert.Contains($"the node at most {(1_118_208.0 * new RecorderOptions().MaxContainers / (1 << 20)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} MiB", help, StringComparison.Ordinal);

        string small = RecorderHelp.Build(new RecorderOptions { RingSize = "64K", MaxContainers = 10 }, new CrashOptions());
        Assert.Contains("at most 1 parts of 64K or more for 64K", small, StringComparison.Ordinal);
        Assert.Contains("the node at most 0.7 MiB", small, StringComparison.Ordinal);
    }

    [Fact]
    public void AChangedDefaultChangesTheHelp()
    {
        string help = RecorderHelp.Build(
            new RecorderOptions { RingSize = "2M", MaxContainers = 64, GracePeriod = TimeSpan.FromMinutes(3) },
            new CrashOptions { DumpOnOom = false, WatchSyscallErrors = "connect:ECONNREFUSED" });
        Assert.Contains("(default 2M)", help, StringComparison.Ordinal);
        Assert.Contains("containers with a ring at once       (default 64)", help, StringComparison.Ordinal);
        Assert.Contains("how long ended containers stay       (default 00:03:00)", help, StringComparison.Ordinal);
        Assert.Contains("OOM killer chose a process       (default false)", help, StringComparison.Ordinal);
        Assert.Contains("(default connect:ECONNREFUSED; e.g. connect:ECONNREFUSED)", help, StringComparison.Ordinal);
        Assert.Contains("bytes kept of TLS plaintext          (default 1024)",
            RecorderHelp.Build(new RecorderOptions { MaxTlsBytes = 1024 }, new CrashOptions()), StringComparison.Ordinal);
    }
}
