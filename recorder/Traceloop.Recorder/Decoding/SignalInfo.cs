using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Traceloop.Recorder.Decoding;

/// <summary>
/// A delivered signal's siginfo as strace prints it: <c>--- SIGSEGV {si_signo=SIGSEGV,
/// si_code=SEGV_MAPERR, si_addr=NULL} ---</c>. The bytes are the kernel's struct
/// kernel_siginfo on x86-64: signo, errno, code, then the union at offset 16.
/// </summary>
internal static class SignalInfo
{
    private const int SIGILL = 4, SIGTRAP = 5, SIGBUS = 7, SIGFPE = 8, SIGSEGV = 11, SIGCHLD = 17, SIGPOLL = 29, SIGSYS = 31;

    public static void AppendLine(StringBuilder sb, int signo, int code, ReadOnlySpan<byte> info)
    {
        sb.Append("--- ").Append(SignalNames.Name(signo)).Append(' ');
        AppendInfo(sb, signo, code, info);
        sb.Append(" ---");
    }

    public static void AppendInfo(StringBuilder sb, int signo, int code, ReadOnlySpan<byte> info)
    {
        sb.Append("{si_signo=").Append(SignalNames.Name(signo)).Append(", si_code=").Append(CodeName(signo, code));
        if (info.Length < 48)
        {
            sb.Append('}');
            return;
        }
        int pid = BinaryPrimitives.ReadInt32LittleEndian(info[16..]);
        uint uid = BinaryPrimitives.ReadUInt32LittleEndian(info[20..]);
        if (code <= 0 && code != SI_KERNEL)
        {
            // Sent by a process (kill, tkill, sigqueue): who sent it.
            sb.Append(CultureInfo.InvariantCulture, $", si_pid={pid}, si_uid={uid}");
        }
        else if (signo == SIGCHLD)
        {
            int status = BinaryPrimitives.ReadInt32LittleEndian(info[24..]);
            long utime = BinaryPrimitives.ReadInt64LittleEndian(info[32..]);
            long stime = BinaryPrimitives.ReadInt64LittleEndian(info[40..]);
            sb.Append(CultureInfo.InvariantCulture, $", si_pid={pid}, si_uid={uid}, si_status=");
            // CLD_KILLED and CLD_DUMPED carry a signal; the others an exit code or stop signal.
            if (code is 2 or 3 or 4 or 5)
            {
                sb.Append(SignalNames.Name(status));
            }
            else
            {
                sb.Append(status.ToString(CultureInfo.InvariantCulture));
            }
            sb.Append(CultureInfo.InvariantCulture, $", si_utime={utime}, si_stime={stime}");
        }
        else if (signo is SIGSEGV or SIGBUS or SIGILL or SIGFPE or SIGTRAP || code == SI_KERNEL)
        {
            ulong addr = BinaryPrimitives.ReadUInt64LittleEndian(info[16..]);
            sb.Append(", si_addr=");
            ArgumentText.AppendAddress(sb, addr);
        }
        sb.Append('}');
    }

    private const int SI_KERNEL = 0x80;

    private static string CodeName(int signo, int code) => code switch
    {
        0 => "SI_USER",
        SI_KERNEL => "SI_KERNEL",
        -1 => "SI_QUEUE",
        -2 => "SI_TIMER",
        -3 => "SI_MESGQ",
        -4 => "SI_ASYNCIO",
        -5 => "SI_SIGIO",
        -6 => "SI_TKILL",
        _ => signo switch
        {
            SIGSEGV => code switch { 1 => "SEGV_MAPERR", 2 => "SEGV_ACCERR", 3 => "SEGV_BNDERR", 4 => "SEGV_PKUERR", _ => Number(code) },
            SIGBUS => code switch { 1 => "BUS_ADRALN", 2 => "BUS_ADRERR", 3 => "BUS_OBJERR", 4 => "BUS_MCEERR_AR", 5 => "BUS_MCEERR_AO", _ => Number(code) },
            SIGCHLD => code switch { 1 => "CLD_EXITED", 2 => "CLD_KILLED", 3 => "CLD_DUMPED", 4 => "CLD_TRAPPED", 5 => "CLD_STOPPED", 6 => "CLD_CONTINUED", _ => Number(code) },
            SIGILL => code switch { 1 => "ILL_ILLOPC", 2 => "ILL_ILLOPN", 3 => "ILL_ILLADR", 4 => "ILL_ILLTRP", 5 => "ILL_PRVOPC", 6 => "ILL_PRVREG", 7 => "ILL_COPROC", 8 => "ILL_BADSTK", _ => Number(code) },
            SIGFPE => code switch { 1 => "FPE_INTDIV", 2 => "FPE_INTOVF", 3 => "FPE_FLTDIV", 4 => "FPE_FLTOVF", 5 => "FPE_FLTUND", 6 => "FPE_FLTRES", 7 => "FPE_FLTINV", 8 => "FPE_FLTSUB", _ => Number(code) },
            SIGTRAP => code switch { 1 => "TRAP_BRKPT", 2 => "TRAP_TRACE", 3 => "TRAP_BRANCH", 4 => "TRAP_HWBKPT", _ => Number(code) },
            SIGPOLL => code switch { 1 => "POLL_IN", 2 => "POLL_OUT", 3 => "POLL_MSG", 4 => "POLL_ERR", 5 => "POLL_PRI", 6 => "POLL_HUP", _ => Number(code) },
            SIGSYS => code == 1 ? "SYS_SECCOMP" : Number(code),
            _ => Number(code),
        },
    };

    private static string Number(int code) => code.ToString(CultureInfo.InvariantCulture);
}
