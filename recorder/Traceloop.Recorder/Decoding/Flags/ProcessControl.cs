using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>prctl options and the arguments of the common ones, arch_prctl codes, personality, and resource limits.</summary>
internal static class ProcessControl
{
    private const int PR_SET_PDEATHSIG = 1;
    private const int PR_GET_PDEATHSIG = 2;
    private const int PR_GET_DUMPABLE = 3;
    private const int PR_SET_DUMPABLE = 4;
    private const int PR_GET_UNALIGN = 5;
    private const int PR_SET_UNALIGN = 6;
    private const int PR_GET_KEEPCAPS = 7;
    private const int PR_SET_KEEPCAPS = 8;
    private const int PR_GET_FPEMU = 9;
    private const int PR_SET_FPEMU = 10;
    private const int PR_GET_FPEXC = 11;
    private const int PR_SET_FPEXC = 12;
    private const int PR_GET_TIMING = 13;
    private const int PR_SET_TIMING = 14;
    internal const int PR_SET_NAME = 15;
    internal const int PR_GET_NAME = 16;
    private const int PR_GET_ENDIAN = 19;
    private const int PR_SET_ENDIAN = 20;
    private const int PR_GET_SECCOMP = 21;
    private const int PR_SET_SECCOMP = 22;
    private const int PR_CAPBSET_READ = 23;
    private const int PR_CAPBSET_DROP = 24;
    private const int PR_GET_TSC = 25;
    private const int PR_SET_TSC = 26;
    private const int PR_GET_SECUREBITS = 27;
    private const int PR_SET_SECUREBITS = 28;
    private const int PR_SET_TIMERSLACK = 29;
    private const int PR_GET_TIMERSLACK = 30;
    private const int PR_TASK_PERF_EVENTS_DISABLE = 31;
    private const int PR_TASK_PERF_EVENTS_ENABLE = 32;
    private const int PR_SET_CHILD_SUBREAPER = 36;
    private const int PR_GET_CHILD_SUBREAPER = 37;
    private const int PR_SET_NO_NEW_PRIVS = 38;
    private const int PR_GET_TID_ADDRESS = 40;
    private const int PR_SET_THP_DISABLE = 41;
    private const int PR_SET_FP_MODE = 45;
    private const int PR_GET_FP_MODE = 46;
    private const int PR_SVE_SET_VL = 50;
    private const int PR_SVE_GET_VL = 51;
    private const int PR_GET_SPECULATION_CTRL = 52;
    private const int PR_SET_SPECULATION_CTRL = 53;
    private const int PR_SME_SET_VL = 63;
    private const int PR_SME_GET_VL = 64;
    private const int PR_SET_IO_FLUSHER = 57;
    private const int PR_SET_PTRACER = 0x59616d61;
    private const ulong SECCOMP_MODE_STRICT = 1;
    private const ulong SECCOMP_MODE_FILTER = 2;

    private const int ARCH_GET_FS = 0x1003;
    private const int ARCH_GET_GS = 0x1004;
    private const int ARCH_GET_CPUID = 0x1011;
    private const int ARCH_GET_XCOMP_SUPP = 0x1021;
    private const int ARCH_GET_XCOMP_PERM = 0x1022;
    private const int ARCH_GET_XCOMP_GUEST_PERM = 0x1024;

    private const ulong PER_MASK = 0xff;

    private static readonly NameTable Options = new(
        "PR_???",
        new(1, "PR_SET_PDEATHSIG"),
        new(2, "PR_GET_PDEATHSIG"),
        new(3, "PR_GET_DUMPABLE"),
        new(4, "PR_SET_DUMPABLE"),
        new(5, "PR_GET_UNALIGN"),
        new(6, "PR_SET_UNALIGN"),
        new(7, "PR_GET_KEEPCAPS"),
        new(8, "PR_SET_KEEPCAPS"),
        new(9, "PR_GET_FPEMU"),
        new(10, "PR_SET_FPEMU"),
        new(11, "PR_GET_FPEXC"),
        new(12, "PR_SET_FPEXC"),
        new(13, "PR_GET_TIMING"),
        new(14, "PR_SET_TIMING"),
        new(15, "PR_SET_NAME"),
        new(16, "PR_GET_NAME"),
        new(19, "PR_GET_ENDIAN"),
        new(20, "PR_SET_ENDIAN"),
        new(21, "PR_GET_SECCOMP"),
        new(22, "PR_SET_SECCOMP"),
        new(23, "PR_CAPBSET_READ"),
        new(24, "PR_CAPBSET_DROP"),
        new(25, "PR_GET_TSC"),
        new(26, "PR_SET_TSC"),
        new(27, "PR_GET_SECUREBITS"),
        new(28, "PR_SET_SECUREBITS"),
        new(29, "PR_SET_TIMERSLACK"),
        new(30, "PR_GET_TIMERSLACK"),
        new(31, "PR_TASK_PERF_EVENTS_DISABLE"),
        new(32, "PR_TASK_PERF_EVENTS_ENABLE"),
        new(33, "PR_MCE_KILL"),
        new(34, "PR_MCE_KILL_GET"),
        new(35, "PR_SET_MM"),
        new(36, "PR_SET_CHILD_SUBREAPER"),
        new(37, "PR_GET_CHILD_SUBREAPER"),
        new(38, "PR_SET_NO_NEW_PRIVS"),
        new(39, "PR_GET_NO_NEW_PRIVS"),
        new(40, "PR_GET_TID_ADDRESS"),
        new(41, "PR_SET_THP_DISABLE"),
        new(42, "PR_GET_THP_DISABLE"),
        new(43, "PR_MPX_ENABLE_MANAGEMENT"),
        new(44, "PR_MPX_DISABLE_MANAGEMENT"),
        new(45, "PR_SET_FP_MODE"),
        new(46, "PR_GET_FP_MODE"),
        new(47, "PR_CAP_AMBIENT"),
        new(50, "PR_SVE_SET_VL"),
        new(51, "PR_SVE_GET_VL"),
        new(52, "PR_GET_SPECULATION_CTRL"),
        new(53, "PR_SET_SPECULATION_CTRL"),
        new(54, "PR_PAC_RESET_KEYS"),
        new(55, "PR_SET_TAGGED_ADDR_CTRL"),
        new(56, "PR_GET_TAGGED_ADDR_CTRL"),
        new(57, "PR_SET_IO_FLUSHER"),
        new(58, "PR_GET_IO_FLUSHER"),
        new(59, "PR_SET_SYSCALL_USER_DISPATCH"),
        new(60, "PR_PAC_SET_ENABLED_KEYS"),
        new(61, "PR_PAC_GET_ENABLED_KEYS"),
        new(62, "PR_SCHED_CORE"),
        new(63, "PR_SME_SET_VL"),
        new(64, "PR_SME_GET_VL"),
        new(0x59616d61, "PR_SET_PTRACER"));

    private static readonly NameTable DumpableModes = new(
        "SUID_DUMP_???",
        new(0, "SUID_DUMP_DISABLE"),
        new(1, "SUID_DUMP_USER"),
        new(2, "SUID_DUMP_ROOT"));

    private static readonly NameTable UnalignFlags = new(
        "PR_UNALIGN_???",
        new(1, "PR_UNALIGN_NOPRINT"),
        new(2, "PR_UNALIGN_SIGBUS"));

    private static readonly NameTable TscModes = new(
        "PR_TSC_???",
        new(1, "PR_TSC_ENABLE"),
        new(2, "PR_TSC_SIGSEGV"));

    private static readonly NameTable SecureBits = new(
        "SECBIT_???",
        new(0x1, "SECBIT_NOROOT"),
        new(0x2, "SECBIT_NOROOT_LOCKED"),
        new(0x4, "SECBIT_NO_SETUID_FIXUP"),
        new(0x8, "SECBIT_NO_SETUID_FIXUP_LOCKED"),
        new(0x10, "SECBIT_KEEP_CAPS"),
        new(0x20, "SECBIT_KEEP_CAPS_LOCKED"),
        new(0x40, "SECBIT_NO_CAP_AMBIENT_RAISE"),
        new(0x80, "SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED"));

    private static readonly NameTable FpModes = new(
        "PR_FP_MODE_???",
        new(1, "PR_FP_MODE_FR"),
        new(2, "PR_FP_MODE_FRE"));

    private static readonly NameTable SeccompModes = new(
        "SECCOMP_MODE_???",
        new(0, "SECCOMP_MODE_DISABLED"),
        new(1, "SECCOMP_MODE_STRICT"),
        new(2, "SECCOMP_MODE_FILTER"));

    private static readonly NameTable Capabilities = new(
        "CAP_???",
        new(0, "CAP_CHOWN"),
        new(1, "CAP_DAC_OVERRIDE"),
        new(2, "CAP_DAC_READ_SEARCH"),
        new(3, "CAP_FOWNER"),
        new(4, "CAP_FSETID"),
        new(5, "CAP_KILL"),
        new(6, "CAP_SETGID"),
        new(7, "CAP_SETUID"),
        new(8, "CAP_SETPCAP"),
        new(9, "CAP_LINUX_IMMUTABLE"),
        new(10, "CAP_NET_BIND_SERVICE"),
        new(11, "CAP_NET_BROADCAST"),
        new(12, "CAP_NET_ADMIN"),
        new(13, "CAP_NET_RAW"),
        new(14, "CAP_IPC_LOCK"),
        new(15, "CAP_IPC_OWNER"),
        new(16, "CAP_SYS_MODULE"),
        new(17, "CAP_SYS_RAWIO"),
        new(18, "CAP_SYS_CHROOT"),
        new(19, "CAP_SYS_PTRACE"),
        new(20, "CAP_SYS_PACCT"),
        new(21, "CAP_SYS_ADMIN"),
        new(22, "CAP_SYS_BOOT"),
        new(23, "CAP_SYS_NICE"),
        new(24, "CAP_SYS_RESOURCE"),
        new(25, "CAP_SYS_TIME"),
        new(26, "CAP_SYS_TTY_CONFIG"),
        new(27, "CAP_MKNOD"),
        new(28, "CAP_LEASE"),
        new(29, "CAP_AUDIT_WRITE"),
        new(30, "CAP_AUDIT_CONTROL"),
        new(31, "CAP_SETFCAP"),
        new(32, "CAP_MAC_OVERRIDE"),
        new(33, "CAP_MAC_ADMIN"),
        new(34, "CAP_SYSLOG"),
        new(35, "CAP_WAKE_ALARM"),
        new(36, "CAP_BLOCK_SUSPEND"),
        new(37, "CAP_AUDIT_READ"),
        new(38, "CAP_PERFMON"),
        new(39, "CAP_BPF"),
        new(40, "CAP_CHECKPOINT_RESTORE"));

    private static readonly NameTable ArchCodes = new(
        "ARCH_???",
        new(0x1001, "ARCH_SET_GS"),
        new(0x1002, "ARCH_SET_FS"),
        new(0x1003, "ARCH_GET_FS"),
        new(0x1004, "ARCH_GET_GS"),
        new(0x1011, "ARCH_GET_CPUID"),
        new(0x1012, "ARCH_SET_CPUID"),
        new(0x1021, "ARCH_GET_XCOMP_SUPP"),
        new(0x1022, "ARCH_GET_XCOMP_PERM"),
        new(0x1023, "ARCH_REQ_XCOMP_PERM"),
        new(0x1024, "ARCH_GET_XCOMP_GUEST_PERM"),
        new(0x1025, "ARCH_REQ_XCOMP_GUEST_PERM"),
        new(0x2001, "ARCH_MAP_VDSO_X32"),
        new(0x2002, "ARCH_MAP_VDSO_32"),
        new(0x2003, "ARCH_MAP_VDSO_64"));

    private static readonly NameTable Personas = new(
        "PER_???",
        new(0, "PER_LINUX"),
        new(6, "PER_BSD"),
        new(8, "PER_LINUX32"),
        new(12, "PER_RISCOS"),
        new(15, "PER_OSF4"),
        new(16, "PER_HPUX"),
        new(255, "PER_MASK"));

    private static readonly NameTable PersonaFlags = new(
        "PER_???",
        new(0x20000, "UNAME26"),
        new(0x40000, "ADDR_NO_RANDOMIZE"),
        new(0x80000, "FDPIC_FUNCPTRS"),
        new(0x100000, "MMAP_PAGE_ZERO"),
        new(0x200000, "ADDR_COMPAT_LAYOUT"),
        new(0x400000, "READ_IMPLIES_EXEC"),
        new(0x800000, "ADDR_LIMIT_32BIT"),
        new(0x1000000, "SHORT_INODE"),
        new(0x2000000, "WHOLE_SECONDS"),
        new(0x4000000, "STICKY_TIMEOUTS"),
        new(0x8000000, "ADDR_LIMIT_3GB"));

    private static readonly NameTable Resources = new(
        "RLIMIT_???",
        new(0, "RLIMIT_CPU"),
        new(1, "RLIMIT_FSIZE"),
        new(2, "RLIMIT_DATA"),
        new(3, "RLIMIT_STACK"),
        new(4, "RLIMIT_CORE"),
        new(5, "RLIMIT_RSS"),
        new(6, "RLIMIT_NPROC"),
        new(7, "RLIMIT_NOFILE"),
        new(8, "RLIMIT_MEMLOCK"),
        new(9, "RLIMIT_AS"),
        new(10, "RLIMIT_LOCKS"),
        new(11, "RLIMIT_SIGPENDING"),
        new(12, "RLIMIT_MSGQUEUE"),
        new(13, "RLIMIT_NICE"),
        new(14, "RLIMIT_RTPRIO"),
        new(15, "RLIMIT_RTTIME"));

    public static void AppendOption(StringBuilder sb, ulong option) => Options.AppendValue(sb, option & 0xffffffff);

    /// <summary>
    /// The register indices strace prints for a prctl option. Options it knows take what they
    /// take (<c>prctl(PR_SET_NAME, "x")</c>, <c>prctl(PR_GET_DUMPABLE)</c>); the rest print all
    /// four further arguments in hex (<c>prctl(PR_SET_MM, 0x..., ...)</c>).
    /// </summary>
    public static int PrctlOrder(ReadOnlySpan<ulong> args, Span<int> order)
    {
        int count = (int)args[0] switch
        {
            PR_GET_KEEPCAPS or PR_GET_SECCOMP or PR_GET_TIMERSLACK or PR_GET_TIMING or PR_GET_DUMPABLE
                or PR_GET_SECUREBITS or PR_GET_FP_MODE or PR_TASK_PERF_EVENTS_DISABLE or PR_TASK_PERF_EVENTS_ENABLE
                or PR_SVE_GET_VL or PR_SME_GET_VL => 1,
            PR_GET_CHILD_SUBREAPER or PR_GET_ENDIAN or PR_GET_FPEMU or PR_GET_FPEXC or PR_GET_NAME or PR_GET_PDEATHSIG
                or PR_GET_TID_ADDRESS or PR_GET_TSC or PR_GET_UNALIGN => 2,
            PR_SET_CHILD_SUBREAPER or PR_SET_ENDIAN or PR_SET_FPEMU or PR_SET_FPEXC or PR_SET_KEEPCAPS or PR_SET_TIMING
                or PR_SET_DUMPABLE or PR_CAPBSET_READ or PR_CAPBSET_DROP or PR_SET_NAME or PR_SET_PDEATHSIG
                or PR_SET_PTRACER or PR_SET_TIMERSLACK or PR_SET_UNALIGN or PR_SET_TSC or PR_SET_SECUREBITS
                or PR_SET_FP_MODE or PR_SVE_SET_VL or PR_SME_SET_VL or PR_GET_SPECULATION_CTRL => 2,
            PR_SET_SPECULATION_CTRL => 3,
            PR_SET_SECCOMP => args[1] switch
            {
                SECCOMP_MODE_STRICT => 2,
                SECCOMP_MODE_FILTER => 3,
                _ => 5,
            },
            _ => 5,
        };
        return ArgumentDecoders.Sequence(order, count);
    }

    /// <summary>prctl's second argument as the option reads it; false for a string or a pointer left to the caller.</summary>
    private static void AppendArg2(StringBuilder sb, ReadOnlySpan<ulong> args)
    {
        ulong arg2 = args[1];
        switch ((int)args[0])
        {
            case PR_SET_CHILD_SUBREAPER:
            case PR_SET_ENDIAN:
            case PR_SET_FPEMU:
            case PR_SET_FPEXC:
            case PR_SET_KEEPCAPS:
            case PR_SET_TIMING:
            case PR_SET_NO_NEW_PRIVS:
            case PR_SET_THP_DISABLE:
            case PR_SET_IO_FLUSHER:
                sb.Append(arg2);
                break;
            case PR_SET_DUMPABLE:
                DumpableModes.AppendValue(sb, arg2);
                break;
            case PR_CAPBSET_READ:
            case PR_CAPBSET_DROP:
                Capabilities.AppendValue(sb, arg2);
                break;
            case PR_SET_PDEATHSIG:
                // Above 128 it cannot be a signal, and strace prints the number as is.
                if (arg2 > 128)
                {
                    sb.Append(arg2);
                }
                else
                {
                    SignalArguments.AppendSignal(sb, (long)arg2);
                }
                break;
            case PR_SET_PTRACER:
                if ((int)arg2 == -1)
                {
                    sb.Append("PR_SET_PTRACER_ANY");
                }
                else
                {
                    sb.Append((int)arg2);
                }
                break;
            case PR_SET_TIMERSLACK:
                sb.Append((long)arg2);
                break;
            case PR_SET_SECCOMP:
                SeccompModes.AppendValue(sb, arg2);
                break;
            case PR_SET_UNALIGN:
                UnalignFlags.AppendFlags(sb, arg2 & 0xffffffff);
                break;
            case PR_SET_TSC:
                TscModes.AppendValue(sb, arg2 & 0xffffffff);
                break;
            case PR_SET_SECUREBITS:
                SecureBits.AppendFlags(sb, arg2);
                break;
            case PR_SET_FP_MODE:
                FpModes.AppendFlags(sb, arg2 & 0xffffffff);
                break;
            case PR_GET_CHILD_SUBREAPER:
            case PR_GET_ENDIAN:
            case PR_GET_FPEMU:
            case PR_GET_FPEXC:
            case PR_GET_NAME:
            case PR_GET_PDEATHSIG:
            case PR_GET_TID_ADDRESS:
            case PR_GET_TSC:
            case PR_GET_UNALIGN:
            case PR_SET_NAME:
                FlagText.Address(sb, arg2);
                break;
            default:
                FlagText.Hex(sb, arg2);
                break;
        }
    }

    private static void AppendPrctlHex(StringBuilder sb, ReadOnlySpan<ulong> args, int index)
    {
        if ((int)args[0] == PR_SET_SECCOMP && args[1] == SECCOMP_MODE_FILTER && index == 2)
        {
            FlagText.Address(sb, args[2]);
            return;
        }
        FlagText.Hex(sb, args[index]);
    }

    /// <summary>arch_prctl's address argument: a pointer for the GET codes, hex otherwise; ARCH_GET_CPUID takes none.</summary>
    private static void AppendArchArgument(StringBuilder sb, ReadOnlySpan<ulong> args)
    {
        switch ((int)args[0])
        {
            case ARCH_GET_FS:
            case ARCH_GET_GS:
            case ARCH_GET_XCOMP_SUPP:
            case ARCH_GET_XCOMP_PERM:
            case ARCH_GET_XCOMP_GUEST_PERM:
                FlagText.Address(sb, args[1]);
                break;
            default:
                FlagText.Hex(sb, args[1]);
                break;
        }
    }

    /// <summary>A persona and its flags: <c>PER_LINUX32|ADDR_NO_RANDOMIZE</c>; 0xffffffff (a query) stays hex.</summary>
    public static void AppendPersonality(StringBuilder sb, ulong raw)
    {
        uint persona = (uint)raw;
        if (persona == 0xffffffff)
        {
            FlagText.Hex(sb, persona);
            return;
        }
        Personas.AppendValue(sb, persona & PER_MASK);
        ulong flags = persona & ~PER_MASK;
        if (flags != 0)
        {
            sb.Append('|');
            PersonaFlags.AppendFlags(sb, flags, comment: false);
        }
    }

    public static void AppendResource(StringBuilder sb, ulong resource) => Resources.AppendValue(sb, resource & 0xffffffff);

    internal static void Register(DecoderRegistry r)
    {
        r.For("prctl")
            .Arg(0, static (sb, a) => AppendOption(sb, a[0]))
            .Arg(1, AppendArg2)
            .Arg(2, static (sb, a) => AppendPrctlHex(sb, a, 2))
            .Arg(3, static (sb, a) => AppendPrctlHex(sb, a, 3))
            .Arg(4, static (sb, a) => AppendPrctlHex(sb, a, 4))
            .Printed(PrctlOrder)
            .Returns(static (sb, a, ret) =>
            {
                if ((int)a[0] != PR_GET_DUMPABLE)
                {
                    return false;
                }
                sb.Append(ret);
                if (DumpableModes.Find((ulong)ret) is { } mode)
                {
                    sb.Append(" (").Append(mode).Append(')');
                }
                return true;
            });
        r.For("arch_prctl")
            .Arg(0, static (sb, a) => ArchCodes.AppendValue(sb, a[0] & 0xffffffff))
            .Arg(1, AppendArchArgument)
            .Printed(static (a, order) => ArgumentDecoders.Sequence(order, (int)a[0] == ARCH_GET_CPUID ? 1 : 2));
        r.For("personality")
            .Arg(0, static (sb, a) => AppendPersonality(sb, a[0]))
            .Returns(static (sb, a, ret) =>
            {
                FlagText.Hex(sb, (ulong)ret);
                sb.Append(" (");
                AppendPersonality(sb, (ulong)ret);
                sb.Append(')');
                return true;
            });
        r.For("getrlimit").Arg(0, static (sb, a) => AppendResource(sb, a[0]));
        r.For("setrlimit").Arg(0, static (sb, a) => AppendResource(sb, a[0]));
        r.For("prlimit64").Arg(1, static (sb, a) => AppendResource(sb, a[1]));
    }
}
