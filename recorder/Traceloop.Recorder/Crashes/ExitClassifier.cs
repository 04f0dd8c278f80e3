using Traceloop.Api;
using Traceloop.Recorder.Decoding;

namespace Traceloop.Recorder.Crashes;

/// <summary>Decides whether a main process's end keeps a dump, and with what trigger.</summary>
internal static class ExitClassifier
{
    /// <param name="waitStatus">As wait(2) encodes it: exit code in bits 8-15; or the signal in bits 0-6 and 0x80 for a core dump.</param>
    /// <param name="oomKilled">The OOM killer chose a process of the container before this end.</param>
    /// <returns>The trigger, or null when the options keep no dump for this end (a clean exit, by default).</returns>
    public static DumpTrigger? Classify(int waitStatus, bool oomKilled, int pid, CrashOptions options)
    {
        int signal = waitStatus & 0x7f;
        bool core = (waitStatus & 0x80) != 0;
        int exitCode = (waitStatus >> 8) & 0xff;
        if (oomKilled)
        {
            return !options.DumpOnOom ? null : new DumpTrigger
            {
                Kind = DumpTriggerKinds.Oom,
                Signal = signal != 0 ? signal : null,
                SignalName = signal != 0 ? SignalNames.Name(signal) : null,
                ExitCode = signal == 0 ? exitCode : null,
                Pid = pid,
            };
        }
        if (signal != 0 && signal != 0x7f)
        {
            return !options.DumpOnSignal ? null : new DumpTrigger
            {
                Kind = DumpTriggerKinds.Signal,
                Signal = signal,
                SignalName = SignalNames.Name(signal),
                CoreDumped = core,
                Pid = pid,
            };
        }
        if (exitCode != 0)
        {
            return !options.DumpOnExit ? null : new DumpTrigger { Kind = DumpTriggerKinds.Exit, ExitCode = exitCode, Pid = pid };
        }
        return null;
    }
}
