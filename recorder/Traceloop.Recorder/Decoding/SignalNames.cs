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

    // Real-time signals are counted from glibc's SIGRTMIN (34), as strace names them; 32 and
    // 33 belong to the threading library and keep their numbers.
    private const int SIGRTMIN = 34;
    private const int SIGRTMAX = 64;

    public static string Name(int signal) => signal switch
    {
        >= 0 and < 32 => Names[signal],
        SIGRTMIN => "SIGRTMIN",
        > SIGRTMIN and <= SIGRTMAX => $"SIGRT_{signal - SIGRTMIN}",
        _ => signal.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
