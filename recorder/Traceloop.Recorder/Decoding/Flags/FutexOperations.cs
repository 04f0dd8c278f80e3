using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>futex: the operation, and which of the other five registers it reads and how.</summary>
/// <remarks>
/// The arguments strace prints depend on the command: <c>futex(0x..., FUTEX_WAKE_PRIVATE, 1)</c>,
/// <c>futex(0x..., FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY)</c>.
/// A timeout is a pointer to a timespec, printed here as an address (strace prints the struct).
/// </remarks>
internal static class FutexOperations
{
    private const int FUTEX_WAIT = 0;
    private const int FUTEX_WAKE = 1;
    private const int FUTEX_FD = 2;
    private const int FUTEX_REQUEUE = 3;
    private const int FUTEX_CMP_REQUEUE = 4;
    private const int FUTEX_WAKE_OP = 5;
    private const int FUTEX_LOCK_PI = 6;
    private const int FUTEX_UNLOCK_PI = 7;
    private const int FUTEX_TRYLOCK_PI = 8;
    private const int FUTEX_WAIT_BITSET = 9;
    private const int FUTEX_WAKE_BITSET = 10;
    private const int FUTEX_WAIT_REQUEUE_PI = 11;
    private const int FUTEX_CMP_REQUEUE_PI = 12;
    private const int FUTEX_LOCK_PI2 = 13;
    private const int FUTEX_CMD_MASK = 127;

    /// <summary>strace names whole operations, private and clock flags included, and no others.</summary>
    private static readonly NameTable Operations = new(
        "FUTEX_???",
        new(0, "FUTEX_WAIT"),
        new(1, "FUTEX_WAKE"),
        new(2, "FUTEX_FD"),
        new(3, "FUTEX_REQUEUE"),
        new(4, "FUTEX_CMP_REQUEUE"),
        new(5, "FUTEX_WAKE_OP"),
        new(6, "FUTEX_LOCK_PI"),
        new(7, "FUTEX_UNLOCK_PI"),
        new(8, "FUTEX_TRYLOCK_PI"),
        new(9, "FUTEX_WAIT_BITSET"),
        new(10, "FUTEX_WAKE_BITSET"),
        new(11, "FUTEX_WAIT_REQUEUE_PI"),
        new(12, "FUTEX_CMP_REQUEUE_PI"),
        new(13, "FUTEX_LOCK_PI2"),
        new(128, "FUTEX_WAIT_PRIVATE"),
        new(129, "FUTEX_WAKE_PRIVATE"),
        new(130, "FUTEX_FD|FUTEX_PRIVATE_FLAG"),
        new(131, "FUTEX_REQUEUE_PRIVATE"),
        new(132, "FUTEX_CMP_REQUEUE_PRIVATE"),
        new(133, "FUTEX_WAKE_OP_PRIVATE"),
        new(134, "FUTEX_LOCK_PI_PRIVATE"),
        new(135, "FUTEX_UNLOCK_PI_PRIVATE"),
        new(136, "FUTEX_TRYLOCK_PI_PRIVATE"),
        new(137, "FUTEX_WAIT_BITSET_PRIVATE"),
        new(138, "FUTEX_WAKE_BITSET_PRIVATE"),
        new(139, "FUTEX_WAIT_REQUEUE_PI_PRIVATE"),
        new(140, "FUTEX_CMP_REQUEUE_PI_PRIVATE"),
        new(141, "FUTEX_LOCK_PI2_PRIVATE"),
        new(256, "FUTEX_WAIT|FUTEX_CLOCK_REALTIME"),
        new(265, "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME"),
        new(267, "FUTEX_WAIT_REQUEUE_PI|FUTEX_CLOCK_REALTIME"),
        new(384, "FUTEX_WAIT_PRIVATE|FUTEX_CLOCK_REALTIME"),
        new(393, "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME"),
        new(395, "FUTEX_WAIT_REQUEUE_PI_PRIVATE|FUTEX_CLOCK_REALTIME")
);

    private static readonly NameTable Bitsets = new(
        "FUTEX_BITSET_???",
        new Named(0xffffffff, "FUTEX_BITSET_MATCH_ANY"));

    private static readonly string?[] WakeOps = ["FUTEX_OP_SET", "FUTEX_OP_ADD", "FUTEX_OP_OR", "FUTEX_OP_ANDN", "FUTEX_OP_XOR", null, null, null];

    private static readonly string?[] WakeCompares =
        ["FUTEX_OP_CMP_EQ", "FUTEX_OP_CMP_NE", "FUTEX_OP_CMP_LT", "FUTEX_OP_CMP_LE", "FUTEX_OP_CMP_GT", "FUTEX_OP_CMP_GE", null, null, null, null, null, null, null, null, null, null];

    // Collection expressions in a switch expression would allocate on every call.
    private static readonly int[] WaitArgs = [0, 1, 2, 3];
    private static readonly int[] LockArgs = [0, 1, 3];
    private static readonly int[] WaitBitsetArgs = [0, 1, 2, 3, 5];
    private static readonly int[] WakeBitsetArgs = [0, 1, 2, 5];
    private static readonly int[] RequeueArgs = [0, 1, 2, 3, 4];
    private static readonly int[] WakeArgs = [0, 1, 2];
    private static readonly int[] UnlockArgs = [0, 1];
    private static readonly int[] AllArgs = [0, 1, 2, 3, 4, 5];

    private static int Command(ReadOnlySpan<ulong> args) => (int)args[1] & FUTEX_CMD_MASK;

    public static void AppendOperation(StringBuilder sb, ulong op) => Operations.AppendValue(sb, op & 0xffffffff);

    /// <summary>The register indices strace prints for the command, in order.</summary>
    public static int PrintOrder(ReadOnlySpan<ulong> args, Span<int> order)
    {
        int[] indices = Command(args) switch
        {
            FUTEX_WAIT => WaitArgs,
            FUTEX_LOCK_PI or FUTEX_LOCK_PI2 => LockArgs,
            FUTEX_WAIT_BITSET => WaitBitsetArgs,
            FUTEX_WAKE_BITSET => WakeBitsetArgs,
            FUTEX_REQUEUE or FUTEX_WAIT_REQUEUE_PI => RequeueArgs,
            FUTEX_WAKE or FUTEX_FD => WakeArgs,
            FUTEX_UNLOCK_PI or FUTEX_TRYLOCK_PI => UnlockArgs,
            _ => AllArgs,
        };
        indices.CopyTo(order);
        return indices.Length;
    }

    /// <summary>The fourth register: a timeout pointer for the waits, the count val2 for the requeues and wake-op.</summary>
    private static void AppendTimeoutOrVal2(StringBuilder sb, ReadOnlySpan<ulong> args)
    {
        switch (Command(args))
        {
            case FUTEX_REQUEUE:
            case FUTEX_CMP_REQUEUE:
            case FUTEX_CMP_REQUEUE_PI:
            case FUTEX_WAKE_OP:
                sb.Append((uint)args[3]);
                break;
            default:
                FlagText.Address(sb, args[3]);
                break;
        }
    }

    private static void AppendVal3(StringBuilder sb, ReadOnlySpan<ulong> args)
    {
        uint val3 = (uint)args[5];
        switch (Command(args))
        {
            case FUTEX_WAIT_BITSET:
            case FUTEX_WAKE_BITSET:
                if (Bitsets.Find(val3) is { } name)
                {
                    sb.Append(name);
                }
                else
                {
                    FlagText.Hex(sb, val3);
                }
                break;
            case FUTEX_CMP_REQUEUE:
            case FUTEX_CMP_REQUEUE_PI:
                sb.Append(val3);
                break;
            case FUTEX_WAKE_OP:
                AppendWakeOp(sb, val3);
                break;
            default:
                FlagText.Hex(sb, val3);
                break;
        }
    }

    /// <summary>FUTEX_WAKE_OP's encoded operation: <c>FUTEX_OP_SET&lt;&lt;28|0&lt;&lt;12|FUTEX_OP_CMP_GT&lt;&lt;24|0x1</c>.</summary>
    public static void AppendWakeOp(StringBuilder sb, uint val3)
    {
        if (((val3 >> 28) & 8) != 0)
        {
            sb.Append("FUTEX_OP_OPARG_SHIFT<<28|");
        }
        uint op = (val3 >> 28) & 7;
        if (WakeOps[op] is { } opName)
        {
            sb.Append(opName).Append("<<28");
        }
        else
        {
            FlagText.Hex(sb, op);
            sb.Append("<<28 /* FUTEX_OP_??? */");
        }
        sb.Append('|');
        FlagText.Hex(sb, (val3 >> 12) & 0xfff);
        sb.Append("<<12|");
        uint cmp = (val3 >> 24) & 0xf;
        if (WakeCompares[cmp] is { } cmpName)
        {
            sb.Append(cmpName).Append("<<24");
        }
        else
        {
            FlagText.Hex(sb, cmp);
            sb.Append("<<24 /* FUTEX_OP_CMP_??? */");
        }
        sb.Append('|');
        FlagText.Hex(sb, val3 & 0xfff);
    }

    internal static void Register(DecoderRegistry r)
    {
        r.For("futex")
            .Arg(0, static (sb, a) => FlagText.Address(sb, a[0]))
            .Arg(1, static (sb, a) => AppendOperation(sb, a[1]))
            .Arg(2, static (sb, a) => sb.Append((uint)a[2]))
            .Arg(3, AppendTimeoutOrVal2)
            .Arg(4, static (sb, a) => FlagText.Address(sb, a[4]))
            .Arg(5, AppendVal3)
            .Printed(PrintOrder);
    }
}
