namespace Traceloop.Recorder.Decoding;

/// <summary>x86-64 signal numbers and their names.</summary>
internal static class SignalNames
{
    private static readonly string[] Names =
    [
        "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
        "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
        "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
        "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ];

    // strace 6.1 counts real-time signals from the kernel's SIGRTMIN (32), not glibc's (34):
    // 32 is SIGRTMIN, 33 SIGRT_1, up to 64 SIGRT_32 (checked against strace on this platform).
    private const int SIGRTMIN = 32;
    private const int SIGRTMAX = 64;

    private static readonly string[] RealTime = BuildRealTime();

    public static string Name(int signal) => signal switch
    {
        >= 0 and < SIGRTMIN => Names[signal],
        >= SIGRTMIN and <= SIGRTMAX => RealTime[signal - SIGRTMIN],
        _ => signal.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string[] BuildRealTime()
    {
        var names = new string[SIGRTMAX - SIGRTMIN + 1];
        names[0] = "SIGRTMIN";
        for (int i = 1; i < names.Length; i++)
        {
            names[i] = "SIGRT_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return names;
    }
}
