using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Traceloop.TestCommon.Tls;

/// <summary>
/// Go and C programs built by the tests, each once per test run however many tests ask (a Go
/// build of a crypto/tls client takes seconds), in a directory removed when the run ends. Shared
/// by the unit tests (which read the binaries) and the functional tests (which run them under probes).
/// </summary>
public static class BuiltPrograms
{
    public static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// A crypto/tls client: it writes its second argument to the server named by its first and
    /// prints the reply, so its binary holds (*Conn).Write and (*Conn).Read. classify has four
    /// returns, each a RET of its own.
    /// </summary>
    public const string GoTlsClient = """
        package main

        import (
        	"crypto/tls"
        	"fmt"
        	"os"
        )

        //go:noinline
        func classify(n int) string {
        	if n < 0 {
        		return "negative"
        	}
        	if n == 0 {
        		return "zero"
        	}
        	if n%2 == 0 {
        		return "even"
        	}
        	return "odd"
        }

        func main() {
        	if len(os.Args) < 3 {
        		fmt.Println(classify(len(os.Args)))
        		return
        	}
        	conn, err := tls.Dial("tcp", os.Args[1], &tls.Config{InsecureSkipVerify: true})
        	if err != nil {
        		fmt.Fprintln(os.Stderr, err)
        		os.Exit(2)
        	}
        	defer conn.Close()
        	if _, err := conn.Write([]byte(os.Args[2])); err != nil {
        		fmt.Fprintln(os.Stderr, err)
        		os.Exit(3)
        	}
        	reply := make([]byte, 4096)
        	n, err := conn.Read(reply)
        	if err != nil {
        		fmt.Fprintln(os.Stderr, err)
        		os.Exit(4)
        	}
        	fmt.Printf("%s\n", reply[:n])
        }
        """;

    /// <summary>A Go program without crypto/tls.</summary>
    public const string GoHello = """
        package main

        import "fmt"

        func main() {
        	fmt.Println("hello")
        }
        """;

    private const string GoTool = "/usr/bin/go";
    // Debian's golang-go links /usr/bin/go; a toolchain installed by hand sits here.
    private const string GoToolElsewhere = "/usr/lib/go/bin/go";

    private static readonly string OutputDirectory = CreateOutputDirectory();
    private static readonly Dictionary<string, Task<string>> s_built = [];

    /// <summary>Builds <paramref name="source"/> with <c>go build</c> (with <c>-ldflags=-s -w</c> when <paramref name="stripped"/>); returns the binary's path.</summary>
    public static Task<string> GoAsync(string source, bool stripped)
    {
        string[] flags = stripped ? ["-ldflags=-s -w"] : [];
        return Cached(source, "go" + (stripped ? "-stripped" : ""), output => GoBuildAsync(source, flags, output));
    }

    /// <summary>Builds <paramref name="source"/> with gcc, dynamically linked, exporting its functions (-rdynamic).</summary>
    public static Task<string> CAsync(string source) =>
        Cached(source, "c", async output =>
        {
            await File.WriteAllTextAsync(output + ".c", source);
            var startInfo = new ProcessStartInfo("gcc", ["-O1", "-rdynamic", "-o", output, output + ".c"]);
            await RunAsync(startInfo, "gcc");
        });

    private static Task<string> Cached(string source, string kind, Func<string, Task> build)
    {
        string key = kind + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)))[..16];
        lock (s_built)
        {
            if (!s_built.TryGetValue(key, out Task<string>? built) || built.IsFaulted)
            {
                string output = Path.Join(OutputDirectory, key);
                built = s_built[key] = Task.Run(async () =>
                {
                    await build(output);
                    return output;
                });
            }
            return built.WaitAsync(BuildTimeout);
        }
    }

    private static async Task GoBuildAsync(string source, string[] flags, string output)
    {
        string directory = output + "-src";
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Join(directory, "main.go"), source);
        string go = File.Exists(GoTool) ? GoTool : GoToolElsewhere;
        var startInfo = new ProcessStartInfo(go, ["build", .. flags, "-o", output, "main.go"]) { WorkingDirectory = directory };
        // A build cache of this run's own, no module downloads, and no toolchain switch: the test
        // needs only the standard library and must not reach the network.
        startInfo.Environment["GOCACHE"] = Path.Join(OutputDirectory, "gocache");
        startInfo.Environment["GOPATH"] = Path.Join(OutputDirectory, "gopath");
        startInfo.Environment["GOPROXY"] = "off";
        startInfo.Environment["GOTOOLCHAIN"] = "local";
        startInfo.Environment["GOFLAGS"] = "";
        // Static, so the binaries also run in a container without a libc.
        startInfo.Environment["CGO_ENABLED"] = "0";
        await RunAsync(startInfo, "go build");
    }

    /// <summary>Runs a build tool to its end within <see cref="BuildTimeout"/>; throws with its stderr when it fails.</summary>
    public static async Task RunAsync(ProcessStartInfo startInfo, string what)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{what} did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(BuildTimeout);
        string errors = await stderr;
        await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed with exit code {process.ExitCode}: {errors}");
        }
    }

    private static string CreateOutputDirectory()
    {
        string directory = Directory.CreateTempSubdirectory("traceloop-tls-programs-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A temporary directory left behind is not worth failing the run for.
            }
        };
        return directory;
    }
}
