using Microsoft.Win32.SafeHandles;

namespace Traceloop.FunctionalTests.Containers;

/// <summary>
/// A container init that this process adopted: we are a child subreaper, so when the detached `runc create`
/// exits its orphaned init is reparented to us, and its real exit status (including death by signal) reaches us
/// through waitid. A pidfd names it, so neither the wait nor a signal can hit a recycled pid.
/// </summary>
internal sealed class AdoptedProcess : IDisposable
{
    private static readonly Lazy<bool> s_subreaper = new(() =>
    {
        // Process-wide and not inherited across fork: only this process collects orphans, its children do not.
        // Other orphaned descendants of the test process become our zombies too; tests start few such processes.
        Interop.Libc.SetChildSubreaper();
        return Interop.Libc.IsChildSubreaper();
    });

    private readonly SafeFileHandle _pidfd;
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AdoptedProcess(int pid, SafeFileHandle pidfd)
    {
        Pid = pid;
        _pidfd = pidfd;
        // waitid blocks a thread; a pidfd cannot join the runtime's epoll loop through a public API,
        // and one parked thread per live container is cheap next to a polling loop.
        var waiter = new Thread(WaitForExit) { IsBackground = true, Name = $"wait {pid}" };
        waiter.Start();
    }

    public int Pid { get; }

    /// <summary>The exit code, or 128 + the signal number when a signal killed it, as a shell reports it.</summary>
    public Task<int> Exit => _exit.Task;

    public static void BecomeChildSubreaper()
    {
        if (!s_subreaper.Value)
        {
            throw new InvalidOperationException("PR_SET_CHILD_SUBREAPER did not take effect");
        }
    }

    /// <summary>Adopts <paramref name="pid"/>, which must already have been reparented to this process.</summary>
    public static AdoptedProcess Open(int pid)
    {
        var pidfd = Interop.Libc.PidfdOpen(pid);
        // Checked after pidfd_open: a child we have not reaped cannot exit from under the check or be recycled.
        int parent = ReadParentPid(pid);
        if (parent != Environment.ProcessId)
        {
            pidfd.Dispose();
            throw new InvalidOperationException(
                $"container init {pid} has parent {parent}, not this process ({Environment.ProcessId}): its exit status would be lost");
        }
        return new AdoptedProcess(pid, pidfd);
    }

    /// <returns>false when the process has already exited and been reaped.</returns>
    public bool Signal(int signal) => Interop.Libc.PidfdSendSignal(_pidfd, signal);

    public void Dispose() => _pidfd.Dispose();

    private void WaitForExit()
    {
        try
        {
            var info = Interop.Libc.WaitPidfdExited(_pidfd);
            _exit.TrySetResult(info.si_code == Interop.Libc.CLD_EXITED ? info.si_status : 128 + info.si_status);
        }
        catch (Exception e)
        {
            _exit.TrySetException(e);
        }
    }

    private static int ReadParentPid(int pid)
    {
        // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so split after the last ')'.
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
