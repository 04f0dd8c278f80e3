using Microsoft.Win32.SafeHandles;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Tls;

/// <summary>
/// The TLS uprobes of bpf/traceloop.bpf.c attached to library files: OpenSSL's four calls at
/// entry and return, Go's (*Conn).Write and Read at entry and at every RET. A file is probed
/// once, by (device, inode), whichever process or container led to it; its links are kept until
/// it is detached or this is disposed. Attaching is all or nothing per file: a file where one
/// probe fails keeps none, so a half-probed library never records entries without returns.
/// Each probe is attached from the program's fd (<see cref="UprobeLink"/>), so a recorder that
/// took the programs over from pins attaches the same way as one that loaded them.
/// </summary>
internal sealed class TlsProbes : IDisposable
{
    private readonly Func<string, SafeFileHandle?> _program;
    private readonly Dictionary<FileIdentity, List<SafeFileHandle>> _attached = [];
    private readonly Lock _lock = new();

    public TlsProbes(KernelProbes kernel) : this(kernel.TlsProgram) { }

    /// <param name="program">A TLS program's fd by name (owned by the caller), or null when there is none.</param>
    internal TlsProbes(Func<string, SafeFileHandle?> program) => _program = program;

    /// <summary>Files probed now.</summary>
    public int AttachedFiles
    {
        get
        {
            lock (_lock)
            {
                return _attached.Count;
            }
        }
    }

    /// <summary>Uprobes in place now, over all files.</summary>
    public int AttachedProbes
    {
        get
        {
            lock (_lock)
            {
                return _attached.Values.Sum(l => l.Count);
            }
        }
    }

    /// <summary>The files probed now.</summary>
    public IReadOnlyList<FileIdentity> Files
    {
        get
        {
            lock (_lock)
            {
                return [.. _attached.Keys];
            }
        }
    }

    public bool IsAttached(FileIdentity file)
    {
        lock (_lock)
        {
            return _attached.ContainsKey(file);
        }
    }

    /// <summary>Probes an OpenSSL file: entry of each function it defines, and its return.</summary>
    public TlsAttachResult AttachOpenSsl(OpenSslLibrary library)
    {
        var plan = new List<(string Program, long Offset, bool Return)>();
        foreach (OpenSslFunction function in library.Functions)
        {
            string entry = function.Name switch
            {
                "SSL_write" => "tl_tls_ssl_write",
                "SSL_read" => "tl_tls_ssl_read",
                "SSL_write_ex" => "tl_tls_ssl_write_ex",
                "SSL_read_ex" => "tl_tls_ssl_read_ex",
                _ => throw new ArgumentException($"{function.Name} is not an OpenSSL function this probes", nameof(library)),
            };
            plan.Add((entry, function.FileOffset, false));
            plan.Add(("tl_tls_ssl_return", function.FileOffset, true));
        }
        return Attach(library.File, library.HostPath, plan);
    }

    /// <summary>Probes a Go binary at the sites <see cref="GoTlsProbeSites.Locate(string, out string?)"/> found.</summary>
    public TlsAttachResult AttachGo(FileIdentity file, string hostPath, GoTlsProbeSites sites)
    {
        var plan = new List<(string Program, long Offset, bool Return)>
        {
            ("tl_tls_go_write", sites.Write.EntryOffset, false),
            ("tl_tls_go_read", sites.Read.EntryOffset, false),
        };
        // An ordinary uprobe on each RET: a uretprobe would rewrite the return address on a stack Go may move.
        plan.AddRange(sites.Write.RetOffsets.Concat(sites.Read.RetOffsets).Select(offset => ("tl_tls_go_return", offset, false)));
        return Attach(file, hostPath, plan);
    }

    /// <summary>Removes a file's probes (its last process has gone); false when it had none.</summary>
    public bool Detach(FileIdentity file)
    {
        List<SafeFileHandle>? links;
        lock (_lock)
        {
            if (!_attached.Remove(file, out links))
            {
                return false;
            }
        }
        links.ForEach(l => l.Dispose());
        return true;
    }

    public void Dispose()
    {
        List<SafeFileHandle> links;
        lock (_lock)
        {
            links = [.. _attached.Values.SelectMany(l => l)];
            _attached.Clear();
        }
        links.ForEach(l => l.Dispose());
    }

    private TlsAttachResult Attach(FileIdentity file, string path, List<(string Program, long Offset, bool Return)> plan)
    {
        lock (_lock)
        {
            if (_attached.TryGetValue(file, out List<SafeFileHandle>? existing))
            {
                return TlsAttachResult.AlreadyAttached(existing.Count);
            }
        }
        var links = new List<SafeFileHandle>(plan.Count);
        foreach ((string program, long offset, bool isReturn) in plan)
        {
            SafeFileHandle? prog = _program(program);
            if (prog is null || prog.IsInvalid)
            {
                links.ForEach(l => l.Dispose());
                return TlsAttachResult.Failed($"program {program} is not loaded in this recorder");
            }
            SafeFileHandle? link = UprobeLink.Attach(prog, path, offset, isReturn, out string? error);
            if (link is null)
            {
                links.ForEach(l => l.Dispose());
                return TlsAttachResult.Failed($"attaching {program}: {error}");
            }
            links.Add(link);
        }
        lock (_lock)
        {
            if (!_attached.TryAdd(file, links))
            {
                // Another caller attached the same file meanwhile: keep one set.
                links.ForEach(l => l.Dispose());
                return TlsAttachResult.AlreadyAttached(_attached[file].Count);
            }
        }
        return new TlsAttachResult(links.Count, false, null);
    }
}
