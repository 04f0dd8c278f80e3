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

    public static string Name(int signal) =>
        (uint)signal < (uint)Names.Length ? Names[signal]
        : signal >= 32 && signal <= 64 ? (signal == 34 ? "SIGRTMIN" : $"SIGRT_{signal - 32}")
        : signal.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
