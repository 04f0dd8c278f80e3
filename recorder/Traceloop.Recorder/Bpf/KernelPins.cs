using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Traceloop.Recorder.Bpf;

/// <summary>
/// The bpffs directory under which the programs, maps and rings outlive the recorder process.
/// <code>
///   &lt;dir&gt;/state/maps/&lt;map&gt;     the object's maps (meta last: its value says what the state is)
///   &lt;dir&gt;/state/links/&lt;prog&gt;   the attached programs: pinned links stay attached
///   &lt;dir&gt;/state/progs/&lt;prog&gt;   the TLS uprobe programs, attached per file by whichever recorder runs
///   &lt;dir&gt;/state/rings/&lt;slot&gt;   each ring in the rings map, so a new process can map it again
/// </code>
/// A fresh state is pinned under <c>staging</c> and renamed to <c>state</c> in one step, so a
/// recorder killed while pinning leaves either a complete state or none. The directory is held
/// with flock: two recorders never share one.
/// </summary>
internal sealed class KernelPins : IDisposable
{
    public const string DefaultDirectory = "/sys/fs/bpf/traceloop";
    private const string BpffsMount = "/sys/fs/bpf";

    private readonly SafeFileHandle _lock;

    private KernelPins(string directory, SafeFileHandle held)
    {
        Directory = directory;
        _lock = held;
    }

    public string Directory { get; }

    private string StateDir => Path.Join(Directory, "state");

    private string StagingDir => Path.Join(Directory, "staging");

    /// <summary>True when a complete state is pinned (a staging leftover does not count).</summary>
    public bool HasState => System.IO.Directory.Exists(StateDir);

    /// <summary>
    /// Takes the pin directory, mounting a bpffs on /sys/fs/bpf when none is there and this
    /// process may. Throws <see cref="KernelPinsUnavailableException"/> when pinning is not
    /// possible here (no bpffs and no right to mount one), and a <see cref="BpfException"/> when
    /// another recorder holds the directory.
    /// </summary>
    public static KernelPins Open(string directory)
    {
        directory = Path.GetFullPath(directory);
        EnsureBpffs(directory);
        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelPinsUnavailableException($"cannot make the pin directory {directory}: {e.Message}");
        }
        SafeFileHandle held = Interop.Libc.open_directory(directory, Interop.Libc.O_RDONLY | Interop.Libc.O_DIRECTORY | Interop.Libc.O_CLOEXEC);
        if (held.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            held.Dispose();
            throw new KernelPinsUnavailableException($"cannot open the pin directory {directory}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        if (Interop.Libc.flock(held, Interop.Libc.LOCK_EX | Interop.Libc.LOCK_NB) != 0)
        {
            held.Dispose();
            throw new BpfException(
                $"another recorder holds the pinned state at {directory}; stop it, or give each recorder its own --pin-dir", Errno.EBUSY);
        }
        return new KernelPins(directory, held);
    }

    private static void EnsureBpffs(string directory)
    {
        string probe = directory;
        while (!System.IO.Directory.Exists(probe))
        {
            probe = Path.GetDirectoryName(probe) ?? "/";
        }
        if (IsBpffs(probe))
        {
            return;
        }
        if (!directory.StartsWith(BpffsMount + "/", StringComparison.Ordinal) || !System.IO.Directory.Exists(BpffsMount))
        {
            throw new KernelPinsUnavailableException($"{probe} is not on a bpffs");
        }
        // The host usually mounts it (systemd does); a bare node or a VM may not have.
        if (Interop.Libc.mount("bpf", BpffsMount, "bpf", 0, "mode=0700") != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new KernelPinsUnavailableException(
                $"no bpffs is mounted on {BpffsMount} and mounting one failed ({Marshal.GetPInvokeErrorMessage(errno)}); mount it on the host (mount -t bpf bpf {BpffsMount})");
        }
    }

    private static bool IsBpffs(string path) =>
        Interop.Libc.statfs(path, out Interop.Libc.statfs_buf buf) == 0 && buf.f_type == Interop.Libc.BPF_FS_MAGIC;

    /// <summary>
    /// Discards the pinned recording under <paramref name="directory"/> and removes the directory:
    /// its programs detach and its rings are freed. Refused while a recorder holds it. Returns what was done.
    /// </summary>
    public static string Uninstall(string directory)
    {
        if (string.IsNullOrEmpty(directory) || !System.IO.Directory.Exists(directory))
        {
            return $"nothing is pinned{(string.IsNullOrEmpty(directory) ? "" : " in " + directory)}";
        }
        using (KernelPins pins = Open(directory))
        {
            pins.Discard();
        }
        System.IO.Directory.Delete(directory);
        return $"discarded the pinned recording in {directory}: its programs are detached and its rings freed";
    }

    /// <summary>Starts pinning a fresh state: clears a leftover staging directory and makes an empty one.</summary>
    public void BeginStaging()
    {
        DeleteTree(StagingDir);
        foreach (string sub in (string[])["maps", "links", "progs", "rings"])
        {
            System.IO.Directory.CreateDirectory(Path.Join(StagingDir, sub));
        }
    }

    public void PinStaged(string kind, string name, int fd) => Pin(fd, Path.Join(StagingDir, kind, name));

    /// <summary>Publishes the staged state; a state already there must have been discarded first.</summary>
    public void Commit()
    {
        if (HasState)
        {
            throw new InvalidOperationException("a pinned state is already there");
        }
        System.IO.Directory.Move(StagingDir, StateDir);
    }

    /// <summary>
    /// Unpins the whole state (and any staging leftover). Links that only the pins held are
    /// detached, and maps and rings that nothing else holds are freed.
    /// </summary>
    public void Discard()
    {
        DeleteTree(StagingDir);
        DeleteTree(StateDir);
    }

    /// <summary>Opens a pinned object of the committed state; null when it is not there.</summary>
    public SafeFileHandle? Get(string kind, string name)
    {
        int fd = Interop.Libbpf.bpf_obj_get(Path.Join(StateDir, kind, name));
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ENOENT)
            {
                return null;
            }
            throw BpfException.FromErrno($"opening the pinned {name} in {StateDir}/{kind}", errno);
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Names pinned under one kind of the committed state.</summary>
    public IReadOnlyList<string> List(string kind)
    {
        string dir = Path.Join(StateDir, kind);
        return System.IO.Directory.Exists(dir)
            ? [.. System.IO.Directory.EnumerateFileSystemEntries(dir).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal)]
            : [];
    }

    /// <summary>Pins a ring under its slot in the committed state, replacing what was there.</summary>
    public void PinRing(uint slot, int fd)
    {
        string path = Path.Join(StateDir, "rings", slot.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Delete(path);
        Pin(fd, path);
    }

    public void UnpinRing(uint slot) =>
        File.Delete(Path.Join(StateDir, "rings", slot.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static void Pin(int fd, string path)
    {
        if (Interop.Libbpf.bpf_obj_pin(fd, path) != 0)
        {
            throw BpfException.FromErrno($"pinning {path}", Marshal.GetLastPInvokeError());
        }
    }

    private static void DeleteTree(string path)
    {
        if (System.IO.Directory.Exists(path))
        {
            System.IO.Directory.Delete(path, recursive: true);
        }
    }

    public void Dispose() => _lock.Dispose();
}

/// <summary>Pinning is not possible on this host: the recorder runs, and its rings end with it.</summary>
internal sealed class KernelPinsUnavailableException(string message) : Exception(message);
