using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// A payload is padded to 8 bytes in its record, and the kernel gathers payloads in a scratch
/// buffer that is per CPU, not per container. The padding must be zeros, never the bytes another
/// container's call left in that buffer: here two containers on one CPU take turns, one writing
/// 64 bytes of 'Z', the other writing one byte 'Q', whose 7 bytes of padding would be Z's.
/// </summary>
public sealed class RecordPaddingTests(ITestOutputHelper output)
{
    // Binds itself to CPU 0, then writes argv[1] (count times, or forever with 0) to /dev/null,
    // sleeping 200 us after each write when argv[3] is "sleep": the other writer runs meanwhile.
    private const string Source = """
        #define _GNU_SOURCE
        #include <fcntl.h>
        #include <sched.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        int main(int argc, char **argv)
        {
            cpu_set_t cpus;
            CPU_ZERO(&cpus);
            CPU_SET(0, &cpus);
            if (argc != 4 || sched_setaffinity(0, sizeof cpus, &cpus))
                return 1;
            int fd = open("/dev/null", O_WRONLY), sleep = !strcmp(argv[3], "sleep");
            long count = atol(argv[2]);
            for (long i = 0; count == 0 || i < count; i++) {
                write(fd, argv[1], strlen(argv[1]));
                if (sleep)
                    usleep(200);
            }
            return 0;
        }
        """;

    [Fact]
    public async Task APayloadsPadding_NeverCarriesAnotherContainersBytes()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        string binary = await StaticBinary.CompileAsync(Source, cts.Token);
        string program = $"/usr/local/bin/padding-{Guid.NewGuid():N}";
        BusyboxRootfs.Shared.CopyIn(binary, program);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync([], cts.Token);
        Assert.NotEqual("", recorder.PinDir);

        await using RuncContainer zs = await RuncContainer.RunAsync(new ContainerSpec { Args = [program, new string('Z', 64), "0", "spin"] }, cts.Token);
        await Eventually.TrueAsync(() => Task.FromResult(PinnedRings.All(recorder.PinDir).Any(r => PinnedRings.Holds(r, new string('Z', 64)))),
            TimeSpan.FromSeconds(20), "the Z writer's buffers in its ring");
        // Each of its writes follows a turn of the Z writer on the CPU, so the scratch buffer holds Z's.
        await using RuncContainer qs = await RuncContainer.RunAsync(new ContainerSpec { Args = [program, "Q", "1000", "sleep"] }, cts.Token);
        Assert.Equal(0, await qs.WaitForExitAsync(cts.Token));

        string text = await recorder.Client.GetDumpTextAsync(qs.Id, ct: cts.Token);
        int writes = text.Split('\n').Count(l => l.Contains("write(3, \"Q\", 1) = 1", StringComparison.Ordinal));
        output.WriteLine($"the Q writer's dump shows {writes} one-byte writes");
        Assert.True(writes >= 500, $"only {writes} of the Q writer's writes in its dump");
        byte[][] rings = PinnedRings.All(recorder.PinDir);
        Assert.Contains(rings, r => PinnedRings.Holds(r, "Q\0\0\0\0\0\0\0"));
        // The whole padding, not a shorter needle: a record's tag is 8 random bytes, and among a
        // ring's thousands of them any two bytes turn up by chance.
        Assert.DoesNotContain(rings, r => PinnedRings.Holds(r, "Q" + new string('Z', 7)));
    }
}
