using System.Diagnostics;
using Traceloop.Recorder.Tls;
using Traceloop.TestCommon.Tls;

namespace Traceloop.Tests.Tls;

/// <summary>OpenSSL discovery on a real process that loads the system's libssl and defines an SSL_write of its own.</summary>
public sealed class OpenSslDiscoveryTests
{
    // Exports SSL_write (built with -rdynamic), so it stands for a binary with OpenSSL linked in;
    // loads libssl.so.3 at run time (no libssl-dev needed to build); maps its own code a second
    // time, so one file is mapped executable twice; then waits for stdin to close.
    private const string Program = """
        #include <dlfcn.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <sys/mman.h>
        #include <unistd.h>

        int SSL_write(void *ssl, const void *buf, int num) { (void)ssl; (void)buf; return num; }

        int main(void) {
        	void *libssl = dlopen("libssl.so.3", RTLD_NOW);
        	int self = open("/proc/self/exe", O_RDONLY);
        	void *again = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, self, 0);
        	printf("%s\n", !libssl ? dlerror() : again == MAP_FAILED ? "mmap failed" : "ready");
        	fflush(stdout);
        	char c;
        	while (read(0, &c, 1) > 0) {
        	}
        	return 0;
        }
        """;

    [Fact]
    public async Task FindsLibSslAndABinaryThatDefinesSslWrite_EachOnce_ThroughTheProcessRoot()
    {
        string binary = await BuiltPrograms.CAsync(Program);
        using Process process = StartAndWaitReady(binary, out string ready);
        try
        {
            Assert.Equal("ready", ready);
            var discovery = new OpenSslDiscovery();

            OpenSslScan scan = discovery.Scan(process.Id);

            Assert.Empty(scan.Skipped);
            Assert.Equal(0, scan.MalformedLines);
            Assert.Equal(2, scan.Libraries.Count);
            OpenSslLibrary libssl = Assert.Single(scan.Libraries, l => l.IsLibSsl);
            Assert.StartsWith("libssl.so.3", Path.GetFileName(libssl.MappedPath), StringComparison.Ordinal);
            Assert.Equal($"/proc/{process.Id}/root{libssl.MappedPath}", libssl.HostPath);
            Assert.Equal(["SSL_read", "SSL_read_ex", "SSL_write", "SSL_write_ex"], libssl.Functions.Select(f => f.Name));
            var stat = new FileInfo(libssl.HostPath);
            Assert.True(stat.Exists);

            OpenSslLibrary own = Assert.Single(scan.Libraries, l => !l.IsLibSsl);
            Assert.Equal(binary, own.MappedPath);
            Assert.Equal(["SSL_write"], own.Functions.Select(f => f.Name));
            // The offset is where the function's code is in the file: "return num" is mov %edx,%eax; ret
            // (after an endbr64 where gcc adds one).
            byte[] code = File.ReadAllBytes(binary).AsSpan((int)own.Functions[0].FileOffset, 7).ToArray();
            byte[] body = code.AsSpan(0, 4).SequenceEqual<byte>([0xf3, 0x0f, 0x1e, 0xfa]) ? code[4..] : code[..3];
            Assert.Equal([0x89, 0xd0, 0xc3], body);
            Assert.NotEqual(libssl.File, own.File);

            // A second scan reads the same files from what it remembered and finds the same.
            Assert.Equal(scan.Libraries, discovery.Scan(process.Id).Libraries);
        }
        finally
        {
            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public void AProcessThatHasGone_GivesNothingAndSaysWhy()
    {
        // Past the default pid_max, so no process has it.
        OpenSslScan scan = new OpenSslDiscovery().Scan(int.MaxValue);

        Assert.Empty(scan.Libraries);
        Assert.StartsWith($"pid {int.MaxValue}: cannot read its maps", Assert.Single(scan.Skipped), StringComparison.Ordinal);
    }

    private static Process StartAndWaitReady(string binary, out string ready)
    {
        var startInfo = new ProcessStartInfo(binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        Process process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{binary} did not start");
        Task<string?> line = process.StandardOutput.ReadLineAsync();
        ready = line.Wait(TimeSpan.FromSeconds(30)) ? line.Result ?? "(no output)" : "(timed out)";
        return process;
    }

    [Fact]
    public async Task RememberedFiles_AreOnlyThoseStillMapped_AfterRetain()
    {
        string binary = await BuiltPrograms.CAsync(Program);
        using Process process = StartAndWaitReady(binary, out _);
        try
        {
            var discovery = new OpenSslDiscovery();
            OpenSslScan scan = discovery.Scan(process.Id);
            OpenSslLibrary libssl = Assert.Single(scan.Libraries, l => l.IsLibSsl);
            Assert.True(discovery.RememberedFiles > 2, $"libc, libssl and the program at least: {discovery.RememberedFiles}");

            // The sweep keeps what recorded processes still map: here libssl alone.
            discovery.Retain(new HashSet<FileIdentity> { libssl.File });
            Assert.Equal(1, discovery.RememberedFiles);
            discovery.Retain(new HashSet<FileIdentity>());
            Assert.Equal(0, discovery.RememberedFiles);

            // Forgotten is not lost: the next scan reads the files again and finds the same.
            Assert.Equal(scan.Libraries.Select(l => l.File), discovery.Scan(process.Id).Libraries.Select(l => l.File));
        }
        finally
        {
            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
