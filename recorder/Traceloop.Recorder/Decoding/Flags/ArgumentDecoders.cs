using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>Renders one argument of a syscall from all six argument registers (some arguments are decoded by another, as fcntl's by its command).</summary>
internal delegate void ArgumentRenderer(StringBuilder sb, ReadOnlySpan<ulong> args);

/// <summary>Writes the register indices strace prints, in its order, into <c>order</c> (six long) and returns how many.</summary>
internal delegate int ArgumentOrder(ReadOnlySpan<ulong> args, Span<int> order);

/// <summary>Renders a successful return value; false leaves it to the caller (a plain decimal).</summary>
internal delegate bool ReturnRenderer(StringBuilder sb, ReadOnlySpan<ulong> args, long ret);

/// <summary>What strace prints differently for one syscall: some arguments, their count or order, its return value.</summary>
internal sealed class SyscallDecoder
{
    public const int MaxArgs = 6;

    private readonly ArgumentRenderer?[] _args = new ArgumentRenderer?[MaxArgs];

    public SyscallDecoder(int number) => Number = number;

    public int Number { get; }

    public ArgumentOrder? Order { get; private set; }

    public ReturnRenderer? Return { get; private set; }

    public ArgumentRenderer? this[int index] => (uint)index < MaxArgs ? _args[index] : null;

    public SyscallDecoder Arg(int index, ArgumentRenderer renderer)
    {
        _args[index] = renderer;
        return this;
    }

    public SyscallDecoder Printed(ArgumentOrder order)
    {
        Order = order;
        return this;
    }

    public SyscallDecoder Returns(ReturnRenderer renderer)
    {
        Return = renderer;
        return this;
    }
}

/// <summary>
/// strace's rendering of the x86-64 syscall arguments that are flags, enums, signals, modes and
/// addresses, known from the raw registers alone: (syscall number, argument index) → text.
/// Arguments it has no renderer for (strings, plain numbers, pointed-to structs) are the
/// caller's to print. Lookups index an array and the renderers write into the caller's builder,
/// so nothing here allocates per record.
/// </summary>
internal static class ArgumentDecoders
{
    private const long MaxErrno = 4095;

    private static readonly SyscallDecoder?[] ByNumber = Build();

    public static SyscallDecoder? Get(int nr) => (uint)nr < (uint)ByNumber.Length ? ByNumber[nr] : null;

    /// <summary>Appends argument <paramref name="argIndex"/> (a register index) as strace prints it, or returns false without appending.</summary>
    public static bool TryAppend(int nr, int argIndex, ReadOnlySpan<ulong> args, StringBuilder sb)
    {
        ArgumentRenderer? renderer = Get(nr)?[argIndex];
        if (renderer is null || args.Length < SyscallDecoder.MaxArgs)
        {
            return false;
        }
        renderer(sb, args);
        return true;
    }

    /// <summary>
    /// The register indices strace prints for this call, in its order; returns how many.
    /// Most syscalls print all their parameters in register order, but open and openat drop the
    /// mode unless O_CREAT or O_TMPFILE is set, fcntl prints a third argument only for commands
    /// that take one, and clone prints its stack before its flags.
    /// </summary>
    public static int GetPrintedArgs(int nr, ReadOnlySpan<ulong> args, Span<int> order)
    {
        ArgumentOrder? rule = Get(nr)?.Order;
        if (rule is not null && args.Length >= SyscallDecoder.MaxArgs)
        {
            return rule(args, order);
        }
        SyscallInfo? info = SyscallTable.Get(nr);
        int count = info is { ParamsKnown: true } ? info.Params.Length : SyscallDecoder.MaxArgs;
        return Sequence(order, count);
    }

    /// <summary>Whether strace prints argument <paramref name="argIndex"/> of this call at all.</summary>
    public static bool ShouldPrintArg(int nr, int argIndex, ReadOnlySpan<ulong> args)
    {
        Span<int> order = stackalloc int[SyscallDecoder.MaxArgs];
        int count = GetPrintedArgs(nr, args, order);
        return order[..count].Contains(argIndex);
    }

    /// <summary>
    /// Appends a successful return value the way strace formats it for this syscall (mmap's hex
    /// address, fcntl(F_GETFL)'s <c>0x8002 (flags O_RDWR|O_LARGEFILE)</c>, umask's octal), or
    /// returns false without appending: for an error (the caller prints the errno) and for the
    /// plain decimal most syscalls return.
    /// </summary>
    public static bool TryAppendReturn(int nr, ReadOnlySpan<ulong> args, long ret, StringBuilder sb)
    {
        ReturnRenderer? renderer = Get(nr)?.Return;
        if (renderer is null || (ret < 0 && ret >= -MaxErrno) || args.Length < SyscallDecoder.MaxArgs)
        {
            return false;
        }
        return renderer(sb, args, ret);
    }

    /// <summary>Writes 0..count-1 into <paramref name="order"/>.</summary>
    internal static int Sequence(Span<int> order, int count)
    {
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }
        return count;
    }

    private static SyscallDecoder?[] Build()
    {
        var decoders = new SyscallDecoder?[SyscallTable.MaxNumber + 1];
        var registry = new DecoderRegistry(decoders);
        OpenFlags.Register(registry);
        AtFlags.Register(registry);
        FileModes.Register(registry);
        MemoryFlags.Register(registry);
        CloneFlags.Register(registry);
        SocketConstants.Register(registry);
        FcntlCommands.Register(registry);
        WaitOptions.Register(registry);
        SignalArguments.Register(registry);
        IoctlRequests.Register(registry);
        ProcessControl.Register(registry);
        FutexOperations.Register(registry);
        DescriptorFlags.Register(registry);
        MountFlags.Register(registry);
        return decoders;
    }
}

/// <summary>Hands each family of renderers the decoder of a syscall, by name.</summary>
internal sealed class DecoderRegistry
{
    private readonly SyscallDecoder?[] _decoders;

    public DecoderRegistry(SyscallDecoder?[] decoders) => _decoders = decoders;

    /// <summary>The decoder of the named syscall, created on first use.</summary>
    /// <exception cref="InvalidOperationException">The syscall table has no such name: a typo in a family's table.</exception>
    public SyscallDecoder For(string name)
    {
        if (!SyscallTable.TryGetNumber(name, out int nr))
        {
            throw new InvalidOperationException($"No syscall named {name} in the syscall table.");
        }
        return _decoders[nr] ??= new SyscallDecoder(nr);
    }
}
