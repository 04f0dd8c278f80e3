namespace Traceloop.Recorder.Tls;

/// <summary>
/// Finds the OpenSSL code a process runs: every executable file mapping whose symbols define
/// <c>SSL_write</c> (libssl.so.*, or a binary that links it statically), read through
/// <c>/proc/&lt;pid&gt;/root</c> and reported once per file (device, inode). What a file
/// defines is remembered per file, so libc and the other libraries every process maps are read
/// once, not once per process.
/// </summary>
internal sealed class OpenSslDiscovery
{
    internal static readonly string[] ProbedFunctions = ["SSL_write", "SSL_read", "SSL_write_ex", "SSL_read_ex"];

    private readonly string _proc;
    private readonly Dictionary<FileIdentity, OpenSslFunction[]> _functionsByFile = [];

    public OpenSslDiscovery(string proc = "/proc") => _proc = proc;

    /// <summary>Files whose OpenSSL functions are remembered.</summary>
    public int RememberedFiles => _functionsByFile.Count;

    /// <summary>
    /// Forgets every file but <paramref name="mapped"/>: images are replaced over a node's life, and
    /// each version is a new (device, inode), so a cache that only grew would hold every library
    /// ever run. A file mapped again later is read again.
    /// </summary>
    public void Retain(IReadOnlySet<FileIdentity> mapped)
    {
        foreach (FileIdentity file in _functionsByFile.Keys.Where(f => !mapped.Contains(f)).ToList())
        {
            _functionsByFile.Remove(file);
        }
    }

    /// <summary>
    /// The OpenSSL files process <paramref name="pid"/> maps. A process that has gone gives none;
    /// files that could not be read are named in <see cref="OpenSslScan.Skipped"/> with the reason.
    /// </summary>
    public OpenSslScan Scan(int pid)
    {
        string maps;
        try
        {
            maps = File.ReadAllText(Path.Join(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "maps"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new OpenSslScan([], [$"pid {pid}: cannot read its maps: {e.Message}"], 0);
        }
        string root = Path.Join(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "root");
        var found = new List<OpenSslLibrary>();
        var skipped = new List<string>();
        var seen = new HashSet<FileIdentity>();
        List<ProcMapsEntry> entries = ProcMapsEntry.Parse(maps, out int malformed);
        foreach (ProcMapsEntry entry in entries)
        {
            if (!entry.Executable || !entry.IsFile || !seen.Add(entry.File))
            {
                continue;
            }
            string hostPath = root + entry.Path;
            if (!_functionsByFile.TryGetValue(entry.File, out OpenSslFunction[]? functions))
            {
                try
                {
                    functions = DefinedFunctions(hostPath);
                }
                catch (ElfFormatException e)
                {
                    // Not remembered: the file may be readable from another process, or once its mount is ready.
                    skipped.Add(e.Message);
                    continue;
                }
                _functionsByFile[entry.File] = functions;
            }
            if (functions.Any(f => f.Name == "SSL_write"))
            {
                bool isLibSsl = Path.GetFileName(entry.Path).StartsWith("libssl.so", StringComparison.Ordinal);
                found.Add(new OpenSslLibrary(entry.File, entry.Path, hostPath, isLibSsl, functions));
            }
        }
        return new OpenSslScan(found, skipped, malformed);
    }

    private static OpenSslFunction[] DefinedFunctions(string path)
    {
        using ElfFile elf = ElfFile.Open(path);
        var functions = new List<OpenSslFunction>();
        foreach (ElfSymbol symbol in elf.ReadSymbols())
        {
            if (!symbol.IsDefined || symbol.Type != ElfSymbolType.Func || !ProbedFunctions.Contains(symbol.Name)
                || functions.Any(f => f.Name == symbol.Name))
            {
                continue;
            }
            // A symbol no segment maps cannot be probed; leaving it out says so more plainly than an offset would.
            if (elf.TryGetFileOffset(symbol.Value, out long offset))
            {
                functions.Add(new OpenSslFunction(symbol.Name, offset));
            }
        }
        return [.. functions.OrderBy(f => f.Name, StringComparer.Ordinal)];
    }
}
