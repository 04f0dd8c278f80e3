using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests;

/// <summary>
/// The kernel's iovec gathering at its limits, which the strace corpus does not reach: a buffer longer
/// than --max-bytes (64 by default), a read spread over two buffers by its return value, and more
/// iovecs than the 32 the kernel copies.
/// </summary>
[Collection(RecorderCollection.Name)]
public sealed class CompositeCaptureTests(RecorderFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private const string Source = """
        #include <string.h>
        #include <sys/uio.h>
        #include <unistd.h>

        int main(void)
        {
            static char big[100], a[10], b[200];
            struct iovec many[40];
            int fd[2];

            memset(big, 'a', sizeof big);
            for (int i = 0; i < 40; i++) {
                many[i].iov_base = "xy";
                many[i].iov_len = 2;
            }
            if (pipe(fd) != 0 || fd[0] != 3)
                return 2;
            struct iovec w[2] = { { big, 100 }, { "tail", 4 } };
            struct iovec r[2] = { { a, 10 }, { b, 200 } };
            if (writev(4, w, 2) != 104 || readv(3, r, 2) != 104)
                return 3;
            return writev(4, many, 40) == 80 ? 0 : 4;
        }
        """;

    [Fact]
    public async Task Iovecs_AreCutAtMaxBytesBoundedByTheReturnValueAndLimitedTo32()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string binary = await StaticBinary.CompileAsync(Source, cts.Token);
        BusyboxRootfs.Shared.CopyIn(binary, "/usr/local/bin/iovecs");
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["/usr/local/bin/iovecs"] }, cts.Token);
        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));

        // The recorder learns of the exit through its control ring: wait until it has, so the dump is complete.
        await Eventually.GetAsync(async () =>
        {
            List<ContainerInfo> all = await fixture.Recorder.Client.GetContainersAsync();
            return all.Find(c => c.Id == container.Id && c.ExitedAt is not null);
        }, Timeout, $"container {container.Id[..12]} to be listed as exited");
        string text = await fixture.Recorder.Client.GetDumpTextAsync(container.Id, ct: cts.Token);

        string a64 = new('a', 64);
        Assert.Contains($"writev(4, [{{iov_base=\"{a64}\"..., iov_len=100}}, {{iov_base=\"tail\", iov_len=4}}], 2) = 104", text, StringComparison.Ordinal);
        // 104 bytes read: 10 fill the first buffer, 94 go to the second (90 a's, then "tail").
        Assert.Contains($"readv(3, [{{iov_base=\"{new string('a', 10)}\", iov_len=10}}, {{iov_base=\"{a64}\"..., iov_len=200}}], 2) = 104", text, StringComparison.Ordinal);
        string xy32 = string.Join(", ", Enumerable.Repeat("{iov_base=\"xy\", iov_len=2}", 32));
        Assert.Contains($"writev(4, [{xy32}, ...], 40) = 80", text, StringComparison.Ordinal);
    }
}
