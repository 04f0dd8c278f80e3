using System.Text.RegularExpressions;
using Traceloop.TestCommon.Deploy;

namespace Traceloop.Tests.Repository;

/// <summary>
/// A fresh machine passes only if every program that a test, script or benchmark starts is
/// installed by the project's own install step, scripts/prereqs.sh: a program installed by hand
/// on one machine keeps that machine green and fails the next. The test finds the programs
/// started by name and checks each one's Debian package against the lists that the entry point
/// (test.sh, bench/run.sh) installs.
/// </summary>
public sealed partial class InstallStepTests
{
    /// <summary>Program → the Debian 12 package that installs it. A new program started by a test goes here first.</summary>
    private static readonly Dictionary<string, string> PackageOf = new(StringComparer.Ordinal)
    {
        ["bpftool"] = "bpftool",
        ["busybox"] = "busybox-static",
        ["clang"] = "clang",
        ["curl"] = "curl",
        ["gcc"] = "gcc",
        ["go"] = "golang-go",
        ["jq"] = "jq",
        ["kubectl"] = "kubectl",
        ["lz4"] = "lz4",
        ["make"] = "make",
        ["openssl"] = "openssl",
        ["perf"] = "linux-perf",
        ["prometheus"] = "prometheus",
        ["promtool"] = "prometheus",
        ["redis-benchmark"] = "redis-tools",
        ["redis-cli"] = "redis-tools",
        ["redis-server"] = "redis-server",
        ["runc"] = "runc",
        ["setpriv"] = "util-linux",
        ["strace"] = "strace",
        ["unshare"] = "util-linux",
    };

    /// <summary>
    /// Programs every Debian machine has (Essential packages: coreutils, dash, bash, grep, sed,
    /// findutils, libc-bin, dpkg; apt; mawk), git (the repository is a clone) and dotnet, which
    /// traceloop_install installs itself when it is missing.
    /// </summary>
    private static readonly HashSet<string> AlwaysPresent = new(StringComparer.Ordinal)
    {
        "sh", "bash", "cat", "cp", "mv", "rm", "ln", "ls", "mkdir", "rmdir", "stat", "od", "tr", "cut", "sort", "head",
        "tail", "date", "seq", "sleep", "kill", "id", "env", "mktemp", "dirname", "basename", "uname", "nproc", "getconf",
        "install", "tee", "wc", "grep", "sed", "find", "awk", "echo", "printf", "true", "false", "test", "pwd",
        "apt-get", "dpkg-query", "git", "dotnet", "chroot", "ldd", "ldconfig",
    };

    /// <summary>Where programs are started, and the prereqs.sh lists installed before they run there.</summary>
    private static readonly (string Area, string InstalledBy, string[] Lists)[] Areas =
    [
        ("tests", "scripts/test.sh", ["TRACELOOP_BUILD_PACKAGES", "TRACELOOP_TEST_PACKAGES"]),
        ("scripts", "scripts/test.sh", ["TRACELOOP_BUILD_PACKAGES", "TRACELOOP_TEST_PACKAGES"]),
        ("bench", "bench/run.sh", ["TRACELOOP_BUILD_PACKAGES", "TRACELOOP_BENCH_PACKAGES"]),
    ];

    private static readonly string Root = RenderedManifests.RepoRoot();

    [Fact]
    public void EveryProgramStartedByATestScriptOrBenchmark_IsInstalledByPrereqs()
    {
        Dictionary<string, string[]> lists = PackageLists(File.ReadAllText(Path.Join(Root, "scripts", "prereqs.sh")));
        var problems = new List<string>();
        foreach ((string area, string installedBy, string[] listNames) in Areas)
        {
            var installed = new HashSet<string>(StringComparer.Ordinal);
            foreach (string name in listNames)
            {
                Assert.True(lists.TryGetValue(name, out string[]? packages), $"scripts/prereqs.sh defines no {name}");
                installed.UnionWith(packages);
            }
            foreach ((string file, string program) in ProgramsStartedIn(area))
            {
                if (AlwaysPresent.Contains(program))
                {
                    continue;
                }
                if (!PackageOf.TryGetValue(program, out string? package))
                {
                    problems.Add($"{file} starts '{program}', which {nameof(InstallStepTests)} cannot map to a Debian package: "
                        + "add it to PackageOf, and its package to scripts/prereqs.sh");
                }
                else if (!installed.Contains(package))
                {
                    problems.Add($"{file} starts '{program}', but its Debian package '{package}' is in none of "
                        + $"{string.Join(", ", listNames)} in scripts/prereqs.sh, which {installedBy} installs");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems.Distinct(StringComparer.Ordinal)));
    }

    [Fact]
    public void TheEntryPointsSourcePrereqsAndInstallTheirLists()
    {
        foreach ((_, string installedBy, string[] listNames) in Areas)
        {
            string script = File.ReadAllText(Path.Join(Root, installedBy));
            Assert.Matches(SourcesPrereqs(), script);
            string install = "traceloop_install " + string.Join(' ', listNames.Select(l => $"\"${{{l}[@]}}\""));
            Assert.True(script.Contains(install, StringComparison.Ordinal), $"{installedBy} does not run: {install}");
        }
    }

    [Fact]
    public void TheScanFindsTheProgramsThatAreKnownToBeStarted()
    {
        // Guards the patterns: if the tests change how they start programs, the scan must follow.
        HashSet<string> found = [.. new[] { "tests", "bench" }.SelectMany(ProgramsStartedIn).Select(p => $"{Path.GetFileName(p.File)}: {p.Program}")];
        Assert.Superset(new HashSet<string>
        {
            "KernelMaps.cs: bpftool", "StraceSession.cs: strace", "StaticBinary.cs: gcc", "CrashCollectionTests.cs: lz4",
            "Runc.cs: runc", "BusyboxRootfs.cs: busybox", "RenderedManifests.cs: kubectl", "RecorderProcess.cs: setpriv",
            "PodSandbox.cs: bash", "ConfigMapReloadTests.cs: mv", "CgroupV1Tests.cs: stat",
            "run.sh: bpftool", "run.sh: clang", "run.sh: gcc", "run.sh: jq", "run.sh: runc", "run.sh: strace", "run.sh: curl",
            "redis-case.sh: redis-cli", "redis-case.sh: redis-server", "profile.sh: perf",
        }, found);
    }

    [Fact]
    public void PackageListsAreReadAsPrereqsWritesThem()
    {
        Dictionary<string, string[]> lists = PackageLists("X=1\nTRACELOOP_A_PACKAGES=(a b-c)\n# TRACELOOP_B_PACKAGES=(no)\nTRACELOOP_C_PACKAGES=()\n");
        Assert.Equal(["a", "b-c"], lists["TRACELOOP_A_PACKAGES"]);
        Assert.Empty(lists["TRACELOOP_C_PACKAGES"]);
        Assert.False(lists.ContainsKey("TRACELOOP_B_PACKAGES"));
    }

    private static Dictionary<string, string[]> PackageLists(string prereqs) =>
        PackageList().Matches(prereqs).ToDictionary(
            m => m.Groups["name"].Value,
            m => m.Groups["packages"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            StringComparer.Ordinal);

    /// <summary>(file relative to the root, program) for every program started by name in one top-level folder.</summary>
    private static IEnumerable<(string File, string Program)> ProgramsStartedIn(string area)
    {
        var files = Directory.EnumerateFiles(Path.Join(Root, area), "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}out{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                // This file names programs in its comments and data, and starts none.
                && !f.EndsWith($"{nameof(InstallStepTests)}.cs", StringComparison.Ordinal));
        if (area == "scripts")
        {
            files = files.Append(Path.Join(Root, ".ci", "run"));
        }
        foreach (string path in files.Order(StringComparer.Ordinal))
        {
            string relative = Path.GetRelativePath(Root, path);
            IEnumerable<string> programs = path.EndsWith(".cs", StringComparison.Ordinal) ? StartedByCSharp(File.ReadAllText(path))
                : path.EndsWith(".sh", StringComparison.Ordinal) || relative == Path.Join(".ci", "run") ? StartedByShell(File.ReadAllText(path))
                : [];
            foreach (string program in programs.Distinct(StringComparer.Ordinal))
            {
                yield return (relative, program);
            }
        }
    }

    /// <summary>
    /// The ways the tests start a program by name: <c>new ProcessStartInfo("strace")</c> (also in a
    /// conditional first argument), <c>Process.Start("mv", ...)</c>, a helper <c>Run("bpftool", ...)</c>,
    /// a path in a system directory (<c>"/usr/sbin/runc"</c>), and a launcher array <c>["bash", "-c", ...]</c>.
    /// </summary>
    private static IEnumerable<string> StartedByCSharp(string source)
    {
        // A call in the first argument (Release("traceloop")) finds one of the project's own binaries.
        foreach (Match m in FirstArgumentOfStart().Matches(source).Where(m => !m.Groups["arg"].Value.Contains('(', StringComparison.Ordinal)))
        {
            foreach (Match literal in StringLiteral().Matches(m.Groups["arg"].Value))
            {
                yield return literal.Groups["s"].Value;
            }
        }
        foreach (Regex pattern in new[] { HelperRun(), SystemPath(), ShellLauncher() })
        {
            foreach (Match m in pattern.Matches(source))
            {
                yield return m.Groups["program"].Value;
            }
        }
    }

    /// <summary>
    /// Words in command position (line start, after | ; &amp;&amp; || $( and the like) that name a program
    /// of <see cref="PackageOf"/>. Shell text is too free to tell every program from prose in a
    /// message, so a program new to the scripts is caught once it is added to the map.
    /// </summary>
    private static IEnumerable<string> StartedByShell(string script)
    {
        foreach (string rawLine in script.Split('\n'))
        {
            string line = ShellComment().Replace(SingleQuoted().Replace(rawLine, "''"), "");
            foreach (string segment in CommandSeparator().Split(line))
            {
                string[] words = segment.Trim().TrimStart('"').Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                string? first = words.SkipWhile(w => Assignment().IsMatch(w)).FirstOrDefault();
                if (first is not null && PackageOf.ContainsKey(first))
                {
                    yield return first;
                }
            }
        }
    }

    [GeneratedRegex(@"^(?<name>TRACELOOP_\w+_PACKAGES)=\((?<packages>[^)]*)\)", RegexOptions.Multiline)]
    private static partial Regex PackageList();

    [GeneratedRegex(@"^\s*(source|\.)\s+""\$\w+/scripts/prereqs\.sh""", RegexOptions.Multiline)]
    private static partial Regex SourcesPrereqs();

    [GeneratedRegex(@"\b(?:ProcessStartInfo|Process\.Start)\((?<arg>[^,)]*)")]
    private static partial Regex FirstArgumentOfStart();

    [GeneratedRegex(@"""(?<s>[a-z][a-z0-9._+-]*)""")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\b(?:Run|RunAsync|Exec|StartProcess)\(\s*""(?<program>[a-z][a-z0-9._+-]*)""")]
    private static partial Regex HelperRun();

    [GeneratedRegex(@"(?<![\\\w])""/(?:usr/)?s?bin/(?<program>[a-z][a-z0-9._+-]*)""")]
    private static partial Regex SystemPath();

    [GeneratedRegex(@"[\[{(]\s*""(?<program>[a-z][a-z0-9._+-]*)""\s*,\s*""-c""")]
    private static partial Regex ShellLauncher();

    [GeneratedRegex(@"'[^']*'")]
    private static partial Regex SingleQuoted();

    [GeneratedRegex(@"(^|\s)#.*$")]
    private static partial Regex ShellComment();

    [GeneratedRegex(@"\|\||&&|\$\(|<\(|[|;&(){}`!]|\b(?:then|do|else|elif|if|while|until|time|exec|xargs)\b")]
    private static partial Regex CommandSeparator();

    [GeneratedRegex(@"^[A-Za-z_]\w*(\[[^]]*\])?\+?=")]
    private static partial Regex Assignment();
}
