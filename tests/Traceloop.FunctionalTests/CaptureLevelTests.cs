using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Kubernetes;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// Capture levels are applied in the kernel: for a namespace at no-payload,no-argv, the bytes a
/// container writes and the arguments it is started with never enter its ring. Checked in the
/// rings themselves (their bpffs pins, read with bpftool), next to a fully captured namespace
/// whose secrets the same search does find.
/// </summary>
public sealed class CaptureLevelTests(ITestOutputHelper output)
{
    private const string Node = "node-a";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    // Writes the secret to a file and over a socketpair (write, send, writev), then exits 0.
    private static string WriterSource(string secret) => $$"""
        #include <fcntl.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <sys/uio.h>
        #include <unistd.h>
        int main(void)
        {
            static const char secret[] = "{{secret}}";
            size_t n = strlen(secret);
            char buf[128];
            int fd = open("/tmp/capture-secret", O_WRONLY | O_CREAT | O_TRUNC, 0600);
            write(fd, secret, n);
            close(fd);
            int sv[2];
            socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
            send(sv[0], secret, n, 0);
            recv(sv[1], buf, sizeof buf, 0);
            struct iovec iov = { (void *)secret, n };
            writev(sv[0], &iov, 1);
            return 0;
        }
        """;

    [Fact]
    public async Task ANamespaceWithoutPayloadsAndArgv_KeepsNoByteOfThemInItsRing_WhileAFullNamespaceDoes()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        string config = Path.Join(Directory.CreateTempSubdirectory("traceloop-capture-").FullName, "config.json");
        await File.WriteAllTextAsync(config, """
            { "Capture": { "Default": "full", "Rules": [ { "Namespaces": "payments", "Level": "no-payload,no-argv" } ] } }
            """, cts.Token);

        (string paidSecret, string paidToken) = ($"pw-{Guid.NewGuid():N}", $"tok-{Guid.NewGuid():N}");
        (string shopSecret, string shopToken) = ($"pw-{Guid.NewGuid():N}", $"tok-{Guid.NewGuid():N}");
        string paidProgram = await CopyIn(WriterSource(paidSecret), cts.Token);
        string shopProgram = await CopyIn(WriterSource(shopSecret), cts.Token);
        (TestPod paidPod, string paidId) = NewPod("api", "payments");
        (TestPod shopPod, string shopId) = NewPod("web", "shop");
        api.AddPod(paidPod);
        api.AddPod(shopPod);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(
            ["--kubeconfig", api.WriteKubeconfig(), "--node-name", Node, "--config", config, "--ring-size", "64K"], cts.Token);
        Assert.NotEqual("", recorder.PinDir);
        KernelMaps kernel = KernelMaps.Of(recorder.Pid);
        await Eventually.TrueAsync(() => Task.FromResult(kernel.CaptureLevelNames().IsSupersetOf(["", $"pod{paidPod.Uid}", $"pod{shopPod.Uid}"])),
            TimeSpan.FromSeconds(10), "the capture levels to reach the kernel");

        await using RuncContainer paid = await RuncContainer.RunAsync(
            new ContainerSpec { Id = paidId, PodUid = paidPod.Uid, Args = [paidProgram, $"--token={paidToken}"] }, cts.Token);
        await using RuncContainer shop = await RuncContainer.RunAsync(
            new ContainerSpec { Id = shopId, PodUid = shopPod.Uid, Args = [shopProgram, $"--token={shopToken}"] }, cts.Token);
        Assert.Equal(0, await paid.WaitForExitAsync(cts.Token));
        Assert.Equal(0, await shop.WaitForExitAsync(cts.Token));

        // The API says what each container's level is, and the dump's header says what it means.
        ContainerInfo[] listed = [.. await recorder.Client.GetContainersAsync(cts.Token)];
        Assert.Equal(CaptureLevelNames.NoPayloadNoArgv, listed.Single(c => c.Id == paidId).CaptureLevel);
        Assert.Equal(CaptureLevelNames.Full, listed.Single(c => c.Id == shopId).CaptureLevel);
        string paidText = await recorder.Client.GetDumpTextAsync(paidId, ct: cts.Token);
        string shopText = await recorder.Client.GetDumpTextAsync(shopId, ct: cts.Token);
        output.WriteLine(string.Join('\n', paidText.Split('\n').Where(l => l.StartsWith('#') || l.Contains("execve(", StringComparison.Ordinal) || l.Contains("write", StringComparison.Ordinal))));
        Assert.Contains("# capture level no-payload,no-argv: ", paidText, StringComparison.Ordinal);
        Assert.DoesNotContain("# capture level", shopText, StringComparison.Ordinal);

        // The calls are there, with addresses where the buffers were and a count for argv.
        AssertLine(paidText, "execve(", "/* 2 args */");
        AssertLine(paidText, "write(", $", 0x");
        AssertLine(paidText, "sendto(", $", 0x");
        AssertLine(paidText, "writev(", "[{iov_base=0x");
        AssertLine(shopText, "execve(", $"\"--token={shopToken}\"");
        AssertLine(shopText, "write(", $"\"{shopSecret}\"");

        // The rings themselves: the full namespace's secrets are found by the same search, so its
        // failing to find the restricted namespace's means they were never copied.
        byte[][] rings = PinnedRings.All(recorder.PinDir);
        Assert.NotEmpty(rings);
        Assert.Contains(rings, r => Holds(r, shopSecret));
        Assert.Contains(rings, r => Holds(r, shopToken));
        Assert.DoesNotContain(rings, r => Holds(r, paidSecret));
        Assert.DoesNotContain(rings, r => Holds(r, paidSecret[..12]));
        Assert.DoesNotContain(rings, r => Holds(r, paidToken));
    }

    // Binds itself to CPU 0 and writes the first secret to /dev/null back to back until the test
    // sets the first byte of /flag/flag (read through a shared mapping, so the wait makes no
    // syscall), then writes the second secret 50 times and exits: those writes stay in the ring.
    private static string PhasedWriterSource(string before, string after) => $$"""
        #define _GNU_SOURCE
        #include <fcntl.h>
        #include <sched.h>
        #include <string.h>
        #include <sys/mman.h>
        #include <unistd.h>
        int main(void)
        {
            static const char before[] = "{{before}}", after[] = "{{after}}";
            cpu_set_t cpus;
            CPU_ZERO(&cpus);
            CPU_SET(0, &cpus);
            if (sched_setaffinity(0, sizeof cpus, &cpus))
                return 1;
            int flag_fd = open("/flag/flag", O_RDONLY);
            volatile const char *flag = mmap(0, 4096, PROT_READ, MAP_SHARED, flag_fd, 0);
            int fd = open("/dev/null", O_WRONLY);
            if (flag_fd < 0 || flag == MAP_FAILED || fd < 0)
                return 2;
            while (!flag[0])
                write(fd, before, strlen(before));
            for (int i = 0; i < 50; i++)
                write(fd, after, strlen(after));
            return 0;
        }
        """;

    /// <summary>
    /// The syscall programs keep a per-CPU view of the container entry they last looked up, and a
    /// thread that loops on one CPU keeps finding its own there. A level the recorder tightens
    /// while it runs must still apply from its next calls: every write of the containers map
    /// starts a new generation that no view outlives. The writer here never leaves its CPU nor
    /// stops calling write, so a view kept past the change would copy its second secret too.
    /// (Another task's syscall on that CPU also renews the view, so without the generations this
    /// test fails only when none ran there between the change and the writer's next calls.)
    /// </summary>
    [Fact]
    public async Task ALevelTightenedWhileTheContainerRuns_AppliesFromItsNextCalls()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        DirectoryInfo work = Directory.CreateTempSubdirectory("traceloop-capture-");
        try
        {
            string config = Path.Join(work.FullName, "config.json");
            await File.WriteAllTextAsync(config, """{ "Capture": { "Default": "full" } }""", cts.Token);
            string flagDir = Directory.CreateDirectory(Path.Join(work.FullName, "flag")).FullName;
            await File.WriteAllBytesAsync(Path.Join(flagDir, "flag"), new byte[4096], cts.Token);
            (string before, string after) = ($"pw-{Guid.NewGuid():N}", $"pw-{Guid.NewGuid():N}");
            string program = await CopyIn(PhasedWriterSource(before, after), cts.Token);
            (TestPod pod, string id) = NewPod("loop", "shop");
            api.AddPod(pod);
            await using RecorderProcess recorder = await RecorderProcess.StartAsync(
                ["--kubeconfig", api.WriteKubeconfig(), "--node-name", Node, "--config", config, "--ring-size", "64K"], cts.Token);
            Assert.NotEqual("", recorder.PinDir);
            bool InARing(string secret) => PinnedRings.All(recorder.PinDir).Any(r => Holds(r, secret));

            await using RuncContainer writer = await RuncContainer.RunAsync(
                new ContainerSpec { Id = id, PodUid = pod.Uid, Args = [program], ReadOnlyBinds = [(flagDir, "/flag")] }, cts.Token);
            await Eventually.TrueAsync(() => Task.FromResult(InARing(before)), TimeSpan.FromSeconds(20), "the full level to copy the first secret into the ring");

            await File.WriteAllTextAsync(config, """
                { "Capture": { "Default": "full", "Rules": [ { "Namespaces": "shop", "Level": "no-payload" } ] } }
                """, cts.Token);
            await Eventually.TrueAsync(async () => (await recorder.Client.GetContainersAsync(cts.Token)).Any(c => c.Id == id && c.CaptureLevel == CaptureLevelNames.NoPayload),
                TimeSpan.FromSeconds(10), "the reloaded level to reach the container");
            await using (FileStream flag = File.OpenWrite(Path.Join(flagDir, "flag")))
            {
                flag.WriteByte(1);
            }
            Assert.Equal(0, await writer.WaitForExitAsync(cts.Token));

            // Its 50 last writes fit its part of the ring several times over, and none copied the secret.
            string text = await recorder.Client.GetDumpTextAsync(id, ct: cts.Token);
            string[] writes = [.. text.Split('\n').Where(l => l.Contains("write(", StringComparison.Ordinal))];
            output.WriteLine(string.Join('\n', writes[^Math.Min(writes.Length, 5)..]));
            Assert.True(writes.Length >= 50, $"only {writes.Length} writes in the dump");
            Assert.All(writes[^50..], l => Assert.Contains(", 0x", l, StringComparison.Ordinal));
            Assert.False(InARing(after), "a write after the level changed copied its buffer");
            Assert.DoesNotContain(after, text, StringComparison.Ordinal);
        }
        finally
        {
            // The container and the recorder are gone by now: their scopes ended with the try block.
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AnUnknownLevel_IsRefusedAtStartInOneSentence()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        string config = Path.Join(Directory.CreateTempSubdirectory("traceloop-capture-config-").FullName, "config.json");
        await File.WriteAllTextAsync(config, """{ "Capture": { "Rules": [ { "Namespaces": "payments", "Level": "no-secrets" } ] } }""", cts.Token);
        try
        {
            (int code, string text) = await RecorderProcess.RunToExitAsync(["--socket", "/tmp/x.sock", "--config", config], withoutCapabilities: false, cts.Token);
            Assert.Equal(2, code);
            Assert.Contains("Capture:Rules:0:Level: unknown capture level 'no-secrets'", text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(config)!, recursive: true);
        }
    }

    private static async Task<string> CopyIn(string source, CancellationToken ct)
    {
        string binary = await StaticBinary.CompileAsync(source, ct);
        string program = $"/usr/local/bin/writer-{Guid.NewGuid():N}";
        BusyboxRootfs.Shared.CopyIn(binary, program);
        return program;
    }

    private static (TestPod Pod, string ContainerId) NewPod(string name, string ns)
    {
        string id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        return (new TestPod(name, ns)
        {
            Node = Node,
            Containers = [new TestContainer("c", "busybox") { ContainerId = $"containerd://{id}" }],
        }, id);
    }

    private static bool Holds(byte[] ring, string text) => PinnedRings.Holds(ring, text);

    private static void AssertLine(string text, string call, string part) =>
        Assert.True(
            text.Split('\n').Any(l => l.Contains(call, StringComparison.Ordinal) && l.Contains(part, StringComparison.Ordinal)),
            $"no {call}...{part} line in the dump:\n{text[^Math.Min(text.Length, 4000)..]}");
}
